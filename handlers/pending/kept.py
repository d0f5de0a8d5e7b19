"""A request the teacher did not reject after all, shown as it was asked: its student, session
and the student's other commitments then, with ✅ and ❌ again (the notice's buttons, no
page). "Do not reject" brings it back on the message the ❌ was pressed on; so does a
question of a reason left behind (another ❌ pressed, /pending sent), which would otherwise
ask for a reason that no longer goes anywhere."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from bot.context import JinroContext
from handlers.common import keyboard
from handlers.common.handled import settle_message
from handlers.pending.buttons import CONFIRM, REJECT
from messages import label, render
from storage import commitments
from storage import pending as pending_store
from storage.errors import NotFound

log = logging.getLogger(__name__)


def decide_keyboard(lang: str, booking_id: int) -> InlineKeyboardMarkup | None:
    """✅ and ❌ as under the notice of a new request (no page: they answer like its)."""
    return keyboard(
        [
            [
                CONFIRM(label(lang, "✅ Confirm"), booking_id),
                REJECT(label(lang, "❌ Reject"), booking_id),
            ]
        ]
    )


async def clashes_of(context: JinroContext, request) -> list:
    """The student's other commitments at the request's time: the teacher decides knowing."""
    async with context.db.read() as conn:
        return await commitments.of_request(conn, request)


async def restore_request(context: JinroContext, message_id: object, booking_id: object) -> None:
    """The question of a reason on `message_id` is no longer asked: the request comes back
    there with ✅ and ❌ while it waits, or says it was decided."""
    if not isinstance(message_id, int) or not isinstance(booking_id, int):
        return
    try:
        async with context.db.read() as conn:
            request = await pending_store.request_for_teacher(conn, booking_id, context.user)
    except NotFound:
        request = None
    if request is None or request.status != "requested":
        await settle_message(context, message_id, label(context.lang, "⏹ Already decided"))
        return
    clashes = await clashes_of(context, request)
    text = render("pending/kept", context.lang, request=request, clashes=clashes, tz=context.tz)
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=context.user.id,
            message_id=message_id,
            reply_markup=decide_keyboard(context.lang, booking_id),
        )
    except (BadRequest, Forbidden) as error:
        log.info("could not give a request back: %s", error)
