"""Class bookings: a teacher takes seats for a class at once, confirmed, then puts a student
on each seat. What the teacher sees of them is in storage/pending.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage.bookings.class_changes import tell_site
from storage.bookings.common import get, session_view
from storage.bookings.seats import _check_open, _insert, _locked_session, _take_seats
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.models import ACTIVE_STATUSES
from storage.tables import bookings, users

# ----- class bookings -------------------------------------------------------------------------


async def book_class(
    conn: AsyncConnection,
    teacher: Row,
    session_id: int,
    count: int,
    *,
    now: datetime,
    unchecked_ok: bool = False,
) -> list[int]:
    """A teacher takes `count` seats for a class at once, confirmed; names come after."""
    session = await _locked_session(conn, session_id)
    _check_open(session, now, unchecked_ok=unchecked_ok)
    if session.lottery_until is not None and now < session.lottery_until:
        raise Refused("lottery", when=session.lottery_until)
    if not 0 < count <= session.capacity - session.booked:
        raise Refused("no_room")
    if not await _take_seats(conn, session, teacher.school_id, count, now=now):
        raise Refused("no_room")
    ids = [
        await _insert(
            conn,
            session_id=session_id,
            school_id=teacher.school_id,
            booked_by=teacher.id,
            status="confirmed",
            created_at=now,
            decided_by=teacher.id,
            decided_at=now,
        )
        for _ in range(count)
    ]
    await audit.record(
        conn, teacher.id, "booking.class", "session", session_id, seats=count, now=now
    )
    await reminders.plan_booking(conn, ids[0], now=now)  # the site's rosters; keyed per session
    # Booked after the site's roster went out (or the same morning): the site hears at once.
    await tell_site(conn, teacher, session, now, booked=count)
    return ids


async def name_seat(
    conn: AsyncConnection,
    booking_id: int,
    teacher: Row,
    *,
    student_id: int | None = None,
    name: str | None = None,
    now: datetime,
) -> None:
    """Put a student on one seat of the teacher's class booking (registered, or by name)."""
    booking = await get(conn, booking_id)
    if booking is None or booking.booked_by != teacher.id or booking.status != "confirmed":
        raise NotFound
    if student_id is not None:
        student = (await conn.execute(select(users).where(users.c.id == student_id))).first()
        if student is None or student.role != "student" or student.school_id != teacher.school_id:
            raise NotFound
        if student.under14 and student.consent_at is None:
            # The same rule as their own application; the teacher can record the paper form.
            raise Refused("consent")
        if await _active_booking(conn, booking.session_id, student_id) is not None:
            raise Refused("already")
    changed = await conn.execute(
        update(bookings)
        .where(
            bookings.c.id == booking_id,
            # Still held: a seat given back in the same instant is not named after all.
            bookings.c.status == "confirmed",
            bookings.c.student_id.is_(None),
            bookings.c.student_name.is_(None),
        )
        .values(student_id=student_id, student_name=None if student_id else name)
    )
    if changed.rowcount != 1:
        raise AlreadyHandled
    if student_id is not None:  # a student on Telegram: told, and reminded like their own
        await reminders.plan_booking(conn, booking_id, now=now)
        await reminders.notice_student(conn, "student_booked", booking_id, now=now)
    # Named after the site's roster went out: the site hears (gathered with the next names).
    await tell_site(conn, teacher, await session_view(conn, booking.session_id), now, named=True)


async def _active_booking(conn: AsyncConnection, session_id: int, student_id: int) -> int | None:
    return await conn.scalar(
        select(bookings.c.id).where(
            bookings.c.session_id == session_id,
            bookings.c.student_id == student_id,
            bookings.c.status.in_(ACTIVE_STATUSES),
        )
    )
