"""Last in line: typed text goes to the user's current flow step; everything else no area
took (unknown commands, stickers, photos, old or forged buttons) gets a short answer."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import JinroContext
from handlers.common import reply, route_media, route_text, stale_button

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/unknown_command")


async def unknown_button(update: Update, context: JinroContext) -> None:
    await stale_button(update, context)


def handlers() -> list[BaseHandler]:
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND, route_text),
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.ALL, route_media),
        CallbackQueryHandler(unknown_button),
    ]
