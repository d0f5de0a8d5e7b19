"""Guardian consent: the guardian's deep link, the student's /consent, the teacher's /consents."""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    audit_read,
    deep_link,
    keyboard,
    notify,
    page_count,
    pages_row,
    reply,
    requires,
    stale_button,
    start_link,
    text_step,
)
from handlers.common.buttons import ID, PAGE, Buttons, Token
from messages import label
from storage import consent as consent_store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role

# The guardian's answer, "gc:y:<token>" or "gc:n:<token>" (5 + 23 bytes): whoever opened the
# link presses it, joined or not; the token says which student.
GUARDIAN = Buttons("gc")
TOKEN = Token(r"c[A-Za-z0-9_-]{22}", 23)  # as storage/consent.py makes them
AGREE = GUARDIAN.action("y", TOKEN)
DISAGREE = GUARDIAN.action("n", TOKEN)
# The teacher's list of students awaiting consent.
CONSENTS = Buttons("tc", roles=(Role.TEACHER,))
LIST = CONSENTS.action("pg", PAGE)  # the list at a page
PAPER_FORM = CONSENTS.action("ok", ID, PAGE)  # a student's paper form came; the page shown

SHOWN = 8  # students a page


@start_link("c")
async def guardian_opened(update: Update, context: JinroContext, token: str) -> None:
    """A guardian opened a student's consent link in their own Telegram."""
    try:
        async with context.db.read() as conn:
            request = await consent_store.request_for_guardian(
                conn, token, context.user.id, now=context.now
            )
            school = await users_store.school(conn, request.school_id)
    except consent_store.SelfConsent:
        await reply(update, context, "consent/self_link")
        return
    except NotFound:
        await reply(update, context, "consent/link_invalid")
        return
    if context.user.flow != "gc":
        # Remembered, so a guardian who types instead of pressing is shown the question again.
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, "gc", {"token": token})
    lang = context.lang
    markup = keyboard(
        [
            [
                AGREE(label(lang, "I agree"), token),
                DISAGREE(label(lang, "I do not agree"), token),
            ]
        ]
    )
    await reply(
        update,
        context,
        "consent/guardian_ask",
        markup,
        name=request.name,
        school=school.name if school else "",
        grade=request.grade,
    )


@text_step("gc")
async def guardian_typed(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")
    await guardian_opened(update, context, context.user.flow_data.get("token", ""))


async def on_guardian_answer(
    update: Update, context: JinroContext, token: str, *, agree: bool
) -> None:
    try:
        async with context.db.write() as conn:
            student = await consent_store.answer(
                conn, token, context.user.id, agree, now=context.now
            )
            if context.user.flow == "gc":
                context.user = await users_store.set_flow(conn, context.user.id, None)
    except consent_store.SelfConsent:
        await answer_query(update)
        await reply(update, context, "consent/self_link", edit=True)
        return
    except AlreadyHandled:
        # Answered already: an old button, never a reason to edit the message. (Expired or
        # forged is NotFound: the router answers it the same.)
        await stale_button(update, context)
        return
    await answer_query(update)
    await reply(update, context, "consent/guardian_done", edit=True, agree=agree)
    await notify(
        context, student.id, student.lang, "consent/student_told", agree=agree, method="guardian"
    )


AGREE.handles(partial(on_guardian_answer, agree=True))
DISAGREE.handles(partial(on_guardian_answer, agree=False))


@requires(Role.STUDENT)
async def student_status(update: Update, context: JinroContext) -> None:
    student = context.user
    token = None
    if consent_store.needs_consent(student):
        async with context.db.write() as conn:
            token = await consent_store.link_for(conn, student, now=context.now)
    await reply(
        update,
        context,
        "consent/student_status",
        user=student,
        consent_link=deep_link(context, token) if token else None,
    )


@requires(Role.TEACHER)
async def teacher_list(update: Update, context: JinroContext) -> None:
    await show_page(update, context, 0)


async def show_page(
    update: Update, context: JinroContext, page: int, *, edit: bool = False
) -> None:
    async with context.db.read() as conn:
        students, total = await users_store.students_awaiting_consent(
            conn, context.user, offset=page * SHOWN, limit=SHOWN
        )
    if not students and page > 0:  # the last student of a page was just recorded
        await show_page(update, context, page - 1, edit=edit)
        return
    # What is read: the names of the school's students under 14.
    await audit_read(context, "consents", context.user.school_id, page=page, rows=len(students))
    lang = context.lang
    rows = [
        [
            PAPER_FORM(
                label(
                    lang, "%(name)s (grade %(grade)s): form received", name=s.name, grade=s.grade
                ),
                s.id,
                page,
            )
        ]
        for s in students
    ]
    pages = page_count(total, SHOWN)
    await reply(
        update,
        context,
        "consent/teacher_list",
        keyboard([*rows, pages_row(lang, LIST, page, pages)]),
        edit=edit,
        total=total,
        page=page + 1,
        pages=pages,
    )


@LIST.handles
async def page_pressed(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await show_page(update, context, page, edit=True)


@PAPER_FORM.handles
async def paper_form_received(
    update: Update, context: JinroContext, student_id: int, page: int
) -> None:
    try:
        async with context.db.write() as conn:
            student = await consent_store.record_paper(
                conn, context.user, student_id, now=context.now
            )
    except AlreadyHandled:  # consent came meanwhile: say so, and show the list as it is
        await answer_query(update, label(context.lang, "Already recorded."))
        await show_page(update, context, page, edit=True)
        return
    await answer_query(update, label(context.lang, "Recorded: %(name)s", name=student.name))
    await show_page(update, context, page, edit=True)
    await notify(
        context, student.id, student.lang, "consent/student_told", agree=True, method="paper"
    )


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("consent", student_status),
        CommandHandler("consents", teacher_list),
    ]
