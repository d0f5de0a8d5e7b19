"""Teachers: their students' requests and the priority mark, and other schools' online group
sessions to join."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, keyboard, page_count, paging_row, reply, stale_button
from handlers.mentors.common import when_label
from handlers.mentors.request import show_request
from handlers.mentors.staff import toggle_priority
from messages import label
from messages.labels import N_
from storage import mentors as store
from storage.errors import NotFound
from storage.models import Role

PAGE = 6


async def students_page(update: Update, context: JinroContext, page: int, *, edit=True) -> None:
    if context.user.role != Role.TEACHER:
        await stale_button(update, context)
        return
    async with context.db.read() as conn:
        found, total = await store.students_requests(
            conn, context.user, offset=page * PAGE, limit=PAGE
        )
    pages = page_count(total, PAGE)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            (
                ("⭐ " if r.priority else "☆ ") + f"{r.requester_name} · {r.field}"[:50],
                f"rq:p:{r.id}:{page}",
            )
        ]
        for r in found
        if r.status in store.ACTIVE
    ]
    rows.append(paging_row(lang, "rq:s", page, pages))
    rows.append([(label(lang, "◀ Mentoring"), "rq:l")])
    await reply(
        update,
        context,
        "mentoring/students",
        keyboard(rows),
        edit=edit,
        requests=found,
        total=total,
        page=page + 1,
        pages=pages,
        tz=context.tz,
    )


async def priority_pressed(update: Update, context: JinroContext, request_id: int, page: int):
    if await toggle_priority(update, context, request_id):
        await students_page(update, context, page)


async def groups_pressed(update: Update, context: JinroContext) -> None:
    if context.user.role != Role.TEACHER:
        await stale_button(update, context)
        return
    async with context.db.read() as conn:
        groups = await store.open_groups(conn, context.user.school_id, now=context.now)
    await answer_query(update)
    lang, tz = context.lang, context.tz
    rows = [
        [
            (
                _group_label(lang, g, tz),
                f"rq:gj:{g.id}",
            )
        ]
        for g in groups
    ]
    rows.append([(label(lang, "◀ Mentoring"), "rq:l")])
    await reply(
        update, context, "mentoring/groups", keyboard(rows), edit=True, groups=groups, tz=tz
    )


def _group_label(lang: str, group, tz) -> str:
    when = when_label(lang, group.starts_at, tz)
    mark = "✓ " if group.ours else ""
    return f"{mark}{when} {group.field} ({group.joined}/{group.capacity})"[:60]


async def join_pressed(update: Update, context: JinroContext, meeting_id: int) -> None:
    if context.user.role != Role.TEACHER:
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            request_id = await store.join_group(
                conn, meeting_id, context.user, now=context.now, tz=context.tz
            )
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused as refused:
        text = {
            "full": N_("This group session is full."),
            "already": N_("Your school is already in this group session."),
        }.get(refused.reason, N_("This group session is no longer open."))
        await answer_query(update, label(context.lang, text), alert=True)
        return
    await answer_query(update, label(context.lang, "Your class is in."))
    outbox.kick(context)  # the mentor hears a school joined
    await show_request(update, context, request_id)
