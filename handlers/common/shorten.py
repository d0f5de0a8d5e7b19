"""A typed text a step cannot take is never just refused: it comes back in full.

Whatever the step (a reason, a note, a comment, a message in a case, a broadcast, the names of
class seats), the person is told what does not fit (how long it is and what fits, or which
names and why) and gets their text back as they sent it, tap-to-copy, to fix and send again;
the step stays where it was. Nothing they wrote is kept by the bot.

The text comes back whole, never cut: under the words when both fit in one message (4,096
characters as Telegram counts them), else in a message of its own after them.
"""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import send, speaks_formally
from handlers.common.lengths import MESSAGE_MAX, shown_length, telegram_length
from messages import render


async def ask_to_shorten(update: Update, context: JinroContext, length: int, limit: int) -> None:
    """`length` (as the step counts it) is over `limit`: say so, with the text sent back."""
    await reply_giving_back(update, context, "common/too_long", length=length, limit=limit)


async def reply_giving_back(update: Update, context: JinroContext, template: str, **values) -> None:
    """Answer with `template` and the person's text given back to copy: the template shows
    it (`typed`, common/typed_back) unless it follows `apart`, in messages of its own."""
    typed = typed_text(update)
    values.setdefault("formal", speaks_formally(context.user))
    lang, chat_id = context.lang, update.effective_chat.id
    whole = render(template, lang, typed=typed, apart=False, **values)
    if shown_length(whole) <= MESSAGE_MAX:
        await send(context, chat_id, whole)
        return
    await send(context, chat_id, render(template, lang, typed="", apart=True, **values))
    await send_back(update, context)


async def send_back(update: Update, context: JinroContext) -> None:
    """The person's text alone, tap-to-copy, in as few messages as Telegram takes (one, for
    anything Telegram let them send)."""
    for part in pieces(typed_text(update), MESSAGE_MAX):
        text = render("common/typed_back", context.lang, typed=part)
        await send(context, update.effective_chat.id, text)


def typed_text(update: Update) -> str:
    """What the person sent: the message's text, or a photo's or a file's caption."""
    message = update.message
    return (message.text or message.caption or "") if message is not None else ""


def pieces(text: str, limit: int) -> list[str]:
    """`text` in as few pieces as Telegram takes, each at most `limit` long as it counts. A
    message from Telegram is one piece; only a longer text is split (never shortened)."""
    if telegram_length(text) <= limit:
        return [text]
    found, start, length = [], 0, 0
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1  # beyond the first plane: two code units
        if length + width > limit:
            found.append(text[start:index])
            start, length = index, 0
        length += width
    return [*found, text[start:]]
