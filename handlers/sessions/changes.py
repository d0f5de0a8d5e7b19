"""Changing a session that has not started: a new capacity (new seats go to the waiting
list), or cancelling it with a reason (everyone booked and their teachers are told)."""

from __future__ import annotations

from typing import NamedTuple

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, keyboard, reply, set_flow, stale_button, text_step
from handlers.common.handled import settle_pressed
from handlers.common.shorten import ask_to_shorten
from handlers.sessions.buttons import CANCEL, CANCEL_NOW, CAPACITY, LIST, OPEN
from handlers.sessions.helpers import MAX_CAPACITY, REASON_MAX, _count, _gone, _site_id
from handlers.sessions.listing import _own_open_session, show_session
from messages import label
from storage import sessions as store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound

# ----- capacity -------------------------------------------------------------------------------


async def _start_change(update: Update, context: JinroContext, session_id: int, flow: str):
    """The site's own session that has not started, the press answered and the site put in
    `flow` for what it types next (a capacity, a reason); None when it may not change it
    (the press answered)."""
    session = await _own_open_session(update, context, session_id)
    if session is not None:
        await answer_query(update)
        await set_flow(context, flow, {"s": session_id})
    return session


async def _typed_about(update: Update, context: JinroContext, session_id):
    """The site's session a typed step is about; None once it is gone (the site told)."""
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
    if session is None:
        await _gone(update, context)
    return session


@CAPACITY.handles
async def ask_capacity(update: Update, context: JinroContext, session_id: int) -> None:
    session = await _start_change(update, context, session_id, "ss.size")
    if session is None:
        return
    await reply(update, context, "sessions/ask_new_capacity", session=session, problem=None)


@text_step("ss.size")
async def capacity_typed(update: Update, context: JinroContext) -> None:
    session_id = context.user.flow_data.get("s")
    capacity = _count(update.message.text)
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        await _ask_capacity_again(update, context, session_id, "number")
        return
    try:
        async with context.db.write() as conn:
            resized = await store.change_capacity(
                conn,
                session_id,
                _site_id(context),
                capacity,
                actor=context.user.id,
                now=context.now,
                offer=context.settings.offer,
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await _gone(update, context)
        return
    except store.Refused as refused:
        if refused.reason == "below_held":
            await _ask_capacity_again(update, context, session_id, "below_held")
        else:
            await set_flow(context, None)
            await reply(update, context, "sessions/closed")
        return
    await reply(
        update,
        context,
        "sessions/resized",
        before=resized.before,
        after=resized.after,
        offered=len(resized.offered),
    )
    outbox.kick(context)  # offers of the new seats to the waiting list
    await show_session(update, context, session_id, edit=False)


async def _ask_capacity_again(update, context, session_id, problem: str) -> None:
    session = await _typed_about(update, context, session_id)
    if session is None:
        return
    await reply(update, context, "sessions/ask_new_capacity", session=session, problem=problem)


# ----- cancelling a session -------------------------------------------------------------------


@CANCEL.handles
async def ask_reason(update: Update, context: JinroContext, session_id: int) -> None:
    session = await _start_change(update, context, session_id, "ss.why")
    if session is None:
        return
    await reply(
        update, context, "sessions/ask_reason", session=session, problem=None, tz=context.tz
    )


@text_step("ss.why")
async def reason_typed(update: Update, context: JinroContext) -> None:
    session_id = context.user.flow_data.get("s")
    reason = " ".join(update.message.text.split())
    session = await _typed_about(update, context, session_id)
    if session is None:
        return
    if len(reason) > REASON_MAX:
        await ask_to_shorten(update, context, len(reason), REASON_MAX)
        return
    if len(reason) < 2:
        await reply(
            update,
            context,
            "sessions/ask_reason",
            session=session,
            problem="short",
            tz=context.tz,
        )
        return
    await set_flow(context, "ss.sure", {"s": session_id, "r": reason})
    lang = context.lang
    rows = [
        [CANCEL_NOW(label(lang, "❌ Yes, cancel the session"), session_id)],
        [OPEN(label(lang, "◀ Keep it"), session_id, 0)],
    ]
    async with context.db.read() as conn:
        people = await store.roster(conn, session_id, statuses=store.ACTIVE_STATUSES)
        seats, blocked = _out_of_reach(people, await store.teachers_to_tell(conn, people))
    await reply(
        update,
        context,
        "sessions/confirm_cancel",
        keyboard(rows),
        session=session,
        reason=reason,
        out_of_reach=sum(group.count for group in seats) + len(blocked),
        tz=context.tz,
    )


@CANCEL_NOW.handles
async def cancel_now(update: Update, context: JinroContext, session_id: int) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "ss.sure" or data.get("s") != session_id:
        await stale_button(update, context)  # an old confirmation, or forged
        return
    try:
        async with context.db.write() as conn:
            affected = await store.cancel_session(
                conn,
                session_id,
                _site_id(context),
                data["r"],
                actor=context.user.id,
                now=context.now,
            )
            teachers = await store.teachers_to_tell(conn, affected)
            session = await store.site_session(conn, session_id, _site_id(context))
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except (AlreadyHandled, store.Refused):
        await set_flow(context, None)
        text = label(context.lang, "This session has started or was cancelled; it cannot change.")
        await answer_query(update, text, alert=True)
        await settle_pressed(update, context, text)
        return
    await answer_query(update)
    outbox.kick(context)  # the students' and the teachers' notices
    students = sum(1 for b in affected if b.student_id is not None and b.active)
    seats, blocked = _out_of_reach(affected, teachers)
    await reply(
        update,
        context,
        "sessions/cancelled",
        keyboard([[LIST(label(context.lang, "◀ Back to the list"), 0)]]),
        edit=True,
        session=session,
        students=students,
        teachers=len(teachers),
        seats=seats,
        blocked=blocked,
        tz=context.tz,
    )


class SeatsOutOfReach(NamedTuple):
    """Class seats of one school whose students have no Telegram account here."""

    school: str
    count: int
    told: bool  # the teacher who booked them was told


class StudentOutOfReach(NamedTuple):
    """A student who stopped the bot's messages."""

    student: object  # their booking row (name, school)
    told: bool  # a teacher of theirs was told


def _out_of_reach(affected, teachers) -> tuple[list[SeatsOutOfReach], list[StudentOutOfReach]]:
    """Of the bookings a cancellation ended, those whose student the bot cannot tell: class
    seats (a typed name, no Telegram account) by school, and students who stopped the bot
    (inactive), each with whether a teacher was told."""
    covered = {booking.id for _, theirs in teachers for booking in theirs}
    seats: dict[tuple[str, bool], int] = {}
    blocked = []
    for booking in affected:
        if booking.student_id is None:
            key = (booking.school, booking.id in covered)
            seats[key] = seats.get(key, 0) + 1
        elif not booking.active:
            blocked.append(StudentOutOfReach(booking, booking.id in covered))
    return [SeatsOutOfReach(s, count, told) for (s, told), count in seats.items()], blocked
