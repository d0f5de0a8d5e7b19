"""Last in line: typed text goes to the user's current flow step; everything else no area
took (unknown commands, stickers, photos, old or forged buttons) gets a short answer."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import JinroContext
from handlers.common import TEXT_STEPS, file_step_for, reply, stale_button

log = logging.getLogger(__name__)


async def route_text(update: Update, context: JinroContext) -> None:
    """Typed text goes to the current flow's step; outside any flow, words search."""
    step = TEXT_STEPS.get(context.user.flow or "")
    if step is None and context.user.role is not None:
        step = TEXT_STEPS["sr"]
    if step is not None:
        await step(update, context)
        return
    await reply(update, context, "common/free_text")


async def unknown_command(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/unknown_command")


async def not_text(update: Update, context: JinroContext) -> None:
    """A photo, file or sticker: a flow that asks for one takes it; otherwise only text."""
    step = file_step_for(context)
    if step is not None:
        await step(update, context)
        return
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
