"""The teacher's /consents: their students under 14, those without consent first, each with
where it stands and how it was given (the guardian in Telegram, a paper form); a paper form
is recorded with one press, and a student reminded to ask again with another."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import (
    answer_query,
    audit_read,
    keyboard,
    notify,
    page_count,
    pages_row,
    reply,
)
from handlers.common.told import consent_news
from handlers.consent.buttons import ASK_AGAIN, LIST, PAPER_FORM
from messages import label
from messages.labels import N_
from storage import consent as consent_store
from storage.cases import at_place, party_tag
from storage.errors import AlreadyHandled, NotFound

SHOWN = 8  # students a page
SENT = N_("Sent to %(name)s.")
BLOCKED = N_("%(name)s has blocked the bot; please tell them at school.")


async def teacher_list(update: Update, context: JinroContext) -> None:
    await show_page(update, context, 0)


async def _page(context: JinroContext, page: int) -> tuple[list, int]:
    async with context.db.read() as conn:
        return await consent_store.states(
            conn, context.user, now=context.now, offset=page * SHOWN, limit=SHOWN
        )


async def show_page(
    update: Update, context: JinroContext, page: int, *, edit: bool = False
) -> None:
    students, total = await _page(context, page)
    if not students and page > 0:  # past the end (the list got shorter)
        await show_page(update, context, page - 1, edit=edit)
        return
    # What is read: the names of the school's students under 14 and their consent's state;
    # who was on the page (their ids), for each one's audit trail (storage/audit_trail.py).
    await audit_read(
        context,
        "consents",
        context.user.school_id,
        page=page,
        rows=len(students),
        student_ids=[student.id for student in students],
    )
    lang = context.lang
    rows = []
    for place, student in enumerate(students):
        if student.state == "given":
            continue
        tag = party_tag(context.user.id, student.id)
        name = student.name
        rows.append(
            [
                PAPER_FORM(
                    label(lang, "%(name)s: paper form received", name=name), page, place, tag
                ),
                ASK_AGAIN(label(lang, "Remind %(name)s", name=name), page, place, tag),
            ]
        )
    pages = page_count(total, SHOWN)
    await reply(
        update,
        context,
        "consent/teacher_list",
        keyboard([*rows, pages_row(lang, LIST, page, pages)]),
        edit=edit,
        students=students,
        first=page * SHOWN + 1,
        total=total,
        page=page + 1,
        pages=pages,
    )


async def _student_at(context: JinroContext, page: int, place: int, tag: int):
    """The student at that place of that page, if the check number still matches: a list
    that changed since it was shown gives the stale answer, never another student."""
    students, _ = await _page(context, page)
    student = at_place(students, place, tag, context.user.id)
    if student is None:
        raise NotFound(place)
    return student


@LIST.handles
async def page_pressed(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await show_page(update, context, page, edit=True)


@PAPER_FORM.handles
async def paper_form_received(
    update: Update, context: JinroContext, page: int, place: int, tag: int
) -> None:
    shown = await _student_at(context, page, place, tag)
    try:
        async with context.db.write() as conn:
            student = await consent_store.record_paper(
                conn, context.user, shown.id, now=context.now
            )
            await consent_news(conn, student.id, "paper", now=context.now)
    except AlreadyHandled:  # consent came meanwhile: say so, and show the list as it is
        await answer_query(update, label(context.lang, "Already recorded."))
        await show_page(update, context, page, edit=True)
        return
    outbox.kick(context)  # the student's notice, in the morning if it is quiet hours
    await answer_query(update, label(context.lang, "Recorded: %(name)s", name=student.name))
    await show_page(update, context, page, edit=True)


@ASK_AGAIN.handles
async def ask_again(update: Update, context: JinroContext, page: int, place: int, tag: int) -> None:
    shown = await _student_at(context, page, place, tag)
    try:
        async with context.db.write() as conn:
            student = await consent_store.asked_again(conn, context.user, shown.id, now=context.now)
    except AlreadyHandled:
        await answer_query(update, label(context.lang, "Already recorded."))
        await show_page(update, context, page, edit=True)
        return
    told = await notify(context, student.id, student.lang, "consent/student_reminded")
    await answer_query(update, label(context.lang, SENT if told else BLOCKED, name=student.name))
