"""Messages whose buttons no longer work: they lose their keyboard and say what happened.

A press that settles something (accept, decline, confirm, reject) leaves the message it was
pressed on with buttons that can only get "already handled" from now on. Rather than leave
them to be pressed, the message is edited: its text stays as it was (the record of what was
decided on) with the outcome as its last line, e.g. "✅ 수락했습니다", and no keyboard. A
prompt answered by typing (a reason, a note) is known only by its id when the answer comes:
it becomes the outcome alone, the question it asked being settled.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden

from bot.context import JinroContext

log = logging.getLogger(__name__)


async def settle_pressed(update: Update, context: JinroContext, outcome: str) -> None:
    """The pressed message keeps its text, gets `outcome` (plain text) as its last line and
    loses its buttons. Nothing to do when the press came from no message one can edit."""
    query = update.callback_query
    message = query.message if query is not None else None
    if not isinstance(message, Message):
        return
    line = escape(outcome)
    try:
        if message.text is not None:
            await message.edit_text(f"{message.text_html}\n\n{line}", reply_markup=None)
        elif message.caption is not None:
            await message.edit_caption(f"{message.caption_html}\n\n{line}", reply_markup=None)
        else:
            await message.edit_reply_markup(None)
    except BadRequest as error:
        # Already settled (the same press twice), too long with the line, or gone: at least
        # the buttons go.
        if "not modified" not in str(error).lower():
            await _drop_keyboard(message)
    except Forbidden:
        pass


async def _drop_keyboard(message: Message) -> None:
    try:
        await message.edit_reply_markup(None)
    except (BadRequest, Forbidden) as error:
        log.info("could not take old buttons away: %s", error)


def pressed_message_id(update: Update) -> int | None:
    """The id of the pressed message: a flow that asks to type something on it keeps it, to
    settle the message when the typed answer comes (settle_message)."""
    query = update.callback_query
    message = query.message if query is not None else None
    return message.message_id if isinstance(message, Message) else None


async def settle_message(context: JinroContext, message_id: object, outcome: str) -> None:
    """A message of the user's own chat whose buttons no longer work, known by its id (kept
    in the flow's data: anything else is ignored): it becomes `outcome`, without buttons."""
    if not isinstance(message_id, int) or context.user is None:
        return
    try:
        await context.bot.edit_message_text(
            escape(outcome), chat_id=context.user.id, message_id=message_id, reply_markup=None
        )
    except (BadRequest, Forbidden) as error:
        log.info("could not settle an old message: %s", error)
