"""A mentor's free slots (weekly or single days) and their free occurrences ahead."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import NotFound, Refused
from storage.mentors.common import CITY_TZ, MAX_SLOTS, Opening, openings
from storage.tables import mentor_meetings as meetings
from storage.tables import mentor_slots as slots


async def mentor_slots(conn: AsyncConnection, mentor_id: int) -> list[Row]:
    """Weekly slots (Monday first), then single days, each by start."""
    found = await conn.execute(
        select(slots)
        .where(slots.c.mentor_id == mentor_id)
        .order_by(slots.c.day.is_not(None), slots.c.weekday, slots.c.day, slots.c.starts)
    )
    return list(found.all())


async def add_slot(
    conn: AsyncConnection,
    mentor_id: int,
    *,
    starts: time,
    minutes: int,
    weekday: int | None = None,
    day: date | None = None,
) -> int:
    if (weekday is None) == (day is None) or not 15 <= minutes <= 240:
        raise Refused("bad_slot")
    same = select(slots.c.id).where(
        slots.c.mentor_id == mentor_id,
        slots.c.starts == starts,
        slots.c.weekday == weekday if weekday is not None else slots.c.day == day,
    )
    if await conn.scalar(same.limit(1)) is not None:
        raise Refused("duplicate_slot")
    count = await conn.scalar(select(func.count()).where(slots.c.mentor_id == mentor_id))
    if count >= MAX_SLOTS:
        raise Refused("too_many_slots")
    return await conn.scalar(
        insert(slots)
        .values(mentor_id=mentor_id, weekday=weekday, day=day, starts=starts, minutes=minutes)
        .returning(slots.c.id)
    )


async def delete_slot(conn: AsyncConnection, mentor_id: int, slot_id: int) -> None:
    gone = await conn.execute(
        delete(slots).where(slots.c.id == slot_id, slots.c.mentor_id == mentor_id)
    )
    if gone.rowcount != 1:
        raise NotFound


async def _busy(conn: AsyncConnection, mentor_ids, now: datetime) -> dict[int, list]:
    found = await conn.execute(
        select(meetings.c.mentor_id, meetings.c.starts_at, meetings.c.ends_at).where(
            meetings.c.mentor_id.in_(mentor_ids),
            meetings.c.status == "scheduled",
            meetings.c.ends_at > now,
        )
    )
    busy: dict[int, list] = {}
    for row in found.all():
        busy.setdefault(row.mentor_id, []).append((row.starts_at, row.ends_at))
    return busy


async def _slots_by_mentor(conn: AsyncConnection, mentor_ids) -> dict[int, list]:
    found = await conn.execute(select(slots).where(slots.c.mentor_id.in_(mentor_ids)))
    by_mentor: dict[int, list] = {}
    for row in found.all():
        by_mentor.setdefault(row.mentor_id, []).append(row)
    return by_mentor


async def free_openings(
    conn: AsyncConnection, mentor_id: int, *, now: datetime, tz: tzinfo = CITY_TZ
) -> list[Opening]:
    """The mentor's free slot occurrences in the next three weeks."""
    slot_rows = (await _slots_by_mentor(conn, [mentor_id])).get(mentor_id, [])
    busy = (await _busy(conn, [mentor_id], now)).get(mentor_id, [])
    return openings(slot_rows, busy, now=now, tz=tz)
