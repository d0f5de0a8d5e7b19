"""Confirm: the deliveries are written into the outbox, and the progress message noted."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import String, case, cast, func, literal, select, true, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.broadcasts.audience import Audience, _recipients
from storage.broadcasts.drafts import draft
from storage.db import dialect_insert

# Refused here: "nobody" (no recipient) or "past" (its scheduled moment went by while it
# waited for the confirm).
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.models import UTCDateTime
from storage.reminders import CITY_TZ, after_quiet_hours
from storage.tables import broadcasts, reminders

KIND = "broadcast"


async def confirm(
    conn: AsyncConnection, broadcast_id: int, author: Row, *, now: datetime, tz: tzinfo = CITY_TZ
) -> Row:
    """Write one delivery per recipient and start the broadcast (or schedule it), in the
    caller's transaction. A second confirm finds no draft: AlreadyHandled."""
    found = await draft(conn, broadcast_id, author)
    if found is None:
        raise AlreadyHandled if await _confirmed(conn, broadcast_id, author) else NotFound
    if found.scheduled_at is not None and found.scheduled_at <= now:
        raise Refused("past")
    status = "scheduled" if found.scheduled_at else "sending"
    # The status moves first: on PostgreSQL this locks the row, so a second confirm waits
    # and then finds no draft.
    moved = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.status == "draft")
        .values(status=status, confirmed_at=now)
    )
    if moved.rowcount != 1:
        raise AlreadyHandled
    await _write_deliveries(conn, found, author, now=now, tz=tz)
    total = await conn.scalar(select(func.count()).where(reminders.c.broadcast_id == broadcast_id))
    if not total:
        raise Refused("nobody")  # the caller's transaction rolls the status back
    row = (
        await conn.execute(
            update(broadcasts)
            .where(broadcasts.c.id == broadcast_id)
            .values(total=total)
            .returning(*broadcasts.c)
        )
    ).one()
    await audit.record(
        conn,
        author.id,
        "broadcast.confirmed",
        "broadcast",
        broadcast_id,
        total=total,
        now=now,
    )
    return row


async def _write_deliveries(conn, broadcast: Row, author: Row, *, now, tz) -> None:
    """One INSERT … SELECT for every recipient; the key keeps one per (broadcast, user).
    A student's copy of a non-urgent broadcast is due after quiet hours (21:00-08:00)."""
    send_at = broadcast.scheduled_at or now
    student_at = send_at if broadcast.urgent else after_quiet_hours(send_at, tz)
    people = _recipients(author, Audience.from_json(broadcast.audience)).subquery()
    due = case(
        (people.c.role == "student", literal(student_at, UTCDateTime())),
        else_=literal(send_at, UTCDateTime()),
    )
    rows = select(
        literal(KIND),
        people.c.id,
        literal(broadcast.id),
        due,
        literal("pending"),
        literal(0),
        literal(f"{KIND}:{broadcast.id}:") + cast(people.c.id, String),
        literal(now, UTCDateTime()),
    ).where(true())  # SQLite reads "… FROM (subquery) ON CONFLICT" as a join without it
    columns = ["kind", "user_id", "broadcast_id", "due_at", "status", "attempts", "key"]
    stmt = dialect_insert(conn)(reminders).from_select([*columns, "created_at"], rows)
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))


async def _confirmed(conn: AsyncConnection, broadcast_id: int, author: Row) -> bool:
    found = await conn.scalar(
        select(broadcasts.c.id).where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.author_id == author.id,
            broadcasts.c.status != "draft",
        )
    )
    return found is not None


async def set_progress(
    conn: AsyncConnection, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """The message the clock edits with the figures from now on."""
    await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id)
        .values(progress_chat_id=chat_id, progress_message_id=message_id, progress_shown=None)
    )


async def set_shown(conn: AsyncConnection, broadcast_id: int, shown: str) -> None:
    await conn.execute(
        update(broadcasts).where(broadcasts.c.id == broadcast_id).values(progress_shown=shown)
    )
