"""The webhook inbox: updates acknowledged to Telegram but not yet handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import dialect_insert
from storage.models import InboxUpdate, ProcessedUpdate

inbox = InboxUpdate.__table__
processed = ProcessedUpdate.__table__
# An update claimed by a process that then died is handed out again after this.
LEASE = timedelta(minutes=2)


async def store(conn: AsyncConnection, update_id: int, payload: dict, *, now: datetime) -> None:
    stmt = dialect_insert(conn)(inbox).values(update_id=update_id, payload=payload, received_at=now)
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=["update_id"]))


async def claim(
    conn: AsyncConnection, *, now: datetime, limit: int = 100
) -> list[tuple[int, dict]]:
    """Lease the oldest unclaimed (or abandoned) updates to this process, in update_id order.

    An update whose earlier lease ran out was being handled by a process that died. Its
    "already handled" mark is removed so it is handled again: a crash may repeat at most the
    update that was in flight, and never loses one.
    """
    free = or_(inbox.c.leased_until.is_(None), inbox.c.leased_until < now)
    pick = (
        select(inbox.c.update_id, inbox.c.leased_until)
        .where(free)
        .order_by(inbox.c.update_id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    picked = (await conn.execute(pick)).all()
    if not picked:
        return []
    ids = [row.update_id for row in picked]
    abandoned = [row.update_id for row in picked if row.leased_until is not None]
    if abandoned:
        await conn.execute(delete(processed).where(processed.c.update_id.in_(abandoned)))
    rows = await conn.execute(
        update(inbox)
        .where(inbox.c.update_id.in_(ids))
        .values(leased_until=now + LEASE)
        .returning(inbox.c.update_id, inbox.c.payload)
    )
    return sorted((row.update_id, row.payload) for row in rows)


async def done(conn: AsyncConnection, update_id: int) -> None:
    await conn.execute(delete(inbox).where(inbox.c.update_id == update_id))
