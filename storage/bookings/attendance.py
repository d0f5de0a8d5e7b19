"""Attendance and survey: the site marks a confirmed booking attended or no-show; a student
who attended answers the survey.

Attendance is what happened, so it is taken only once the session has begun (its start by
the caller's `now`) and only for a named person. An unnamed class seat ("(name to come)")
cannot be marked: the teacher names the student first. So every attended or no-show booking
is a person, and the city's figures (storage/stats.py) count people who attended, never
seats a class held."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import reminders
from storage.bookings.common import get, own_booking, session_view
from storage.db import dialect_insert
from storage.errors import NotFound, Refused
from storage.tables import bookings
from storage.tables import survey_answers as surveys

# ----- attendance and survey ------------------------------------------------------------------

# A booking that names who it is for: a student's own, or a class seat the teacher named.
NAMED = or_(bookings.c.student_id.is_not(None), bookings.c.student_name.is_not(None))


def check_open(session: Row, now: datetime) -> None:
    """Refused("attendance_closed") unless attendance can be taken on `session` now: it is
    going ahead and has begun. Every path that records attendance checks this."""
    if session.status != "scheduled" or session.starts_at > now:
        raise Refused("attendance_closed")


def is_named(booking: Row) -> bool:
    return booking.student_id is not None or booking.student_name is not None


async def mark_attendance(
    conn: AsyncConnection, booking_id: int, site_id: int, attended: bool, *, now: datetime
) -> Row:
    """The site marks one confirmed booking of its own session attended or no-show, once the
    session has begun; Refused("unnamed_seat") for a class seat without a name."""
    booking = await get(conn, booking_id)
    if booking is None or booking.status != "confirmed":
        raise NotFound
    session = await session_view(conn, booking.session_id)
    if session.site_id != site_id:
        raise NotFound
    check_open(session, now)
    if not is_named(booking):
        raise Refused("unnamed_seat")
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
