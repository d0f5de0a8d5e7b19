"""Commands every role has: /help, /cancel and /settings (language)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import commands
from bot.context import JinroContext
from handlers.common import answer_query, callback_parts, keyboard, reply, stale_button
from messages import LANGUAGES
from messages.labels import LANGUAGE_NAMES
from storage import users as users_store


async def show_help(update: Update, context: JinroContext) -> None:
    user = context.user
    await reply(update, context, f"help/{user.role or 'guest'}", user=user)


async def cancel(update: Update, context: JinroContext) -> None:
    if context.user.flow is None:
        await reply(update, context, "common/nothing_to_cancel")
        return
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await reply(update, context, "common/cancelled")


def language_keyboard(lang: str):
    return keyboard([[(LANGUAGE_NAMES[code], f"lang:{code}") for code in LANGUAGES]])


async def settings(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/settings", language_keyboard(context.lang))


async def choose_language(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if len(parts) != 2 or parts[1] not in LANGUAGES:
        await stale_button(update, context)
        return
    await answer_query(update)
    if parts[1] == context.lang:  # already so: nothing to change, nothing to send again
        return
    async with context.db.write() as conn:
        context.user = await users_store.change(conn, context.user.id, lang=parts[1])
    await reply(update, context, "common/language_set", edit=True)
    await commands.set_for_user(context, context.user)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("help", show_help),
        CommandHandler("cancel", cancel),
        CommandHandler("settings", settings),
        CallbackQueryHandler(choose_language, pattern=r"^lang:"),
    ]
