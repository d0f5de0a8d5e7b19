"""Filling an inspection in: the monitor starts it (the active checklist copied in) and
answers its items one by one, with a note or a photo on any."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.errors import NotFound, Refused
from storage.inspections.checklist import checklist_items
from storage.inspections.common import NOTE_MAX, OPEN, get
from storage.tables import inspection_items as items
from storage.tables import inspections

ITEM_RESULTS = ("pass", "fix", "fail")


async def mine(conn: AsyncConnection, inspection_id: int, monitor_id: int, statuses=OPEN) -> Row:
    """The inspection if it is this monitor's and in one of `statuses`; else NotFound (the
    same for another monitor's and for a missing one)."""
    found = await get(conn, inspection_id)
    if found is None or found.monitor_id != monitor_id or found.status not in statuses:
        raise NotFound
    return found


async def start(
    conn: AsyncConnection, inspection_id: int, monitor_id: int, *, now: datetime
) -> Row:
    """The monitor begins (assigned → in_progress, the active checklist copied in), or
    carries on with one already begun."""
    begun = await conn.execute(
        update(inspections)
        .where(
            inspections.c.id == inspection_id,
            inspections.c.monitor_id == monitor_id,
            inspections.c.status == "assigned",
        )
        .values(status="in_progress", started_at=now)
    )
    if begun.rowcount:
        active = await checklist_items(conn, active_only=True)
        if not active:
            raise Refused("empty")
        await conn.execute(
            insert(items),
            [
                {"inspection_id": inspection_id, "position": n, "key": i.key, "text": i.text}
                for n, i in enumerate(active, start=1)
            ],
        )
        await audit.record(
            conn, monitor_id, "inspection.start", "inspection", inspection_id, now=now
        )
    return await mine(conn, inspection_id, monitor_id, ("in_progress",))


async def inspection_items(conn: AsyncConnection, inspection_id: int) -> list[Row]:
    return list(
        (
            await conn.execute(
                select(items)
                .where(items.c.inspection_id == inspection_id)
                .order_by(items.c.position)
            )
        ).all()
    )


async def next_position(conn: AsyncConnection, inspection_id: int, after: int = 0) -> int | None:
    """The first unanswered item after `after`, else the first unanswered at all; None when
    every item has its answer."""
    unanswered = select(func.min(items.c.position)).where(
        items.c.inspection_id == inspection_id, items.c.result.is_(None)
    )
    later = await conn.scalar(unanswered.where(items.c.position > after))
    return later if later is not None else await conn.scalar(unanswered)


async def answer(
    conn: AsyncConnection, inspection_id: int, monitor_id: int, position: int, result: str
) -> int | None:
    """One item's answer (pass | fix | fail; again to change it); returns the item to go
    to next, or None when all are answered."""
    if result not in ITEM_RESULTS:
        raise NotFound
    await mine(conn, inspection_id, monitor_id, ("in_progress",))
    done = await conn.execute(
        update(items)
        .where(items.c.inspection_id == inspection_id, items.c.position == position)
        .values(result=result)
    )
    if not done.rowcount:
        raise NotFound
    return await next_position(conn, inspection_id, position)


async def attach(
    conn: AsyncConnection,
    inspection_id: int,
    monitor_id: int,
    position: int,
    *,
    note: str | None = None,
    photo: str | None = None,
) -> Row:
    """A note (≤ 500 characters) or a photo (its Telegram file_id, never the file) on one
    item; a second one of a kind replaces the first. Returns the item."""
    await mine(conn, inspection_id, monitor_id, ("in_progress",))
    values = {}
    if note is not None:
        values["note"] = " ".join(note.split())[:NOTE_MAX] or None
    if photo is not None:
        values["photo"] = photo
    where = and_(items.c.inspection_id == inspection_id, items.c.position == position)
    if values:
        await conn.execute(update(items).where(where).values(**values))
    found = (await conn.execute(select(items).where(where))).first()
    if found is None:
        raise NotFound
    return found
