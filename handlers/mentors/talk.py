"""Words within a request: its mentor and its requester write to each other, and the bot
relays them (storage/mentors/talk.py), each side seeing the other only as the request names
them: the mentor sees the student's first name (or the teacher's name), the requester the
mentor's name; never a Telegram account. A message comes as a notice with a reply button,
so an answer goes back within the same request.
"""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import (
    answer_query,
    keyboard,
    reply,
    set_flow,
    speaks_formally,
    stale_button,
    text_step,
)
from handlers.common.handled import asked
from handlers.common.shorten import ask_to_shorten
from handlers.mentors.buttons import ASK_WRITE, DESK, MY_REQUEST, WRITE
from messages import label
from messages.labels import N_
from storage import mentors as store
from storage import users as users_store
from storage.errors import NotFound

# The answer to a press on a request that no longer takes words, to adults and to students.
CLOSED = N_("This request no longer takes messages.")
CLOSED_STUDENT = N_("This request doesn't take messages any more.")


def write_button(lang: str, request_id: int, *, mentor: bool):
    """The button that opens a message to the other side of the request."""
    if mentor:
        return WRITE(label(lang, "💬 Write to the requester"), request_id)
    return ASK_WRITE(label(lang, "💬 Write to the mentor"), request_id)


def reply_button(lang: str, request_id: int, *, mentor: bool):
    """Under a relayed message: answer it within the request."""
    button = WRITE if mentor else ASK_WRITE
    return button(label(lang, "↩️ Reply"), request_id)


def _back(lang: str, request_id: int, *, mentor: bool):
    if mentor:
        return DESK(label(lang, "◀ My requests"))
    return MY_REQUEST(label(lang, "◀ The request"), request_id)


async def _talking(update: Update, context: JinroContext, request_id: int, *, mentor: bool):
    """The request while this user is its `mentor` side (or its requester) and it takes
    words; None, the press answered, otherwise."""
    async with context.db.read() as conn:
        request = await store.get(conn, request_id)
    side = store.side_of(request, context.user) if request is not None else None
    if side != ("mentor" if mentor else "requester"):
        await stale_button(update, context)
        return None
    if not store.may_talk(request):
        text = CLOSED if speaks_formally(context.user) else CLOSED_STUDENT
        await answer_query(update, label(context.lang, text), alert=True)
        return None
    await answer_query(update)
    return request


async def _ask(update: Update, context: JinroContext, request_id: int, *, mentor: bool) -> None:
    request = await _talking(update, context, request_id, mentor=mentor)
    if request is None:
        return
    await set_flow(context, "mn.write" if mentor else "rq.write", {"r": request_id})
    shown = await reply(
        update,
        context,
        "mentoring/ask_message",
        keyboard([[_back(context.lang, request_id, mentor=mentor)]]),
        to_mentor=not mentor,
        field=request.field,
        limit=store.MESSAGE_MAX,
    )
    await asked(context, shown)  # the message written settles it


@WRITE.handles
async def mentor_writes(update: Update, context: JinroContext, request_id: int) -> None:
    await _ask(update, context, request_id, mentor=True)


@ASK_WRITE.handles
async def requester_writes(update: Update, context: JinroContext, request_id: int) -> None:
    await _ask(update, context, request_id, mentor=False)


@text_step("mn.write", "rq.write")
async def message_typed(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())
    mentor = context.user.flow == "mn.write"
    request_id = (context.user.flow_data or {}).get("r")
    if len(text) > store.MESSAGE_MAX:
        await ask_to_shorten(update, context, len(text), store.MESSAGE_MAX)
        return
    try:
        async with context.db.write() as conn:
            await store.write_message(conn, request_id or 0, context.user, text, now=context.now)
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except (NotFound, store.Refused):
        await set_flow(context, None)
        await reply(update, context, "mentoring/message_closed")
        return
    outbox.kick(context)  # the other side gets it now
    back = keyboard([[_back(context.lang, request_id, mentor=mentor)]])
    await reply(update, context, "mentoring/message_sent", back, to_mentor=not mentor)
