"""Taking a seat: whether a session is open, the seats taken and given back, and the one
order in which a session's rows are locked.

Seats: `sessions.booked` counts the bookings that hold a seat (requested, confirmed,
offered). Taking one is a single conditional UPDATE (`booked < capacity`, the session
still scheduled), which locks the session row until the commit; SQLite's one writer is
alone anyway under BEGIN IMMEDIATE. The CHECK constraint `booked <= capacity` is the
backstop.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import reminders
from storage.bookings.common import SESSION_VIEW, bookable_site
from storage.errors import Refused
from storage.models import SEAT_STATUSES
from storage.search import refresh_next
from storage.tables import bookings, programs, sessions


def _check_open(session: Row | None, now: datetime, *, unchecked_ok: bool = False) -> None:
    """Refused unless the session takes bookings now (`unchecked_ok`: at a site never
    inspected too, UNCHECKED_SITES_BOOKABLE)."""
    if session is None or session.status != "scheduled":
        raise Refused("gone")
    if session.starts_at <= now:
        raise Refused("started")
    if not bookable_site(session, reminders.city_day(now), unchecked_ok=unchecked_ok):
        raise Refused("safety")
    if session.opens_at is not None and now < session.opens_at:
        raise Refused("not_open", when=session.opens_at)


async def _locked_session(conn: AsyncConnection, session_id: int) -> Row | None:
    """The session, its row locked until commit (PostgreSQL).

    Every change that gives a seat back or touches several bookings of a session locks the
    session row before any booking row: one lock order everywhere, so two such changes
    wait for each other instead of deadlocking. (SQLite has one writer; nothing to order.)
    """
    stmt = SESSION_VIEW.where(sessions.c.id == session_id)
    if conn.dialect.name == "postgresql":
        # NO KEY UPDATE: it orders the changes of one session like FOR UPDATE would, but lets
        # rows that only reference the session (bookings, reminders) be written meanwhile;
        # a plain FOR UPDATE would block those foreign-key checks and deadlock with them.
        stmt = stmt.with_for_update(of=sessions, key_share=True)
    return (await conn.execute(stmt)).first()


async def _take_seats(
    conn: AsyncConnection, session: Row, school_id: int, count: int, *, now: datetime
) -> bool:
    """Take `count` seats if the session and the school's cap allow; False if not."""
    if conn.dialect.name == "sqlite" and session.booked + count > session.capacity:
        # SQLite's one writer read this row inside this same transaction: it is exact, and
        # the statement below would only confirm it. (Most applications to a popular
        # session come after it is full.)
        return False
    if session.school_cap is not None:
        # Counting the school's seats needs the row locked first: a count taken beside the
        # UPDATE could be stale by the time a concurrent booking commits.
        await _locked_session(conn, session.id)
        held = await conn.scalar(
            select(func.count()).where(
                bookings.c.session_id == session.id,
                bookings.c.school_id == school_id,
                bookings.c.status.in_(SEAT_STATUSES),
            )
        )
        if held + count > session.school_cap:
            return False
    taken = await conn.execute(
        update(sessions)
        .where(
            sessions.c.id == session.id,
            sessions.c.booked + count <= sessions.c.capacity,
            # Re-checked after waiting for the row: the site may have cancelled meanwhile.
            sessions.c.status == "scheduled",
        )
        .values(booked=sessions.c.booked + count)
        .returning(sessions.c.booked, sessions.c.capacity)
    )
    now_taken = taken.first()
    if now_taken is None:
        return False
    if now_taken.booked >= now_taken.capacity:  # the last seat: the next free session moves on
        await refresh_next(conn, [session.program_id], now=now)
    else:  # only the stored seats left of the programme's next session can change
        await conn.execute(
            update(programs)
            .where(programs.c.id == session.program_id, programs.c.next_start == session.starts_at)
            .values(next_seats=programs.c.next_seats - count)
        )
    return True


async def _give_back(
    conn: AsyncConnection, session_id: int, program_id: int, *, now: datetime
) -> None:
    await conn.execute(
        update(sessions).where(sessions.c.id == session_id).values(booked=sessions.c.booked - 1)
    )
    await refresh_next(conn, [program_id], now=now)


async def _insert(conn: AsyncConnection, **values) -> int:
    return (
        await conn.execute(insert(bookings).values(**values).returning(bookings.c.id))
    ).scalar_one()
