"""A bare python-telegram-bot echo bot: the yardstick the updates benchmark compares against.

Default PTB settings (one update at a time), no database, no templates: what
is left is the cost of PTB and HTTP alone.

`--like-jinro`: making the Bot API calls Jinro makes for each update of the benchmark's
script (a press is answered and its message edited, as Jinro's screens are; a text gets one
message), and like Jinro handling up to 64 updates at once (the default one at a time waits
out every round trip, which with two calls a press halves its rate): the second yardstick,
PTB and HTTP doing Jinro's calls with nothing else, tells how much of Jinro's cost is its
own work and how much the calls its screens need.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters


async def echo(update: Update, context) -> None:
    await update.effective_chat.send_message(update.message.text)


async def press(update: Update, context) -> None:
    await update.callback_query.answer()


async def press_and_edit(update: Update, context) -> None:
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(f"pressed {update.callback_query.data}")


def main(token: str, api_base: str, like_jinro: bool = False) -> None:
    builder = ApplicationBuilder().token(token).base_url(api_base)
    application = (builder.concurrent_updates(64) if like_jinro else builder).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(press_and_edit if like_jinro else press))
    application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=10)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], like_jinro="--like-jinro" in sys.argv[3:])
