"""Lists and the undelivered: /broadcasts, and who did not get one (its CSV)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.models import Role
from storage.tables import broadcasts, reminders, schools, users


async def listing(
    conn: AsyncConnection, user: Row, *, offset: int, limit: int
) -> tuple[list[Row], int]:
    """Confirmed broadcasts the user may see (staff all, others their own), the scheduled
    ones and the latest first."""
    where = [broadcasts.c.status != "draft"]
    if user.role != Role.STAFF:
        where.append(broadcasts.c.author_id == user.id)
    total = await conn.scalar(select(func.count()).select_from(broadcasts).where(*where))
    moment = func.coalesce(broadcasts.c.scheduled_at, broadcasts.c.confirmed_at)
    scheduled_first = case((broadcasts.c.status == "scheduled", 0), else_=1)
    rows = await conn.execute(
        select(broadcasts)
        .where(*where)
        .order_by(scheduled_first, moment.desc(), broadcasts.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def undelivered(conn: AsyncConnection, broadcast_id: int) -> list[Row]:
    """Recipients who did not get it: user id, role, school (students and teachers), the
    outcome (dead or skipped) and its reason. Never a name, phone or username."""
    rows = await conn.execute(
        select(
            users.c.id.label("user_id"),
            users.c.role,
            schools.c.name.label("school"),
            reminders.c.status,
            reminders.c.last_error.label("reason"),
        )
        .select_from(
            reminders.join(users, users.c.id == reminders.c.user_id).outerjoin(
                schools, schools.c.id == users.c.school_id
            )
        )
        .where(
            reminders.c.broadcast_id == broadcast_id,
            reminders.c.status.in_(("dead", "skipped")),
        )
        .order_by(users.c.role, schools.c.name, users.c.id)
    )
    return list(rows.all())


async def record_export(
    conn: AsyncConnection, broadcast_id: int, user: Row, rows: int, *, now: datetime
) -> None:
    await audit.record(
        conn, user.id, "broadcast.csv", "broadcast", broadcast_id, now=now, rows=rows
    )
