"""The lottery, drawn when its deadline passes, and the fair opening staff set on a session:
a per-school cap, an opening time, a lottery deadline (handlers/fair.py)."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage.bookings.common import session_view
from storage.bookings.deadlines import answer_by
from storage.bookings.seats import _locked_session, _take_seats
from storage.errors import AlreadyHandled, NotFound
from storage.tables import bookings, sessions

# ----- the lottery ----------------------------------------------------------------------------


async def draw_due(
    conn: AsyncConnection, *, now: datetime, hold: timedelta
) -> list[tuple[int, list[int], list[int]]]:
    """Draw every lottery whose deadline passed: (session, winners, waitlisted in order)."""
    due = await conn.execute(
        select(sessions.c.id).where(
            sessions.c.lottery_until <= now,
            sessions.c.lottery_seed.is_(None),
            sessions.c.status == "scheduled",
        )
    )
    return [await draw(conn, session_id, now=now, hold=hold) for session_id in due.scalars()]


async def draw(
    conn: AsyncConnection,
    session_id: int,
    *,
    now: datetime,
    hold: timedelta,
    seed: str | None = None,
) -> tuple[int, list[int], list[int]]:
    """Shuffle the entries with a recorded seed; seats in drawn order, the rest in line."""
    session = await _locked_session(conn, session_id)
    seed = seed or secrets.token_hex(8)
    marked = await conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.lottery_seed.is_(None))
        .values(lottery_seed=seed)
    )
    if marked.rowcount != 1:
        raise AlreadyHandled
    entries = list(
        (
            await conn.execute(
                select(bookings.c.id, bookings.c.school_id)
                .where(bookings.c.session_id == session_id, bookings.c.status == "entered")
                .order_by(bookings.c.id)
            )
        ).all()
    )
    random.Random(seed).shuffle(entries)
    winners, waiting = [], []
    expires = answer_by(session.starts_at, now, hold)
    for entry in entries:
        if await _take_seats(conn, session, entry.school_id, 1, now=now):
            values = {"status": "requested", "expires_at": expires}
            winners.append(entry.id)
        else:
            waiting.append(entry.id)
            values = {"status": "waitlisted", "line": len(waiting)}
        await conn.execute(update(bookings).where(bookings.c.id == entry.id).values(**values))
    for booking_id in winners:
        await reminders.plan_request(conn, booking_id, expires_at=expires, now=now)
    for booking_id in winners + waiting:  # each hears whether they were drawn
        await reminders.notice_student(conn, "student_drawn", booking_id, now=now)
    await audit.record(
        conn,
        None,
        "lottery.drawn",
        "session",
        session_id,
        seed=seed,
        winners=len(winners),
        now=now,
    )
    return session_id, winners, waiting


# ----- fair opening, set by staff (handlers/fair.py) ------------------------------------------


FAIR_FIELDS = ("school_cap", "opens_at", "lottery_until")


async def set_fair_opening(
    conn: AsyncConnection, session_id: int, staff_id: int, *, now: datetime, **values
) -> Row:
    """Change a session's per-school cap, opening time or lottery deadline (staff only).

    A lottery already drawn keeps its result: its deadline can no longer change.
    """
    values = {k: v for k, v in values.items() if k in FAIR_FIELDS}
    condition = [sessions.c.id == session_id]
    if "lottery_until" in values:
        condition.append(sessions.c.lottery_seed.is_(None))
    changed = await conn.execute(update(sessions).where(*condition).values(**values))
    if changed.rowcount != 1:
        raise NotFound
    detail = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
    await audit.record(
        conn, staff_id, "session.fair_opening", "session", session_id, now=now, **detail
    )
    return await session_view(conn, session_id)
