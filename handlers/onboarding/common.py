"""Asking a joining person's name, with their Telegram name offered as a button."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import keyboard, reply
from handlers.common.buttons import Button
from messages import label
from storage.names import person_name


async def ask_name(
    update: Update, context: JinroContext, template: str, button: Button, *, edit: bool = False
) -> None:
    """Ask with `template`; `button` takes the Telegram name instead."""
    suggestion = telegram_name(update)
    markup = None
    if suggestion:
        markup = keyboard([[button(label(context.lang, "Use “%(name)s”", name=suggestion))]])
    await reply(update, context, template, markup, edit=edit)


def telegram_name(update: Update) -> str | None:
    return person_name(update.effective_user.first_name, update.effective_user.last_name)
