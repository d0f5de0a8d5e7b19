"""Last in line: typed text goes to the user's current flow step; everything else no area
took (unknown commands, stickers, photos) gets a short answer. Old or forged buttons are
answered by the button router (handlers/common/buttons.py)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import JinroContext
from handlers.common import reply, route_media, route_text

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/unknown_command")


def handlers() -> list[BaseHandler]:
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND, route_text),
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.ALL, route_media),
    ]
