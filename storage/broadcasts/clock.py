"""The clock's part: scheduled broadcasts start, finished ones end and are reported once,
and what the dispatcher composes a delivery from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.common import CANCELLED
from storage.broadcasts.steering import _deliveries, _skip_open
from storage.broadcasts.tally import Figures
from storage.tables import broadcasts, reminders, users

OPEN = ("pending", "sending", "held")  # deliveries not settled yet


async def start_due(conn: AsyncConnection, *, now: datetime) -> list[int]:
    """Scheduled broadcasts whose moment came are sending now (their deliveries were due
    from that moment anyway; this is what the author sees)."""
    found = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.status == "scheduled", broadcasts.c.scheduled_at <= now)
        .values(status="sending")
        .returning(broadcasts.c.id)
    )
    return list(found.scalars())


FOLLOWED = (
    select(broadcasts, users.c.lang.label("author_lang"))
    .outerjoin(users, users.c.id == broadcasts.c.author_id)
    .order_by(broadcasts.c.id)
)


async def followed(conn: AsyncConnection, broadcast_id: int | None = None) -> list[Row]:
    """Broadcasts whose progress message the clock keeps: sending or paused, and finished
    ones whose report has not gone out; or the one asked for, whatever its status. Each
    with its author's language (author_lang)."""
    if broadcast_id is not None:
        stmt = FOLLOWED.where(broadcasts.c.id == broadcast_id)
        return list((await conn.execute(stmt)).all())
    unreported = and_(
        broadcasts.c.status.in_(("done", CANCELLED)), broadcasts.c.reported_at.is_(None)
    )
    stmt = FOLLOWED.where(or_(broadcasts.c.status.in_(("sending", "paused")), unreported))
    return list((await conn.execute(stmt)).all())


async def settle(conn: AsyncConnection, broadcast_id: int, *, now: datetime) -> None:
    """Bring the deliveries in line with the broadcast: a retry that came back "pending"
    while paused is held again, or skipped if cancelled; a sending broadcast with nothing
    open left is done."""
    status = await conn.scalar(select(broadcasts.c.status).where(broadcasts.c.id == broadcast_id))
    if status == "paused":
        await _deliveries(conn, broadcast_id, ("pending",), status="held")
    elif status == CANCELLED:
        await _skip_open(conn, broadcast_id, now)
    elif status == "sending":
        await finish_if_done(conn, broadcast_id, now=now)


async def finish_if_done(conn: AsyncConnection, broadcast_id: int, *, now: datetime) -> bool:
    """A sending broadcast with no pending, sending or held delivery is done."""
    open_left = exists(
        select(reminders.c.id).where(
            reminders.c.broadcast_id == broadcast_id, reminders.c.status.in_(OPEN)
        )
    )
    found = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.status == "sending", ~open_left)
        .values(status="done", finished_at=now)
    )
    return found.rowcount > 0


async def claim_report(
    conn: AsyncConnection, broadcast_id: int, final: Figures, *, now: datetime
) -> bool:
    """True for the one process that sends the final report; the figures it reports are
    kept with the broadcast."""
    found = await conn.execute(
        update(broadcasts)
        .where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.status.in_(("done", CANCELLED)),
            broadcasts.c.reported_at.is_(None),
        )
        .values(reported_at=now, outcome=final.to_json())
    )
    return found.rowcount > 0


async def for_delivery(conn: AsyncConnection, broadcast_id: int) -> Row | None:
    """What the dispatcher composes a delivery from: text (HTML), media_kind, media_file_id,
    status (send only while "sending") and urgent (students get it in quiet hours)."""
    stmt = select(
        broadcasts.c.id,
        broadcasts.c.text,
        broadcasts.c.media_kind,
        broadcasts.c.media_file_id,
        broadcasts.c.status,
        broadcasts.c.urgent,
    ).where(broadcasts.c.id == broadcast_id)
    return (await conn.execute(stmt)).first()
