"""The outbox's own work: the daily digests written ahead, settled rows forgotten, and the
staff's digest of what could not be delivered."""

from __future__ import annotations

from bot.context import JinroContext
from handlers.outbox.kinds import Kind
from handlers.outbox.reading import on_its_day
from storage import reminders as store
from storage.models import Role, utcnow


async def plan_tick(application) -> None:
    """Hourly: every active teacher's next morning digest and every active staff member's
    next dead-letter digest are written ahead (idempotent), so a restart or a teacher who
    joined today misses nothing."""
    context = JinroContext(application)
    async with context.db.write() as conn:
        await store.plan_digests(conn, now=utcnow(), tz=context.tz)


async def forget_tick(application) -> None:
    """Hourly: outbox rows long settled are deleted (storage.reminders.KEEP_SETTLED)."""
    context = JinroContext(application)
    async with context.db.write() as conn:
        await store.forget_settled(conn, now=context.now)


async def _staff_dead(conn, context, row, user):
    if user.role != Role.STAFF or not on_its_day(context, row):
        return None
    dead = await store.dead_letters(conn, utcnow() - store.DEAD_WINDOW)
    if not dead.total:
        return None
    return "reminders/staff_dead", {"dead": dead}


OUTGOING = [Kind("staff_dead", _staff_dead)]
