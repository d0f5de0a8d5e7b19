"""Reminders as an outbox: rows written with the change that causes them, sent by the clock.

A confirmed booking writes its student's reminders and its site's roster messages in the
same transaction; a cancelled booking or session deletes the ones not yet sent. Each row
has a unique key per occasion, so writing the same reminder twice keeps one.

Sending: each tick claims due rows by moving them to "sending" with a lease (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so several bot processes take different rows; SQLite has one
writer). A row whose lease ran out (the process died) is claimed again: at most one
duplicate per crash, for the rows in flight. A failure is retried later with exponential
backoff and jitter; after MAX_ATTEMPTS the row is dead and staff are told in a digest.

Times follow the city's clock (Asia/Seoul): the day before at 18:00, quiet hours for
students between 21:00 and 08:00.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import dialect_insert
from storage.models import Booking, Program, Reminder, Session, User

reminders = Reminder.__table__
bookings = Booking.__table__
sessions = Session.__table__
programs = Program.__table__
users = User.__table__

# The programme's clock. Callers that know the TZ setting pass it; storage code that
# confirms a booking deep inside a transaction uses this.
CITY_TZ = ZoneInfo("Asia/Seoul")
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 6
QUIET_START, QUIET_END = time(21, 0), time(8, 0)

# kind -> (local time of day, days before the session) for reminders at a clock time.
AT_CLOCK = {
    "student_day_before": (time(18, 0), 1),
    "site_roster_day_before": (time(17, 0), 1),
    "site_roster_morning": (time(8, 0), 0),
}
ONLINE_BEFORE = timedelta(hours=2)


@dataclass(frozen=True)
class Planned:
    kind: str
    user_id: int
    due_at: datetime
    key: str


# ----- when -----------------------------------------------------------------------------------


def at_clock(kind: str, starts_at: datetime, tz: tzinfo) -> datetime:
    """The moment of a clock-time reminder for a session, e.g. 18:00 the day before."""
    at, days_before = AT_CLOCK[kind]
    day = starts_at.astimezone(tz).date() - timedelta(days=days_before)
    return datetime.combine(day, at, tzinfo=tz)


def out_of_quiet_hours(moment: datetime, starts_at: datetime, tz: tzinfo) -> datetime:
    """A student reminder never lands between 21:00 and 08:00: it waits until 08:00, or,
    when 08:00 would be too late for the session, comes at 20:30 the evening before."""
    local = moment.astimezone(tz)
    if QUIET_END <= local.time() < QUIET_START:
        return moment
    morning_day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    morning = datetime.combine(morning_day, QUIET_END, tzinfo=tz)
    if morning <= starts_at - timedelta(minutes=30):
        return morning
    evening = datetime.combine(morning_day - timedelta(days=1), time(20, 30), tzinfo=tz)
    return evening


def student_plan(booking_id: int, student_id: int, session: Row, tz: tzinfo) -> list[Planned]:
    """The reminders a student gets for a confirmed booking."""
    plans = [
        Planned(
            "student_day_before",
            student_id,
            at_clock("student_day_before", session.starts_at, tz),
            f"student_day_before:{booking_id}",
        )
    ]
    if session.online:
        due = out_of_quiet_hours(session.starts_at - ONLINE_BEFORE, session.starts_at, tz)
        plans.append(Planned("student_online", student_id, due, f"student_online:{booking_id}"))
    return plans


def site_plan(session_id: int, starts_at: datetime, site_users: list[int], tz) -> list[Planned]:
    return [
        Planned(kind, user_id, at_clock(kind, starts_at, tz), f"{kind}:{session_id}:{user_id}")
        for kind in ("site_roster_day_before", "site_roster_morning")
        for user_id in site_users
    ]


# ----- writing, in the caller's transaction ---------------------------------------------------


async def plan_booking(
    conn: AsyncConnection, booking_id: int, *, now: datetime, tz: tzinfo = CITY_TZ
) -> None:
    """Write the reminders of a booking just confirmed (student and site); idempotent."""
    row = (
        await conn.execute(
            select(
                bookings.c.id,
                bookings.c.student_id,
                bookings.c.session_id,
                sessions.c.starts_at,
                programs.c.online,
                programs.c.site_id,
            )
            .join(sessions, sessions.c.id == bookings.c.session_id)
            .join(programs, programs.c.id == sessions.c.program_id)
            .where(bookings.c.id == booking_id)
        )
    ).one()
    plans = []
    if row.student_id is not None:
        plans += student_plan(row.id, row.student_id, row, tz)
    site_users = list(
        (
            await conn.execute(
                select(users.c.id).where(users.c.role == "site", users.c.site_id == row.site_id)
            )
        ).scalars()
    )
    plans += site_plan(row.session_id, row.starts_at, site_users, tz)
    await _write(conn, plans, now, booking_id=row.id, session_id=row.session_id)


async def _write(conn, plans: list[Planned], now: datetime, **about) -> None:
    # A moment already past is never written: "the day before" a session tomorrow morning,
    # booked tonight, is simply not sent.
    rows = [
        {
            "kind": p.kind,
            "user_id": p.user_id,
            "due_at": p.due_at,
            "key": p.key,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            # Site rosters are about the session, not one booking: they outlive a cancel.
            "booking_id": None if p.kind.startswith("site_") else about.get("booking_id"),
            "session_id": about.get("session_id"),
        }
        for p in plans
        if p.due_at > now
    ]
    if rows:
        stmt = dialect_insert(conn)(reminders).on_conflict_do_nothing(index_elements=["key"])
        await conn.execute(stmt, rows)


async def drop_booking(conn: AsyncConnection, booking_id: int) -> None:
    """The booking is over: its reminders not yet sent go."""
    await conn.execute(
        delete(reminders).where(
            reminders.c.booking_id == booking_id, reminders.c.status == "pending"
        )
    )


async def drop_session(conn: AsyncConnection, session_id: int) -> None:
    await conn.execute(
        delete(reminders).where(
            reminders.c.session_id == session_id, reminders.c.status == "pending"
        )
    )


# ----- sending --------------------------------------------------------------------------------


async def claim_due(conn: AsyncConnection, *, now: datetime, limit: int = 50) -> list[Row]:
    """Take up to `limit` due rows (and rows whose lease ran out) for this process."""
    due = or_(
        and_(reminders.c.status == "pending", reminders.c.due_at <= now),
        and_(reminders.c.status == "sending", reminders.c.lease_until <= now),
    )
    pick = select(reminders.c.id).where(due).order_by(reminders.c.due_at).limit(limit)
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list((await conn.execute(pick)).scalars())
    if not ids:
        return []
    claimed = await conn.execute(
        update(reminders)
        .where(reminders.c.id.in_(ids), due)
        .values(status="sending", lease_until=now + LEASE, attempts=reminders.c.attempts + 1)
        .returning(*reminders.c)
    )
    return sorted(claimed.all(), key=lambda r: r.due_at)


async def mark(conn: AsyncConnection, reminder_id: int, status: str, *, now: datetime) -> None:
    """sent | skipped (its moment passed, or it no longer applies) | dead (never sendable)."""
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == reminder_id, reminders.c.status == "sending")
        .values(status=status, sent_at=now, lease_until=None)
    )


async def retry_later(
    conn: AsyncConnection, row: Row, error: str, *, now: datetime, wait: float | None = None
) -> str:
    """Back to pending after a wait (Telegram's retry_after, or backoff with jitter); dead
    after MAX_ATTEMPTS. Returns the new status."""
    if row.attempts >= MAX_ATTEMPTS:
        status, due = "dead", row.due_at
    else:
        backoff = wait if wait is not None else min(3600, 5 * 2**row.attempts)
        status, due = "pending", now + timedelta(seconds=backoff * random.uniform(1.0, 1.3))
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == row.id, reminders.c.status == "sending")
        .values(status=status, due_at=due, lease_until=None, last_error=error[:200])
    )
    return status


async def dead_since(conn: AsyncConnection, since: datetime) -> list[Row]:
    """Reminders that died since `since` (for the staff digest)."""
    found = await conn.execute(
        select(reminders).where(reminders.c.status == "dead", reminders.c.due_at >= since)
    )
    return list(found.all())
