"""Teachers: their students' requests and the priority mark, and other schools' online group
sessions to join."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, audit_read, fetch_page, keyboard, reply, reply_page
from handlers.mentors.buttons import GROUPS, JOIN, MY_REQUESTS, STUDENT_PRIORITY, STUDENTS
from handlers.mentors.common import when_label
from handlers.mentors.request import show_request
from handlers.mentors.staff import priority_rows, toggle_priority
from messages import label, nlabel
from messages.vocabulary import field_name
from storage import mentors as store

PAGE = 6


@STUDENTS.handles
async def students_page(update: Update, context: JinroContext, page: int, *, edit=True) -> None:
    async with context.db.read() as conn:
        shown = await fetch_page(store.students_requests, conn, context.user, index=page, size=PAGE)
    await answer_query(update)
    # What is read: the students' names and grades.
    await audit_read(
        context, "mentor_requests", context.user.school_id, page=page, rows=len(shown.items)
    )
    lang = context.lang
    active = [r for r in shown.items if r.status in store.ACTIVE]
    rows = priority_rows(
        active,
        STUDENT_PRIORITY,
        page,
        lambda r: f"{r.requester_name} · {field_name(lang, r.field)}"[:50],
    )
    await reply_page(
        update,
        context,
        "mentoring/students",
        shown,
        shown.markup(lang, rows, STUDENTS, below=[[MY_REQUESTS(label(lang, "◀ Mentoring"))]]),
        edit=edit,
        requests=shown.items,
        tz=context.tz,
    )


@STUDENT_PRIORITY.handles
async def priority_pressed(update: Update, context: JinroContext, request_id: int, page: int):
    await toggle_priority(context, request_id)
    await students_page(update, context, page)


@GROUPS.handles
async def groups_pressed(update: Update, context: JinroContext) -> None:
    async with context.db.read() as conn:
        groups = await store.open_groups(conn, context.user.school_id, now=context.now)
    await answer_query(update)
    lang, tz = context.lang, context.tz
    rows = [[JOIN(_group_label(lang, g, tz), g.id)] for g in groups]
    rows.append([MY_REQUESTS(label(lang, "◀ Mentoring"))])
    await reply(
        update, context, "mentoring/groups", keyboard(rows), edit=True, groups=groups, tz=tz
    )


def _group_label(lang: str, group, tz) -> str:
    when = when_label(lang, group.starts_at, tz)
    mark = "✓ " if group.ours else ""
    # Not a bare "(1/5)": what the numbers count ("5개 학교 중 1개 참여").
    schools = nlabel(
        lang,
        "%(joined)s of %(capacity)s school",
        "%(joined)s of %(capacity)s schools",
        group.capacity,
        joined=group.joined,
        capacity=group.capacity,
    )
    return f"{mark}{when} {field_name(lang, group.field)} · {schools}"[:60]


@JOIN.handles
async def join_pressed(update: Update, context: JinroContext, meeting_id: int) -> None:
    """A full, joined or closed session is answered by the router (buttons.JOIN)."""
    async with context.db.write() as conn:
        request_id = await store.join_group(
            conn, meeting_id, context.user, now=context.now, tz=context.tz
        )
    await answer_query(update, label(context.lang, "Your class is in."))
    outbox.kick(context)  # the mentor hears a school joined
    await show_request(update, context, request_id)
