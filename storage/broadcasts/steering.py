"""Pause, resume, cancel: a confirmed broadcast steered by its author (or staff)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.broadcasts.common import CANCELLED
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role
from storage.tables import broadcasts, reminders


async def owned(conn: AsyncConnection, broadcast_id: int, user: Row) -> Row | None:
    """A confirmed broadcast the user may see and steer: staff any, others their own."""
    stmt = select(broadcasts).where(broadcasts.c.id == broadcast_id, broadcasts.c.status != "draft")
    if user.role != Role.STAFF:
        stmt = stmt.where(broadcasts.c.author_id == user.id)
    return (await conn.execute(stmt)).first()


async def _move(conn, broadcast_id: int, user: Row, was: tuple[str, ...], **values) -> Row:
    """Compare-and-swap of the broadcast's status; NotFound when not the user's to steer,
    AlreadyHandled when it is no longer in one of `was`."""
    if await owned(conn, broadcast_id, user) is None:
        raise NotFound
    row = (
        await conn.execute(
            update(broadcasts)
            .where(broadcasts.c.id == broadcast_id, broadcasts.c.status.in_(was))
            .values(**values)
            .returning(*broadcasts.c)
        )
    ).first()
    if row is None:
        raise AlreadyHandled
    return row


async def _deliveries(conn, broadcast_id: int, was: tuple[str, ...], **values) -> int:
    found = await conn.execute(
        update(reminders)
        .where(reminders.c.broadcast_id == broadcast_id, reminders.c.status.in_(was))
        .values(**values)
    )
    return found.rowcount


async def pause(conn: AsyncConnection, broadcast_id: int, user: Row, *, now: datetime) -> Row:
    """Deliveries not yet claimed wait as "held"; the ones in flight finish."""
    row = await _move(conn, broadcast_id, user, ("sending", "scheduled"), status="paused")
    await _deliveries(conn, broadcast_id, ("pending",), status="held")
    await audit.record(conn, user.id, "broadcast.paused", "broadcast", broadcast_id, now=now)
    return row


async def resume(conn: AsyncConnection, broadcast_id: int, user: Row, *, now: datetime) -> Row:
    found = await owned(conn, broadcast_id, user)
    later = found is not None and found.scheduled_at is not None and found.scheduled_at > now
    status = "scheduled" if later else "sending"
    row = await _move(conn, broadcast_id, user, ("paused",), status=status)
    await _deliveries(conn, broadcast_id, ("held",), status="pending")
    await audit.record(conn, user.id, "broadcast.resumed", "broadcast", broadcast_id, now=now)
    return row


async def cancel(conn: AsyncConnection, broadcast_id: int, user: Row, *, now: datetime) -> int:
    """Nothing more is sent; returns how many deliveries were dropped."""
    await _move(
        conn,
        broadcast_id,
        user,
        ("scheduled", "sending", "paused"),
        status="cancelled",
        finished_at=now,
    )
    dropped = await _skip_open(conn, broadcast_id, now)
    await audit.record(
        conn,
        user.id,
        "broadcast.cancelled",
        "broadcast",
        broadcast_id,
        dropped=dropped,
        now=now,
    )
    return dropped


async def _skip_open(conn, broadcast_id: int, now: datetime) -> int:
    return await _deliveries(
        conn,
        broadcast_id,
        ("pending", "held"),
        status="skipped",
        last_error=CANCELLED,
        sent_at=now,
        lease_until=None,
    )
