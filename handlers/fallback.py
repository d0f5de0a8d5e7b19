"""Last in line: typed text goes to the user's current flow step; everything else no area
took (unknown commands, stickers, photos, old or forged buttons) gets a short answer."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import JinroContext
from handlers.common import TEXT_STEPS, reply, stale_button

log = logging.getLogger(__name__)
PREVIEW = 30


async def route_text(update: Update, context: JinroContext) -> None:
    step = TEXT_STEPS.get(context.user.flow or "")
    if step is not None:
        await step(update, context)
        return
    text = " ".join(update.message.text.split())
    preview = text if len(text) <= PREVIEW else text[:PREVIEW] + "…"
    await reply(update, context, "common/free_text", user=context.user, text=preview)


async def unknown_command(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/unknown_command")


async def not_text(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/not_text")


async def unknown_button(update: Update, context: JinroContext) -> None:
    await stale_button(update, context)


def handlers() -> list[BaseHandler]:
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND, route_text),
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.ALL, not_text),
        CallbackQueryHandler(unknown_button),
    ]
