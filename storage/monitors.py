"""Parent monitors (학부모 지원단): the district each covers, pausing, and the round-robin that
gives a district's next case to the monitor who had one longest ago."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.db import dialect_insert
from storage.models import Role
from storage.tables import monitors, users


async def get(conn: AsyncConnection, user_id: int) -> Row | None:
    """A monitor's profile (district, paused), or None before they picked a district."""
    return (await conn.execute(select(monitors).where(monitors.c.user_id == user_id))).first()


async def set_district(
    conn: AsyncConnection, user_id: int, district: str, *, now: datetime
) -> None:
    """Set (or change) the district a monitor covers."""
    stmt = dialect_insert(conn)(monitors).values(user_id=user_id, district=district, paused=False)
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["user_id"], set_={"district": district})
    )
    await audit.record(
        conn, user_id, "monitor.district", "user", user_id, now=now, district=district
    )


async def set_paused(conn: AsyncConnection, user_id: int, paused: bool, *, now: datetime) -> bool:
    """Pause or resume taking cases; False when the user has no monitor profile."""
    result = await conn.execute(
        update(monitors).where(monitors.c.user_id == user_id).values(paused=paused)
    )
    if result.rowcount:
        await audit.record(conn, user_id, "monitor.pause", "user", user_id, now=now, paused=paused)
    return bool(result.rowcount)


def _available():
    """Monitors who may be given work: joined as a monitor, not blocked the bot, not paused."""
    return and_(
        users.c.id == monitors.c.user_id,
        users.c.role == Role.MONITOR,
        users.c.active.is_(True),
        monitors.c.paused.is_(False),
    )


async def in_district(conn: AsyncConnection, district: str) -> list[Row]:
    """The district's available monitors (user id and name), by name."""
    stmt = (
        select(users.c.id, users.c.name, users.c.lang, monitors.c.district)
        .where(_available(), monitors.c.district == district)
        .order_by(users.c.name, users.c.id)
    )
    return list((await conn.execute(stmt)).all())


async def take_turn(conn: AsyncConnection, district: str, now: datetime) -> int | None:
    """The district's next monitor for a case, round-robin: the available one whose last
    case is oldest (never first, then by id), marked as having had this one now.

    The pick and the mark are one conditional UPDATE on the row picked: when two cases open
    at once and both pick the same monitor, the second sees the new mark, fails, and picks
    again, so turns are not skipped or doubled.
    """
    for _ in range(5):
        candidate = (
            await conn.execute(
                select(monitors.c.user_id, monitors.c.last_case_at)
                .where(_available(), monitors.c.district == district)
                .order_by(monitors.c.last_case_at.is_not(None), monitors.c.last_case_at)
                .order_by(monitors.c.user_id)
                .limit(1)
            )
        ).first()
        if candidate is None:
            return None
        seen = (
            monitors.c.last_case_at.is_(None)
            if candidate.last_case_at is None
            else monitors.c.last_case_at == candidate.last_case_at
        )
        taken = await conn.execute(
            update(monitors)
            .where(monitors.c.user_id == candidate.user_id, seen)
            .values(last_case_at=now)
        )
        if taken.rowcount:
            return candidate.user_id
    return None
