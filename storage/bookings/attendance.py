"""Attendance and survey: the site marks a confirmed booking attended or no-show; a student
who attended answers the survey."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import reminders
from storage.bookings.common import get, own_booking, session_view
from storage.db import dialect_insert
from storage.errors import NotFound
from storage.tables import bookings
from storage.tables import survey_answers as surveys

# ----- attendance and survey ------------------------------------------------------------------


async def mark_attendance(
    conn: AsyncConnection, booking_id: int, site_id: int, attended: bool, *, now: datetime
) -> Row:
    """The site marks one confirmed booking of its own session attended or no-show."""
    booking = await get(conn, booking_id)
    if booking is None or booking.status != "confirmed":
        raise NotFound
    session = await session_view(conn, booking.session_id)
    if session.site_id != site_id:
        raise NotFound
    await conn.execute(
        update(bookings)
        .where(bookings.c.id == booking_id)
        .values(attendance="attended" if attended else "no_show")
    )
    if attended:
        await reminders.plan_survey(conn, [booking_id], now=now)
    else:
        await reminders.drop_survey(conn, booking_id)
    return await get(conn, booking_id)


async def answer_survey(
    conn: AsyncConnection, booking_id: int, student_id: int, score: int, *, now: datetime
) -> None:
    """Record (or change) the student's 1-5 for an attended booking of their own."""
    if (await own_booking(conn, booking_id, student_id)).attendance != "attended":
        raise NotFound
    stmt = dialect_insert(conn)(surveys).values(booking_id=booking_id, score=score, answered_at=now)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["booking_id"], set_={"score": score, "answered_at": now}
        )
    )


async def comment_survey(
    conn: AsyncConnection, booking_id: int, student_id: int, comment: str
) -> None:
    await own_booking(conn, booking_id, student_id)
    await conn.execute(
        update(surveys).where(surveys.c.booking_id == booking_id).values(comment=comment[:500])
    )


async def survey_answered(conn: AsyncConnection, booking_id: int) -> bool:
    found = await conn.scalar(
        select(surveys.c.booking_id).where(surveys.c.booking_id == booking_id)
    )
    return found is not None
