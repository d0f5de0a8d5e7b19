"""A typed text longer than its step takes is never just refused: it comes back in full.

Whatever the step (a reason, a note, a comment, a message in a case), the person is told how
long it is and what fits, and gets their text back as they sent it, tap-to-copy, to shorten
and send again; the step stays where it was. Nothing they wrote is kept by the bot.
"""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import reply

# What is given back: a message holds 4,096 characters, and the words around the text need
# some (Telegram takes no longer text anyway, so this cuts only a caption of a long photo).
ECHO_MAX = 3500


async def ask_to_shorten(update: Update, context: JinroContext, length: int, limit: int) -> None:
    """`length` (as the step counts it) is over `limit`: say so, with the text sent back."""
    message = update.message
    typed = (message.text or message.caption or "") if message is not None else ""
    await reply(
        update,
        context,
        "common/too_long",
        typed=typed[:ECHO_MAX],
        cut=len(typed) > ECHO_MAX,
        length=length,
        limit=limit,
    )
