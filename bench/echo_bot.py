"""A bare python-telegram-bot echo bot: the yardstick the updates benchmark compares against.

Default PTB settings (one update at a time), no database, no templates: what
is left is the cost of PTB and HTTP alone.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters


async def echo(update: Update, context) -> None:
    await update.effective_chat.send_message(update.message.text)


async def press(update: Update, context) -> None:
    await update.callback_query.answer()


def main(token: str, api_base: str) -> None:
    application = ApplicationBuilder().token(token).base_url(api_base).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(press))
    application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=10)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
