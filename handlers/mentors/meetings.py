"""A meeting, for its mentor: cancelling it with a reason, logging it held (its length) or not
held, and a note after."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, keyboard, reply, set_flow, stale_button, text_step
from handlers.common.handled import pressed_message_id, settle_message
from handlers.common.shorten import ask_to_shorten
from handlers.common.told import student_hears_at
from handlers.mentors.buttons import CANCEL_MEETING, HELD, HELD_OTHER, KEEP, NOT_HELD, SKIP_NOTE
from handlers.mentors.common import NOTE_MAX, REASON_MAX, _now_and_window
from handlers.mentors.desk import _seen, _still_mine, back_to_desk, show_board
from messages import label
from storage import mentors as store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role

MINUTES = (30, 45, 60, 90, 120)


# ----- cancelling and logging a meeting -------------------------------------------------------


@CANCEL_MEETING.handles
async def cancel_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    seen = await _seen(context, request_id)
    if seen is None or seen.meeting_status != "scheduled" or not await _still_mine(context, seen):
        await stale_button(update, context)
        return
    await answer_query(update)
    # The request's screen becomes the question (◀ Keep it shows it again); its id is kept
    # so that the typed reason settles it.
    await set_flow(context, "mn.cancel", {"r": request_id, "m": pressed_message_id(update)})
    rows = [[KEEP(label(context.lang, "◀ Keep it"), request_id)]]
    await reply(
        update,
        context,
        "mentors/ask_cancel",
        keyboard(rows),
        edit=True,
        request=seen,
        tz=context.tz,
    )


@text_step("mn.cancel")
async def cancel_reason_typed(update: Update, context: JinroContext) -> None:
    reason = " ".join(update.message.text.split())
    if len(reason) > REASON_MAX:
        await ask_to_shorten(update, context, len(reason), REASON_MAX)
        return
    if len(reason) < 2:
        await reply(update, context, "mentors/too_short", length=len(reason), limit=REASON_MAX)
        return

    concerned: list[int] = []  # the requests the cancelled meeting was for

    async def cancel(conn, meeting_id: int) -> None:
        window = _now_and_window(context)
        concerned[:] = await store.cancel_meeting(conn, meeting_id, context.user, reason, **window)

    prompt = (context.user.flow_data or {}).get("m")
    if not await _on_the_meeting(update, context, cancel, (NotFound, AlreadyHandled)):
        await settle_message(context, prompt, label(context.lang, "⏹ No longer open to you"))
        return
    outbox.kick(context)  # the requesters hear, and a one-to-one request goes on
    await settle_message(context, prompt, label(context.lang, "❌ Meeting cancelled"))
    when = await _student_hears_at(context, concerned)
    await reply(
        update,
        context,
        "mentors/meeting_cancelled",
        back_to_desk(context.lang),
        when=when,
        tz=context.tz,
    )


async def _student_hears_at(context: JinroContext, request_ids: list[int]):
    """When the students among the requesters hear that the meeting is off, if not at once
    (handlers/common/told.py); None when none of them is a student."""
    async with context.db.read() as conn:
        for request_id in request_ids:
            request = await store.get(conn, request_id)
            person = await users_store.get(conn, request.requester_id) if request else None
            if person is not None and person.role == Role.STUDENT:
                return student_hears_at(context.now, context.tz)
    return None


async def _meeting_id(conn, request_id: int) -> int:
    """The meeting of a request; NotFound when there is none (or no such request)."""
    request = await store.get(conn, request_id)
    if request is None or request.meeting_id is None:
        raise NotFound
    return request.meeting_id


async def _on_the_meeting(update: Update, context: JinroContext, step, gone=(NotFound,)) -> bool:
    """Do `step(conn, meeting_id)` to the meeting of the request the mn.* flow names (what
    the mentor typed: a reason to cancel, a note), ending the flow in the same transaction;
    False, the mentor told, when it is `gone` (no such meeting, or it changed)."""
    request_id = (context.user.flow_data or {}).get("r")
    try:
        async with context.db.write() as conn:
            await step(conn, await _meeting_id(conn, request_id or 0))
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except gone:
        await set_flow(context, None)
        await reply(update, context, "mentors/gone")
        return False
    return True


@HELD.handles
async def held_pressed(update: Update, context: JinroContext, request_id: int, minutes: int):
    await _log(update, context, request_id, held=True, minutes=minutes)


@NOT_HELD.handles
async def not_held_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    await _log(update, context, request_id, held=False, minutes=None)


@HELD_OTHER.handles
async def other_length(update: Update, context: JinroContext, request_id: int) -> None:
    seen = await _seen(context, request_id)
    if seen is None or seen.meeting_status != "scheduled":
        await stale_button(update, context)
        return
    await answer_query(update)
    lang = context.lang
    rows = [[HELD(label(lang, "%(count)s min", count=m), request_id, m) for m in MINUTES]]
    rows.append([NOT_HELD(label(lang, "❌ Not held"), request_id)])
    await reply(
        update,
        context,
        "mentors/ask_length",
        keyboard(rows),
        edit=True,
        request=seen,
        tz=context.tz,
    )


async def _log(update: Update, context: JinroContext, request_id: int, *, held, minutes):
    """Held (`minutes` long, within the button's bounds) or not; logged already, or a
    meeting not yet begun, is answered by the router (buttons.LOGGING)."""
    async with context.db.write() as conn:
        meeting_id = await _meeting_id(conn, request_id)
        await store.log_meeting(
            conn, meeting_id, context.user, held=held, minutes=minutes, now=context.now
        )
    await answer_query(update)
    outbox.kick(context)  # the requesters' rating question
    await set_flow(context, "mn.note", {"r": request_id, "m": pressed_message_id(update)})
    rows = [[SKIP_NOTE(label(context.lang, "Skip the note"))]]
    await reply(
        update, context, "mentors/logged", keyboard(rows), edit=True, held=held, minutes=minutes
    )


@text_step("mn.note")
async def note_typed(update: Update, context: JinroContext) -> None:
    note = " ".join(update.message.text.split())
    if len(note) > NOTE_MAX:
        await ask_to_shorten(update, context, len(note), NOTE_MAX)
        return

    async def keep_note(conn, meeting_id: int) -> None:
        await store.note_meeting(conn, meeting_id, context.user, note)

    prompt = (context.user.flow_data or {}).get("m")
    if await _on_the_meeting(update, context, keep_note):
        await settle_message(context, prompt, label(context.lang, "📝 Note saved"))
        await reply(update, context, "mentors/noted", back_to_desk(context.lang))


@SKIP_NOTE.handles
async def skip_note(update: Update, context: JinroContext) -> None:
    if context.user.flow != "mn.note":
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, None)
    await show_board(update, context, edit=True)
