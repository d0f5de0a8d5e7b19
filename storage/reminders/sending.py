"""The sender's side of the outbox table: claiming what is due with a lease, marking it (one
by one or in groups), retrying with a back-off, holding and postponing, the dead letters and
forgetting what is long settled."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, union, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.reminders.common import KEEP_DEAD, KEEP_SETTLED, LEASE, MAX_ATTEMPTS
from storage.tables import reminder_optouts as optouts
from storage.tables import reminders, users

# ----- sending --------------------------------------------------------------------------------

CLAIM_LOCK = 0x6A696E726F  # "jinro": the advisory lock claims take on PostgreSQL
PER_CHAT = timedelta(seconds=1)  # Telegram's pace in one chat


class Claimed(list):
    """The rows claimed; `held_back`: rows were due but waited for their person (one in
    flight, or one sent less than a second ago), so the caller should look again soon."""

    held_back = False


async def claim_due(conn: AsyncConnection, *, now: datetime, limit: int = 50) -> Claimed:
    """Take up to `limit` due rows (and rows whose lease ran out) for this process: at most
    one per recipient, and none for a recipient with a row in flight (in any process) or one
    settled less than a second ago. So a person has at most one message in flight, and a
    crash repeats at most one message per person, whatever SEND_IN_FLIGHT is; and one chat
    gets at most a message a second from the outbox, whatever the number of processes."""
    if conn.dialect.name == "postgresql":
        # Claims queue one behind another (briefly: one statement or two each), so two
        # processes never both take a row of the same person.
        await conn.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
    due = or_(
        and_(reminders.c.status == "pending", reminders.c.due_at <= now),
        and_(reminders.c.status == "sending", reminders.c.lease_until <= now),
    )
    other = reminders.alias("other")
    busy = union(
        select(other.c.user_id).where(other.c.status == "sending", other.c.lease_until > now),
        select(other.c.user_id).where(other.c.sent_at > now - PER_CHAT),
    ).subquery()
    waiting = reminders.c.user_id.in_(select(busy.c.user_id)).label("waiting")
    pick = (
        select(reminders.c.id, reminders.c.user_id, waiting)
        .where(due)
        .order_by(reminders.c.due_at, reminders.c.id)
        .limit(limit * 4)
    )
    claimed, ids, people = Claimed(), [], set()
    for row in (await conn.execute(pick)).all():
        if row.waiting or row.user_id in people:
            claimed.held_back = True
        elif len(ids) < limit:
            ids.append(row.id)
            people.add(row.user_id)
    if ids:
        taken = await conn.execute(
            update(reminders)
            .where(reminders.c.id.in_(ids), due)
            .values(status="sending", lease_until=now + LEASE, attempts=reminders.c.attempts + 1)
            .returning(*reminders.c)
        )
        claimed.extend(sorted(taken.all(), key=lambda r: r.due_at))
    return claimed


async def get(conn: AsyncConnection, reminder_id: int) -> Row | None:
    """One outbox row, whatever its status (None: forgotten since)."""
    return (await conn.execute(select(reminders).where(reminders.c.id == reminder_id))).first()


async def mark(
    conn: AsyncConnection, reminder_id: int, status: str, *, now: datetime, error: str | None = None
) -> None:
    """sent | skipped (its moment passed, or it no longer applies) | dead (never sendable).
    `sent_at` is when the row was settled, whatever the status; `error` says why it died."""
    values = {"status": status, "sent_at": now, "lease_until": None}
    if error is not None:
        values["last_error"] = error[:200]
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == reminder_id, reminders.c.status == "sending")
        .values(**values)
    )


async def retry_later(
    conn: AsyncConnection, row: Row, error: str, *, now: datetime, wait: float | None = None
) -> str:
    """Back to pending after a wait (Telegram's retry_after, or backoff with jitter); dead
    after MAX_ATTEMPTS. Returns the new status."""
    if row.attempts >= MAX_ATTEMPTS:
        status, due, settled = "dead", row.due_at, now
    else:
        backoff = wait if wait is not None else min(3600, 5 * 2**row.attempts)
        status, due = "pending", now + timedelta(seconds=backoff * random.uniform(1.0, 1.3))
        settled = None
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == row.id, reminders.c.status == "sending")
        .values(
            status=status, due_at=due, lease_until=None, last_error=error[:200], sent_at=settled
        )
    )
    return status


def _died_since(since: datetime):
    # sent_at is when a row was settled; rows that died before it was kept have only due_at.
    # A broadcast's undelivered copies are in its own report (and would swamp this one).
    settled = func.coalesce(reminders.c.sent_at, reminders.c.due_at)
    return and_(reminders.c.status == "dead", settled >= since, reminders.c.kind != "broadcast")


async def dead_since(conn: AsyncConnection, since: datetime) -> list[Row]:
    """Reminders that died since `since`."""
    found = await conn.execute(select(reminders).where(_died_since(since)))
    return list(found.all())


@dataclass(frozen=True)
class DeadLetters:
    """What the staff digest shows: counts only, never whom a reminder was for."""

    total: int
    kinds: list[Row]  # (kind, total), most first
    errors: list[Row]  # (error, total), the latest first


async def dead_letters(conn: AsyncConnection, since: datetime, *, errors: int = 5) -> DeadLetters:
    total = func.count().label("total")
    kinds = await conn.execute(
        select(reminders.c.kind, total)
        .where(_died_since(since))
        .group_by(reminders.c.kind)
        .order_by(total.desc(), reminders.c.kind)
    )
    error = func.coalesce(reminders.c.last_error, "?").label("error")
    last = await conn.execute(
        select(error, total)
        .where(_died_since(since))
        .group_by(error)
        .order_by(func.max(reminders.c.id).desc())
        .limit(errors)
    )
    kinds = list(kinds.all())
    return DeadLetters(sum(k.total for k in kinds), kinds, list(last.all()))


# ----- marking in groups (the dispatcher's group commit) ---------------------------------------


async def mark_many(
    conn: AsyncConnection, ids: list[int], status: str, *, now: datetime, error: str | None = None
) -> None:
    """`mark` for several rows settled the same way, in one statement."""
    values = {"status": status, "sent_at": now, "lease_until": None}
    if error is not None:
        values["last_error"] = error[:200]
    await conn.execute(
        update(reminders)
        .where(reminders.c.id.in_(ids), reminders.c.status == "sending")
        .values(**values)
    )


async def recipients(conn: AsyncConnection, user_ids: set[int]) -> dict[int, tuple[Row, set[str]]]:
    """user id -> (the user's row, the kinds they turned off), for a claimed batch: two reads
    for the whole batch instead of two for every reminder."""
    found = await conn.execute(select(users).where(users.c.id.in_(user_ids)))
    people = {user.id: (user, set()) for user in found.all()}
    off = await conn.execute(
        select(optouts.c.user_id, optouts.c.kind).where(optouts.c.user_id.in_(user_ids))
    )
    for user_id, kind in off.all():
        if user_id in people:
            people[user_id][1].add(kind)
    return people


async def forget_settled(conn: AsyncConnection, *, now: datetime) -> int:
    """Delete rows settled long ago; returns how many went. Their unique keys go too, which
    is safe: every occasion's moment is long past, and nothing writes a past moment."""
    gone = await conn.execute(
        delete(reminders).where(
            or_(
                and_(
                    reminders.c.status.in_(("sent", "skipped")),
                    reminders.c.sent_at < now - KEEP_SETTLED,
                ),
                and_(reminders.c.status == "dead", reminders.c.due_at < now - KEEP_DEAD),
            )
        )
    )
    return gone.rowcount


async def postpone(conn: AsyncConnection, row: Row, due: datetime) -> None:
    """Back to pending for later, without counting the claim as a failed attempt."""
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == row.id, reminders.c.status == "sending")
        .values(status="pending", due_at=due, lease_until=None, attempts=reminders.c.attempts - 1)
    )


async def hold(conn: AsyncConnection, row: Row) -> None:
    """Set aside until its owner lets it go (a paused broadcast's copy claimed just before
    the pause): "held" rows are never claimed; resuming makes them pending again."""
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == row.id, reminders.c.status == "sending")
        .values(status="held", lease_until=None, attempts=reminders.c.attempts - 1)
    )
