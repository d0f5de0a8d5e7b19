"""The webhook inbox: updates acknowledged to Telegram but not yet handled.

One sender's updates are handled one at a time, oldest first, by whichever process holds
that sender (inbox_holders); another process never takes a later update of a held sender.
A holder renews its leases while it works (`renew`, every few seconds); a dead process's
senders are taken over once their LEASE runs out, from their oldest update. The claim of a
sender is one statement that only succeeds on a free or expired lease (INSERT … ON CONFLICT
DO UPDATE … WHERE), so two processes racing for a sender cannot both win, on PostgreSQL
(row lock on the conflicting row) as on SQLite (one writer).

Updates without a sender (a poll's news) have no order to keep: each is leased alone.
An update handed out MAX_ATTEMPTS times without being done (it crashed its process, or a
handler kept failing) is quarantined: kept, counted, never handed out again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import effects
from storage.db import dialect_insert
from storage.models import InboxHolder, InboxUpdate

inbox = InboxUpdate.__table__
holders = InboxHolder.__table__
# A living process renews its leases every lease / 3; a dead one's senders wait this long
# (INBOX_LEASE_SECONDS; the default is what the code assumes when none is given).
LEASE = timedelta(seconds=15)
MAX_ATTEMPTS = 3
BIGINT = 2**63


def sender_of(payload: dict) -> int | None:
    """The person (or else the chat) an update comes from, read from the JSON itself, as PTB's
    effective_user / effective_chat would give it; None when there is none."""
    for key, value in payload.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        for path in (("from",), ("user",), ("chat",), ("message", "chat")):
            found = value
            for step in (*path, "id"):
                found = found.get(step) if isinstance(found, dict) else None
            if type(found) is int and -BIGINT <= found < BIGINT:
                return found
    return None


async def store(conn: AsyncConnection, update_id: int, payload: dict, *, now: datetime) -> None:
    stmt = dialect_insert(conn)(inbox).values(
        update_id=update_id, payload=payload, received_at=now, sender=sender_of(payload)
    )
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=["update_id"]))


async def claim(
    conn: AsyncConnection,
    owner: str,
    *,
    now: datetime,
    handed: set[int],
    limit: int = 100,
    lease: timedelta = LEASE,
) -> list[tuple[int, dict]]:
    """The updates `owner` should hand out now, in update_id order: those of the senders it
    holds (taking free senders first, up to `limit`) that are not already `handed` out,
    and updates without a sender, leased alone. Each comes with its payload."""
    # Holds already taken are kept alive by the caller's heartbeat (`renew`), not here.
    await _take_senders(conn, owner, now=now, limit=limit, lease=lease)
    mine = select(holders.c.sender).where(holders.c.owner == owner)
    rows = (
        await conn.execute(
            select(inbox.c.update_id, inbox.c.payload, inbox.c.attempts)
            .where(inbox.c.sender.in_(mine), inbox.c.quarantined_at.is_(None))
            .order_by(inbox.c.update_id)
        )
    ).all()
    fresh = [row for row in rows if row.update_id not in handed]
    fresh += await _lease_alone(conn, now=now, limit=limit, lease=lease)
    return await _count_attempts(conn, sorted(fresh, key=lambda row: row.update_id), now=now)


async def _take_senders(
    conn: AsyncConnection, owner: str, *, now: datetime, limit: int, lease: timedelta
) -> None:
    held = select(holders.c.sender).where(holders.c.leased_until >= now)
    waiting = (
        select(inbox.c.sender)
        .where(
            inbox.c.sender.is_not(None),
            inbox.c.quarantined_at.is_(None),
            inbox.c.sender.not_in(held),
        )
        .group_by(inbox.c.sender)
        .order_by(func.min(inbox.c.update_id))
        .limit(limit)
    )
    # In sender order, as the heartbeat renews: two processes lock holder rows in one order,
    # so a claim and another's heartbeat never deadlock.
    for sender in sorted((await conn.execute(waiting)).scalars().all()):
        insert = dialect_insert(conn)(holders).values(
            sender=sender, owner=owner, leased_until=now + lease
        )
        await conn.execute(
            insert.on_conflict_do_update(
                index_elements=["sender"],
                set_={"owner": owner, "leased_until": now + lease},
                where=holders.c.leased_until < now,
            )
        )


async def _lease_alone(
    conn: AsyncConnection, *, now: datetime, limit: int, lease: timedelta
) -> list:
    free = or_(inbox.c.leased_until.is_(None), inbox.c.leased_until < now)
    pick = (
        select(inbox.c.update_id)
        .where(inbox.c.sender.is_(None), inbox.c.quarantined_at.is_(None), free)
        .order_by(inbox.c.update_id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = (await conn.execute(pick)).scalars().all()
    if not ids:
        return []
    leased = await conn.execute(
        update(inbox)
        .where(inbox.c.update_id.in_(ids))
        .values(leased_until=now + lease)
        .returning(inbox.c.update_id, inbox.c.payload, inbox.c.attempts)
    )
    return leased.all()


async def _count_attempts(conn: AsyncConnection, rows: list, *, now: datetime) -> list:
    """Count this hand-out; quarantine what has been handed out too often. An update handed
    out before was in hand when its process died: it is handled again, without re-applying
    what it committed before (storage/effects.py)."""
    if not rows:
        return []
    ids = [row.update_id for row in rows]
    await conn.execute(
        update(inbox).where(inbox.c.update_id.in_(ids)).values(attempts=inbox.c.attempts + 1)
    )
    worn = [row.update_id for row in rows if row.attempts >= MAX_ATTEMPTS]
    if worn:
        await quarantine(conn, worn, "crashed its process", now=now)
    return [(row.update_id, row.payload) for row in rows if row.update_id not in worn]


async def renew(
    conn: AsyncConnection, owner: str, *, now: datetime, lease: timedelta = LEASE
) -> None:
    """The heartbeat: `owner` is alive and keeps its senders a while longer. The rows are
    locked in sender order first (PostgreSQL), the order claims take them in."""
    mine = select(holders.c.sender).where(holders.c.owner == owner).order_by(holders.c.sender)
    if conn.dialect.name == "postgresql":
        mine = mine.with_for_update()
    senders = (await conn.execute(mine)).scalars().all()
    if senders:
        await conn.execute(
            update(holders)
            .where(holders.c.sender.in_(senders), holders.c.owner == owner)
            .values(leased_until=now + lease)
        )


async def holds(conn: AsyncConnection, owner: str, sender: int) -> bool:
    """Whether `owner` still holds `sender` (a process stalled past its lease may have lost
    the sender to another, and must change and hand out nothing more of theirs), and keeps
    holding it until this transaction ends: on PostgreSQL the holder row is locked FOR
    SHARE, so a takeover waits for the commit; SQLite has one writer anyway."""
    held = select(holders.c.owner).where(holders.c.sender == sender)
    if conn.dialect.name == "postgresql":
        held = held.with_for_update(read=True)
    return (await conn.execute(held)).scalar_one_or_none() == owner


async def done(conn: AsyncConnection, update_id: int, *, now: datetime) -> None:
    """The update's handling ended: out of the inbox, and marked so a second delivery of it
    by Telegram is dropped (storage/effects.py)."""
    await conn.execute(delete(inbox).where(inbox.c.update_id == update_id))
    await effects.finish(conn, update_id, now=now)


async def release(conn: AsyncConnection, owner: str, *, sender: int | None = None) -> None:
    """Let go of `sender` (or of every sender) if `owner` has nothing of it left: an update
    in hand stays in the inbox until done, so its sender stays held. Let go at once, a new
    update of the sender goes to whichever process stored it, without waiting for this one
    to look again."""
    left = select(inbox.c.update_id).where(
        inbox.c.sender == holders.c.sender, inbox.c.quarantined_at.is_(None)
    )
    idle = [holders.c.owner == owner, ~left.exists()]
    if sender is not None:
        idle.append(holders.c.sender == sender)
    await conn.execute(delete(holders).where(*idle))


async def release_all(conn: AsyncConnection, owner: str) -> None:
    """Shutting down: every sender `owner` holds is free for the others now."""
    await conn.execute(delete(holders).where(holders.c.owner == owner))


async def quarantine(
    conn: AsyncConnection, update_ids: list[int], problem: str, *, now: datetime
) -> None:
    """Keep these updates aside for good: never handed out again, counted by `quarantined`."""
    await conn.execute(
        update(inbox)
        .where(inbox.c.update_id.in_(update_ids))
        .values(quarantined_at=now, problem=problem[:80])
    )


async def quarantined(conn: AsyncConnection) -> int:
    found = select(func.count()).where(inbox.c.quarantined_at.is_not(None))
    return (await conn.execute(found)).scalar_one()
