"""Lists: the seats held on a session, the teachers who cover a student, and the student's own
bookings (handlers/bookings.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import SEAT_STATUSES
from storage.tables import bookings, programs, sessions, sites, users

# ----- lists ----------------------------------------------------------------------------------


def seat_taken_matches(session_id: int):
    """Condition: bookings holding a seat on the session (for checks and tests)."""
    return and_(bookings.c.session_id == session_id, bookings.c.status.in_(SEAT_STATUSES))


async def seats_held(conn: AsyncConnection, session_id: int) -> int:
    return await conn.scalar(select(func.count()).where(seat_taken_matches(session_id)))


def teachers_of(school_id: int, grade: int | None):
    """Teachers of the school who cover the grade (no grades picked means all grades)."""
    covers = or_(users.c.grades.is_(None), users.c.grades == "")
    if grade is not None:
        covers = or_(covers, users.c.grades.contains(str(grade)))
    return select(users).where(
        users.c.role == "teacher", users.c.school_id == school_id, users.c.active.is_(True), covers
    )


# ----- the student's own lists (handlers/bookings.py) -----------------------------------------


MY_VIEW = (
    select(
        bookings,
        sessions.c.starts_at,
        sessions.c.ends_at,
        sessions.c.cancel_deadline,
        sessions.c.status.label("session_status"),
        programs.c.title,
        programs.c.id.label("program_id"),
        programs.c.online,
        sites.c.name.label("site_name"),
        sites.c.address.label("site_address"),
    )
    .join(sessions, sessions.c.id == bookings.c.session_id)
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(sites, sites.c.id == programs.c.site_id)
)


async def student_bookings(
    conn: AsyncConnection, student_id: int, *, now: datetime, past: int = 5
) -> tuple[list[Row], list[Row]]:
    """(upcoming, recent past) bookings of a student; upcoming soonest first."""
    mine = MY_VIEW.where(bookings.c.student_id == student_id)
    upcoming = await conn.execute(
        mine.where(sessions.c.ends_at > now).order_by(sessions.c.starts_at, bookings.c.id)
    )
    before = await conn.execute(
        mine.where(sessions.c.ends_at <= now)
        .order_by(sessions.c.starts_at.desc(), bookings.c.id.desc())
        .limit(past)
    )
    return list(upcoming.all()), list(before.all())


async def my_booking(conn: AsyncConnection, booking_id: int, student_id: int) -> Row | None:
    """One booking of this student with its session; None for anyone else's."""
    found = await conn.execute(
        MY_VIEW.where(bookings.c.id == booking_id, bookings.c.student_id == student_id)
    )
    return found.first()


# ----- what became of a booking that did not work out (the student's /my) ---------------------


def outcome(booking: Row, student_id: int, *, now: datetime) -> str | None:
    """Why a booking of MY_VIEW gave the student no seat, or None while it still may (or did):
    called_off (the site cancelled the session; its reason in `reason`), rejected (by a
    teacher; their reason, if any, in `reason`), teacher_late (no teacher answered in time),
    offer_late (a seat offered from the line not taken in time), passed (the student passed
    the offer), cancelled (by the student), class_seat (the teacher who booked it for a class
    gave it back), withdrawn (by someone else, such as a guardian withdrawing consent),
    full (still in line, or in a draw, when the session began)."""
    status = booking.status
    if booking.session_status == "cancelled" and status == "cancelled":
        return "called_off"
    if status == "rejected":
        return "rejected"
    if status == "expired":
        return "offer_late" if booking.expired_from == "offered" else "teacher_late"
    if status == "declined":
        return "passed"
    if status == "cancelled":
        if booking.decided_by == student_id:
            return "cancelled"
        if booking.booked_by != student_id and booking.decided_by == booking.booked_by:
            return "class_seat"
        return "withdrawn"
    if status in ("waitlisted", "entered") and booking.starts_at <= now:
        return "full"
    return None
