"""/stats for city staff: how booking, attendance and satisfaction are going."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import reply, requires
from storage import stats
from storage.models import Role


@requires(Role.STAFF)
async def stats_command(update: Update, context: JinroContext) -> None:
    async with context.db.read() as conn:
        figures = await stats.figures(conn)
    await reply(update, context, "stats/figures", figures=figures)


def handlers() -> list[BaseHandler]:
    return [CommandHandler("stats", stats_command)]
