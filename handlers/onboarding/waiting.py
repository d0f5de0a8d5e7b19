"""A teacher who joins, or opens the bot again (/start), while their students' requests wait
hears how many, with /pending one tap away: the requests may have waited for a teacher since
before they joined, and the morning digest is hours off."""

from __future__ import annotations

from bot.context import JinroContext
from handlers.common import keyboard
from handlers.pending.buttons import LIST
from messages import label
from storage import pending as pending_store
from storage.models import Role


async def waiting_for(context: JinroContext) -> int:
    """How many requests wait for this teacher's answer (0 for anyone else)."""
    if context.user.role != Role.TEACHER:
        return 0
    async with context.db.read() as conn:
        _, total = await pending_store.pending_for_teacher(conn, context.user, limit=1)
    return total


def see_them(context: JinroContext, waiting: int):
    """The button to the requests, when some wait."""
    if not waiting:
        return None
    return keyboard([[LIST(label(context.lang, "📋 See the requests"), 0)]])
