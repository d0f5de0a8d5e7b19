"""Runs first for every update (group -1): drops duplicates and loads the user and role."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.context import JinroContext
from handlers.common import reply
from messages import normalize_lang
from storage import audit
from storage import users as users_store
from storage.models import Role
from storage.names import person_name

GROUP = -1
# Telegram re-delivers an unacknowledged update for at most a day; keep ids a bit longer.
KEEP_UPDATE_IDS = timedelta(days=3)


async def load_user(update: Update, context: JinroContext) -> None:
    tg_user = update.effective_user
    if tg_user is None or tg_user.is_bot:
        # Channel posts and the like: nobody to answer.
        raise ApplicationHandlerStop
    async with context.db.write() as conn:
        if not await users_store.claim_update(conn, update.update_id, now=context.now):
            raise ApplicationHandlerStop  # delivered twice: handled the first time
        if update.inline_query is not None:
            # Anyone may type @bot in any chat; that alone creates no account.
            context.user = await users_store.get(conn, tg_user.id)
            return
        user = await users_store.load_or_create(
            conn, tg_user.id, normalize_lang(tg_user.language_code), now=context.now
        )
        if tg_user.id in context.settings.admin_ids and user.role != Role.STAFF:
            # ADMIN_IDS bootstraps staff; it is the only way in without an invite.
            name = user.name or person_name(tg_user.first_name, tg_user.last_name)
            user = await users_store.change(
                conn,
                user.id,
                role=Role.STAFF,
                name=name,
                flow=None,
                flow_data={},
                school_id=None,
                grade=None,
            )
            await audit.record(conn, user.id, "staff.bootstrap", "user", user.id, now=context.now)
        if not user.active:  # they blocked the bot once and are back
            user = await users_store.change(conn, user.id, active=True)
    context.user = user
    if update.edited_message is not None:
        # An edit of an earlier message is never acted on again; say so once.
        await reply(update, context, "common/edited")
        raise ApplicationHandlerStop


async def forget_tick(application) -> None:
    """Hourly: update ids older than Telegram redelivers are forgotten."""
    context = JinroContext(application)
    async with context.db.write() as conn:
        await users_store.forget_updates_before(conn, context.now - KEEP_UPDATE_IDS)


def handlers() -> list[BaseHandler]:
    return [TypeHandler(Update, load_user)]
