"""The mentor answers an offer: accept, then set the time from their free slots with an online
link or a place; or decline, with an optional reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, keyboard, reply, set_flow, stale_button, text_step
from handlers.common.handled import (
    PROMPT,
    pressed_message_id,
    settle_message,
    settle_pressed,
    settle_prompt,
)
from handlers.common.shorten import ask_to_shorten
from handlers.common.told import student_hears_at
from handlers.mentors.buttons import (
    ACCEPT,
    AT_SCHOOL,
    DECLINE,
    DECLINE_NOW,
    DESK,
    KEEP,
    SET_TIME,
    SLOTS,
    TIME,
)
from handlers.mentors.common import REASON_MAX, _leave_flow, _mentor_id, _now_and_window, when_label
from handlers.mentors.desk import _mine_while, _seen, _still_mine, back_to_desk, show_request
from handlers.mentors.talk import write_button
from messages import label
from messages.labels import N_
from storage import commitments
from storage import mentors as store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound

TIME_BUTTONS = 8
NO_LONGER_OPEN = N_("⏹ No longer open to you")
_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
PLACE_MAX, LINK_MAX = 200, 300  # what a meeting keeps (storage/mentors/meetings.py)


@ACCEPT.handles
async def accept_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    await answer_query(update)  # first: the race is decided in the database, not here
    try:
        async with context.db.write() as conn:
            await store.accept(conn, request_id, context.user, now=context.now)
    except NotFound:
        await settle_pressed(update, context, label(context.lang, NO_LONGER_OPEN))
        await reply(update, context, "mentors/gone")
        return
    except AlreadyHandled:
        await settle_pressed(update, context, label(context.lang, NO_LONGER_OPEN))
        await reply(update, context, "mentors/taken")
        return
    outbox.kick(context)  # the requester hears a mentor took it
    await settle_pressed(update, context, label(context.lang, "✅ Accepted"))
    await ask_time(update, context, request_id, edit=False, accepted=True, answered=True)


@SET_TIME.handles
async def ask_time(
    update: Update,
    context: JinroContext,
    request_id: int,
    *,
    edit=True,
    accepted=False,
    answered=False,
) -> None:
    """The mentor's free times as buttons; `answered`: the press was answered already."""
    seen = await _mine_while(context, request_id, "accepted")
    if seen is None:
        if not answered:
            await stale_button(update, context)
        return
    if not answered:
        await answer_query(update)
    # A time may be typed instead ("내일 오후 4시"): handlers/mentors/meeting_time.py reads it.
    await set_flow(context, "mn.time", {"r": request_id})
    async with context.db.read() as conn:
        free = await store.free_openings(conn, _mentor_id(context), now=context.now, tz=context.tz)
        # The requester's preferred times first.
        free.sort(
            key=lambda o: (
                bool(seen.times) and store.time_bucket(o.starts_at, context.tz) not in seen.times,
                o.starts_at,
            )
        )
        free = free[:TIME_BUTTONS]
        # A student's other commitments at each time shown (one query): the mentor picks
        # knowing of them; a warning, nothing is refused.
        spans = [(o.starts_at, o.ends_at) for o in free]
        clashes = await commitments.for_requester(conn, request_id, spans)
    lang = context.lang
    rows = [
        [
            TIME(
                ("⚠️ " if place in clashes else "") + when_label(lang, o.starts_at, context.tz),
                request_id,
                int(o.starts_at.timestamp() // 60),
            )
        ]
        for place, o in enumerate(free)
    ]
    # No free time suits? A word to the requester first (handlers/mentors/talk.py).
    rows.append([write_button(lang, request_id, mentor=True)])
    rows.append([SLOTS(label(lang, "🗓 Free times")), DESK(label(lang, "◀ My requests"))])
    await reply(
        update,
        context,
        "mentors/ask_time",
        keyboard(rows),
        edit=edit,
        request=seen,
        accepted=accepted,
        any_free=bool(free),
        busy=[
            {"when": when_label(lang, free[place].starts_at, context.tz), "clashes": found}
            for place, found in sorted(clashes.items())
        ],
        tz=context.tz,
    )


@TIME.handles
async def time_chosen(update: Update, context: JinroContext, request_id: int, minutes: int):
    seen = await _mine_while(context, request_id, "accepted")
    if seen is None:
        await stale_button(update, context)
        return
    starts_at = datetime.fromtimestamp(minutes * 60, UTC)
    async with context.db.read() as conn:
        free = await store.free_openings(conn, _mentor_id(context), now=context.now, tz=context.tz)
    if starts_at not in {o.starts_at for o in free}:
        await answer_query(update, label(context.lang, "That time is no longer free."), alert=True)
        await ask_time(update, context, request_id, answered=True)
        return
    await answer_query(update)
    # The times become the question of the place (or link); a place typed settles it.
    data = {"r": request_id, "t": starts_at.isoformat(), PROMPT: pressed_message_id(update)}
    if seen.mode == "visit":
        await set_flow(context, "mn.place", data)
        text = label(context.lang, "🏫 At %(school)s", school=seen.school)
        rows = [[AT_SCHOOL(text[:60], request_id)]]
        await reply(
            update,
            context,
            "mentors/ask_place",
            keyboard(rows),
            edit=True,
            request=seen,
            problem=None,
        )
    else:
        await set_flow(context, "mn.link", data)
        await reply(update, context, "mentors/ask_link", edit=True, request=seen, problem=None)


@text_step("mn.link")
async def link_typed(update: Update, context: JinroContext) -> None:
    text = update.message.text.strip()
    if _LINK.match(text) and len(text) > LINK_MAX:  # a link it is, too long to keep
        await ask_to_shorten(update, context, len(text), LINK_MAX)
        return
    if not _LINK.match(text):
        await reply(update, context, "mentors/ask_link", request=None, problem="link")
        return
    await _schedule(update, context, link=text)


@text_step("mn.place")
async def place_typed(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())
    if len(text) > PLACE_MAX:
        await ask_to_shorten(update, context, len(text), PLACE_MAX)
        return
    if len(text) < 2:
        await reply(update, context, "mentors/ask_place", request=None, problem="place")
        return
    await _schedule(update, context, place=text)


@AT_SCHOOL.handles
async def at_school(update: Update, context: JinroContext, request_id: int) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "mn.place" or data.get("r") != request_id:
        await stale_button(update, context)
        return
    seen = await _seen(context, request_id)
    if seen is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _schedule(update, context, place=seen.school)


async def _schedule(update: Update, context: JinroContext, *, place=None, link=None) -> None:
    data = context.user.flow_data or {}
    request_id = data.get("r")
    await settle_prompt(context, data)  # the question's "at the school" is answered
    try:
        starts_at = datetime.fromisoformat(data["t"])
        async with context.db.write() as conn:
            await store.schedule(
                conn,
                request_id,
                context.user,
                starts_at=starts_at,
                place=place,
                link=link,
                now=context.now,
                tz=context.tz,
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except (KeyError, TypeError, ValueError, NotFound, AlreadyHandled):
        await set_flow(context, None)
        await reply(update, context, "mentors/gone")
        return
    except store.Refused:
        await set_flow(context, None)
        await reply(update, context, "mentors/slot_taken")
        await ask_time(update, context, request_id, edit=False)
        return
    outbox.kick(context)  # the requester's news of the meeting
    seen = await _seen(context, request_id)
    async with context.db.read() as conn:  # both sides' other commitments then: a warning
        clashes = await commitments.of_meeting(conn, request_id)
    await reply(
        update,
        context,
        "mentors/scheduled",
        back_to_desk(context.lang),
        request=seen,
        clashes=clashes,
        tz=context.tz,
        # The student hears of it in the morning when it is set in quiet hours.
        told_at=None if seen.teacher else student_hears_at(context.now, context.tz),
    )


@DECLINE.handles
async def decline_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    seen = await _seen(context, request_id)
    if seen is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    if seen.status != "offered" or not await _still_mine(context, seen):
        await settle_pressed(update, context, label(context.lang, NO_LONGER_OPEN))
        await reply(update, context, "mentors/taken")
        return
    # The offer becomes the question (◀ Keep it shows the offer again); its id is kept so
    # that a typed reason settles it.
    await set_flow(context, "mn.decline", {"r": request_id, "m": pressed_message_id(update)})
    lang = context.lang
    rows = [
        [DECLINE_NOW(label(lang, "Decline without a reason"), request_id)],
        [KEEP(label(lang, "◀ Keep it"), request_id)],
    ]
    await reply(update, context, "mentors/ask_decline", keyboard(rows), edit=True, limit=REASON_MAX)


@text_step("mn.decline")
async def decline_reason_typed(update: Update, context: JinroContext) -> None:
    reason = " ".join(update.message.text.split())
    if len(reason) > REASON_MAX:
        await ask_to_shorten(update, context, len(reason), REASON_MAX)
        return
    await _decline(update, context, (context.user.flow_data or {}).get("r"), reason)


@DECLINE_NOW.handles
async def decline_now(update: Update, context: JinroContext, request_id: int) -> None:
    if context.user.flow != "mn.decline" or (context.user.flow_data or {}).get("r") != request_id:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _decline(update, context, request_id, None)


async def _decline(update: Update, context: JinroContext, request_id, reason) -> None:
    prompt = (context.user.flow_data or {}).get("m")
    try:
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, None)
            await store.decline(
                conn, request_id or 0, context.user, reason, **_now_and_window(context)
            )
    except (NotFound, AlreadyHandled):
        await set_flow(context, None)
        await _settle_prompt(update, context, prompt, NO_LONGER_OPEN)
        await reply(update, context, "mentors/taken")
        return
    outbox.kick(context)  # the next mentor's offer
    if update.callback_query is None:  # a typed reason: the question above is settled
        await settle_message(context, prompt, label(context.lang, "❌ Declined"))
    await reply(
        update,
        context,
        "mentors/declined",
        back_to_desk(context.lang),
        edit=update.callback_query is not None,
    )


async def _settle_prompt(update: Update, context: JinroContext, prompt, outcome: str) -> None:
    """The question with buttons the mentor answered, pressed or typed, says `outcome`."""
    if update.callback_query is not None:
        await settle_pressed(update, context, label(context.lang, outcome))
    else:
        await settle_message(context, prompt, label(context.lang, outcome))


@KEEP.handles
async def keep_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    await answer_query(update)
    await _leave_flow(context)
    seen = await _seen(context, request_id)
    if seen is None:
        await reply(update, context, "mentors/gone")
        return
    await show_request(update, context, seen)
