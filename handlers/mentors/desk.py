"""The mentor's desk (/mentor for a mentor) and one request as they see it, with its buttons."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    Handler,
    answer_query,
    audit_read,
    keyboard,
    reply,
    requires,
    stale_button,
)
from handlers.mentors.buttons import (
    ACCEPT,
    ADD_SLOT,
    CANCEL_MEETING,
    DECLINE,
    DESK,
    HELD,
    HELD_OTHER,
    NOT_HELD,
    PROFILE,
    REQUEST,
    SET_TIME,
    SLOTS,
)
from handlers.mentors.common import _leave_flow, _mentor_id, when_label
from handlers.mentors.talk import write_button
from messages import label
from messages.vocabulary import field_name
from storage import mentors as store
from storage.errors import NotFound
from storage.models import Role


async def show_board(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        desk = await store.board(conn, _mentor_id(context), now=context.now)
        mentor = await store.profile(conn, _mentor_id(context))
        free = await store.free_openings(conn, mentor.id, now=context.now, tz=context.tz)
    listed = (desk.offered, desk.to_schedule, desk.to_log, desk.upcoming)
    # What is read: the requesters' first names.
    await audit_read(context, "mentor_desk", mentor.id, rows=sum(len(group) for group in listed))
    lang, tz = context.lang, context.tz
    rows = []
    for seen in desk.offered:
        text = f"📨 {_who(lang, seen)} · {field_name(lang, seen.field)}"
        rows.append([REQUEST(text[:60], seen.id)])
    for seen in desk.to_schedule:
        text = label(lang, "🗓 Set the time: %(who)s", who=_who(lang, seen))
        rows.append([SET_TIME(text[:60], seen.id)])
    for seen in desk.to_log:
        text = label(lang, "📝 Log: %(who)s", who=_who(lang, seen))
        rows.append([REQUEST(text[:60], seen.id)])
    for seen in desk.upcoming:
        text = f"📅 {when_label(lang, seen.starts_at, tz)} {_who(lang, seen)}"
        rows.append([REQUEST(text[:60], seen.id)])
    rows.append([PROFILE(label(lang, "👤 Profile")), SLOTS(label(lang, "🗓 Free times"))])
    if not free and not mentor.paused:  # no request can reach them: the way to a free time first
        rows.insert(0, [ADD_SLOT(label(lang, "➕ Add a free time"))])
    await reply(
        update,
        context,
        "mentors/board",
        keyboard(rows),
        edit=edit,
        desk=desk,
        mentor=mentor,
        free=len(free),
        tz=tz,
    )


def mentor_command(show) -> Handler:
    """The command opening a mentor's own screen `show` (/profile, /slots), out of any mn.*
    step; someone with the mentor role but no mentor profile yet may not."""

    @requires(Role.MENTOR)
    async def command(update: Update, context: JinroContext) -> None:
        if _mentor_id(context) is None:
            await reply(update, context, "common/not_allowed")
            return
        await _leave_flow(context)
        await show(update, context)

    return command


def _who(lang: str, seen) -> str:
    if seen.mode == "group":
        return label(lang, "Group session")
    return seen.who or "?"


@DESK.handles
async def board_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_board(update, context, edit=True)


# ----- one request, as the mentor sees it -----------------------------------------------------


async def _seen(context: JinroContext, request_id: int):
    """The request as this mentor sees it, or None when it was never offered to them."""
    try:
        async with context.db.read() as conn:
            return await store.for_mentor(conn, request_id, _mentor_id(context))
    except NotFound:
        return None


@REQUEST.handles
async def view_request(update: Update, context: JinroContext, request_id: int, *, edit=True):
    seen = await _seen(context, request_id)
    if seen is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _leave_flow(context)
    await show_request(update, context, seen, edit=edit)


async def show_request(update: Update, context: JinroContext, seen, *, edit: bool = True) -> None:
    lang, now = context.lang, context.now
    mine = await _still_mine(context, seen)
    schools = []
    if seen.meeting_id is not None and seen.mode == "group":
        async with context.db.read() as conn:
            schools = await store.meeting_schools(conn, seen.meeting_id)
    # What is read: the requester's name, school and question.
    await audit_read(context, "mentor_request", seen.id, status=seen.status)
    rows = []
    if mine and seen.status == "offered":
        rows.append(offer_buttons(lang, seen.id))
    elif mine and seen.status == "accepted":
        rows.append([SET_TIME(label(lang, "🗓 Set the time"), seen.id)])
    elif mine and seen.status == "scheduled" and seen.meeting_status == "scheduled":
        if seen.starts_at > now:
            rows.append([CANCEL_MEETING(label(lang, "❌ Cancel the meeting"), seen.id)])
        else:
            rows.extend(log_buttons(lang, seen))
    if mine and seen.status in store.TALK:
        rows.append([write_button(lang, seen.id, mentor=True)])
    rows.append([DESK(label(lang, "◀ My requests"))])
    await reply(
        update,
        context,
        "mentors/request",
        keyboard(rows),
        edit=edit,
        request=seen,
        mine=mine,
        schools=schools,
        nudge=False,
        tz=context.tz,
    )


async def _still_mine(context: JinroContext, seen) -> bool:
    async with context.db.read() as conn:
        request = await store.get(conn, seen.id)
    return request is not None and request.mentor_id == _mentor_id(context)


async def _mine_while(context: JinroContext, request_id: int, status: str):
    """The request as this mentor sees it while it is theirs and still `status`, else None."""
    seen = await _seen(context, request_id)
    if seen is None or seen.status != status or not await _still_mine(context, seen):
        return None
    return seen


def back_to_desk(lang: str):
    """The one button under what a finished step says: back to the mentor's requests."""
    return keyboard([[DESK(label(lang, "◀ My requests"))]])


def offer_buttons(lang: str, request_id: int) -> list:
    return [
        ACCEPT(label(lang, "✅ Accept"), request_id),
        DECLINE(label(lang, "❌ Decline"), request_id),
    ]


def log_buttons(lang: str, seen) -> list:
    length = int((seen.ends_at - seen.starts_at).total_seconds() // 60) if seen.ends_at else 60
    return [
        [HELD(label(lang, "✅ Held, %(count)s min", count=length), seen.id, length)],
        [
            HELD_OTHER(label(lang, "✅ Held, another length"), seen.id),
            NOT_HELD(label(lang, "❌ Not held"), seen.id),
        ],
    ]
