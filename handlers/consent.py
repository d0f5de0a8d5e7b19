"""Guardian consent: the guardian's deep link, the student's /consent, the teacher's /consents."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    callback_parts,
    deep_link,
    int_part,
    keyboard,
    notify,
    page_count,
    paging_row,
    reply,
    requires,
    stale_button,
    start_link,
    text_step,
)
from messages import label
from storage import consent as consent_store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role

PAGE = 8


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
    # The token is 23 characters; "gc:y:" keeps the data within 64 bytes.
    markup = keyboard(
        [
            [
                (label(lang, "I agree"), f"gc:y:{token}"),
                (label(lang, "I do not agree"), f"gc:n:{token}"),
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


async def on_guardian_answer(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if len(parts) != 3 or parts[1] not in ("y", "n"):
        await stale_button(update, context)
        return
    agree = parts[1] == "y"
    try:
        async with context.db.write() as conn:
            student = await consent_store.answer(
                conn, parts[2], context.user.id, agree, now=context.now
            )
            if context.user.flow == "gc":
                context.user = await users_store.set_flow(conn, context.user.id, None)
    except consent_store.SelfConsent:
        await answer_query(update)
        await reply(update, context, "consent/self_link", edit=True)
        return
    except (NotFound, AlreadyHandled):
        # Answered already, expired, or forged: never edit a message on that basis.
        await stale_button(update, context)
        return
    await answer_query(update)
    await reply(update, context, "consent/guardian_done", edit=True, agree=agree)
    await notify(
        context, student.id, student.lang, "consent/student_told", agree=agree, method="guardian"
    )


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
            conn, context.user, offset=page * PAGE, limit=PAGE
        )
    if not students and page > 0:  # the last student of a page was just recorded
        await show_page(update, context, page - 1, edit=edit)
        return
    lang = context.lang
    rows = [
        [
            (
                label(
                    lang, "%(name)s (grade %(grade)s): form received", name=s.name, grade=s.grade
                ),
                f"tc:ok:{s.id}:{page}",
            )
        ]
        for s in students
    ]
    pages = page_count(total, PAGE)
    await reply(
        update,
        context,
        "consent/teacher_list",
        keyboard([*rows, paging_row(lang, "tc:pg", page, pages)]),
        edit=edit,
        total=total,
        page=page + 1,
        pages=pages,
    )


@requires(Role.TEACHER)
async def on_teacher_action(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if len(parts) >= 3 and parts[1] == "pg" and int_part(parts, 2) is not None:
        await answer_query(update)
        await show_page(update, context, int_part(parts, 2), edit=True)
        return
    student_id, page = int_part(parts, 2), int_part(parts, 3)
    if len(parts) != 4 or parts[1] != "ok" or student_id is None or page is None:
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            student = await consent_store.record_paper(
                conn, context.user, student_id, now=context.now
            )
    except NotFound:
        await stale_button(update, context)
        return
    except AlreadyHandled:
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
        CallbackQueryHandler(on_guardian_answer, pattern=r"^gc:"),
        CallbackQueryHandler(on_teacher_action, pattern=r"^tc:"),
    ]
