"""When a handler fails: log without personal data, tell the user, mark blocked users."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden

from bot.context import JinroContext
from bot.effects import Fenced
from bot.logs import failure
from handlers.common import speaks_formally
from messages import render
from storage import users as users_store

log = logging.getLogger(__name__)


async def on_error(update: object, context: JinroContext) -> None:
    error = context.error
    user_id = (
        update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    )
    if isinstance(error, Fenced):
        # Another process holds this person now and handles the update itself.
        log.info("update %s left to the process that took its sender over", update.update_id)
        return
    if isinstance(error, Forbidden) and user_id is not None:
        # The user blocked the bot: never retry, stop sending until they come back.
        async with context.db.write() as conn:
            await users_store.mark_inactive(conn, user_id)
        log.info("user blocked the bot; marked inactive")
        return
    # Only ids, the error's type and its frames: texts may hold minors' personal data.
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %s", update_id, failure(error))
    if user_id is not None:
        try:
            # The error handler gets a context of its own, without the user the gate loaded.
            user = context.user
            if user is None:
                async with context.db.read() as conn:
                    user = await users_store.get(conn, user_id)
            lang = user.lang if user is not None else context.lang
            text = render("common/error", lang, formal=speaks_formally(user))
            await context.bot.send_message(user_id, text)
        except Exception:  # noqa: BLE001 - the apology is best effort
            log.warning("could not tell the user about the failure")
