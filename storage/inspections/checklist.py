"""The checklist staff keep: the default items, turning items on and off, adding one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.db import dialect_insert
from storage.errors import NotFound, Refused
from storage.tables import checklist_items as checklist

# The default checklist, from the national experience-site certification; their words are
# translated in handlers/inspections/common.py (ITEM_NAMES), by key. Migration 0013 seeds them.
DEFAULT_ITEMS = (
    "exits",
    "first_aid",
    "insurance",
    "hazards",
    "briefing",
    "rest_area",
    "supervisor",
    "as_described",
)
ITEM_TEXT_MAX = 200


async def seed_checklist(conn: AsyncConnection) -> int:
    """Add the default items that are missing (after the others); returns how many. Safe to
    call any time: an item staff turned off stays off."""
    present = set(
        (await conn.execute(select(checklist.c.key).where(checklist.c.key.is_not(None))))
        .scalars()
        .all()
    )
    top = await conn.scalar(select(func.max(checklist.c.position))) or 0
    rows = []
    for key in DEFAULT_ITEMS:
        if key not in present:
            top += 1
            rows.append({"position": top, "key": key, "text": None, "active": True})
    if rows:
        stmt = dialect_insert(conn)(checklist).on_conflict_do_nothing(index_elements=["key"])
        await conn.execute(stmt, rows)
    return len(rows)


async def checklist_items(conn: AsyncConnection, *, active_only: bool = False) -> list[Row]:
    stmt = select(checklist).order_by(checklist.c.position, checklist.c.id)
    if active_only:
        stmt = stmt.where(checklist.c.active.is_(True))
    return list((await conn.execute(stmt)).all())


async def toggle_item(conn: AsyncConnection, item_id: int, actor: int, *, now: datetime) -> bool:
    """Turn an item on or off; returns whether it is now on. The last active item stays on
    (an inspection needs something to check): Refused("last_item")."""
    item = (await conn.execute(select(checklist).where(checklist.c.id == item_id))).first()
    if item is None:
        raise NotFound
    if item.active:
        left = await conn.scalar(
            select(func.count()).where(checklist.c.active.is_(True), checklist.c.id != item_id)
        )
        if not left:
            raise Refused("last_item")
    await conn.execute(
        update(checklist).where(checklist.c.id == item_id).values(active=not item.active)
    )
    await audit.record(
        conn, actor, "checklist.toggle", "checklist_item", item_id, now=now, active=not item.active
    )
    return not item.active


async def add_item(conn: AsyncConnection, text: str, actor: int, *, now: datetime) -> int:
    """A new item as staff typed it (shown as written in every language), last in order."""
    text = " ".join(text.split())
    if not 1 <= len(text) <= ITEM_TEXT_MAX:
        raise ValueError("an item is 1-200 characters")
    top = await conn.scalar(select(func.max(checklist.c.position))) or 0
    item_id = await conn.scalar(
        insert(checklist)
        .values(position=top + 1, key=None, text=text, active=True)
        .returning(checklist.c.id)
    )
    await audit.record(conn, actor, "checklist.add", "checklist_item", item_id, now=now)
    return item_id
