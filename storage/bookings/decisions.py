"""Decisions: the teacher confirms or rejects a request; the student cancels their own
booking or leaves the waiting list. A seat given back goes to the waiting list."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage.bookings.common import Freed, _swap, get, own_booking
from storage.bookings.deadlines import cancel_deadline
from storage.bookings.seats import _locked_session
from storage.bookings.waitlist import _seat_freed
from storage.errors import NotFound, Refused
from storage.models import ACTIVE_STATUSES, SEAT_STATUSES
from storage.tables import bookings, users
from storage.users import covered_grades

# ----- decisions ------------------------------------------------------------------------------


async def confirm(conn: AsyncConnection, booking_id: int, teacher: Row, *, now: datetime) -> Row:
    """The teacher confirms a requested booking of a student of their school."""
    booking = await _mine_as_teacher(conn, booking_id, teacher)
    await _swap(conn, booking, ("requested",), "confirmed", teacher.id, now, expires_at=None)
    await audit.record(conn, teacher.id, "booking.confirmed", "booking", booking_id, now=now)
    await reminders.drop_request(conn, booking_id)
    await reminders.plan_booking(conn, booking_id, now=now)
    await reminders.plan_site_change(conn, booking_id, "confirmed", now=now)
    await reminders.notice_student(
        conn, "student_decision", booking_id, now=now, detail="confirmed"
    )
    return await get(conn, booking_id)


async def reject(
    conn: AsyncConnection,
    booking_id: int,
    teacher: Row,
    reason: str,
    *,
    now: datetime,
    offer: timedelta,
) -> Freed:
    booking = await _mine_as_teacher(conn, booking_id, teacher)
    await _locked_session(conn, booking.session_id)  # the lock order: session, then booking
    await _swap(conn, booking, ("requested",), "rejected", teacher.id, now, reason=reason[:200])
    await reminders.drop_booking(conn, booking_id)
    await reminders.notice_student(conn, "student_decision", booking_id, now=now, detail="rejected")
    await audit.record(conn, teacher.id, "booking.rejected", "booking", booking_id, now=now)
    return await _seat_freed(conn, booking, now, offer)


async def cancel(
    conn: AsyncConnection, booking_id: int, student: Row, *, now: datetime, offer: timedelta
) -> Freed:
    """The student cancels their own booking, or leaves the waiting list."""
    booking = await own_booking(conn, booking_id, student.id)
    session = await _locked_session(conn, booking.session_id)  # session first, then booking
    if booking.status in SEAT_STATUSES and now >= cancel_deadline(session):
        raise Refused("too_late", when=cancel_deadline(session))
    await _swap(conn, booking, ACTIVE_STATUSES, "cancelled", student.id, now)
    await reminders.drop_booking(conn, booking_id)
    if booking.status == "confirmed":  # the site counted on this student, and their teacher
        await reminders.plan_site_change(conn, booking_id, "cancelled", now=now)
        await _tell_teacher(conn, booking, now)
    await audit.record(conn, student.id, "booking.cancelled", "booking", booking_id, now=now)
    if booking.status not in SEAT_STATUSES:
        return Freed(booking_id, booking.session_id, was=booking.status)
    return await _seat_freed(conn, booking, now, offer)


async def _tell_teacher(conn: AsyncConnection, booking: Row, now: datetime) -> None:
    """The teacher who booked the seat for the class, or confirmed the request, hears that
    the student cancelled it (teacher_student_cancelled): their plans for the day change."""
    teacher_id = booking.booked_by if booking.booked_by != booking.student_id else None
    teacher_id = teacher_id or booking.decided_by
    if teacher_id is None or teacher_id == booking.student_id:
        return
    teacher = await conn.scalar(
        select(users.c.id).where(
            users.c.id == teacher_id, users.c.role == "teacher", users.c.active.is_(True)
        )
    )
    if teacher is not None:
        kind = "teacher_student_cancelled"
        await reminders.notice(
            conn,
            kind,
            teacher,
            f"{kind}:{booking.id}:{teacher}",
            now=now,
            booking_id=booking.id,
            session_id=booking.session_id,
        )


# What a student has asked for but not been given: withdrawn when the guardian withdraws
# consent (or the student leaves). A confirmed seat stays: the teacher decides about it.
PENDING_STATUSES = ("requested", "offered", "waitlisted", "entered")


async def withdraw_pending(
    conn: AsyncConnection, student_id: int, actor_id: int, *, now: datetime, offer: timedelta
) -> list[Freed]:
    """Withdraw every pending request and waiting place of the student (cancelled by
    `actor_id`); a seat a request held goes to the waiting list."""
    # In session order: two such withdrawals lock the sessions they share in one order.
    ids = await conn.scalars(
        select(bookings.c.id)
        .where(bookings.c.student_id == student_id, bookings.c.status.in_(PENDING_STATUSES))
        .order_by(bookings.c.session_id, bookings.c.id)
    )
    return await give_back(conn, ids.all(), PENDING_STATUSES, actor_id, now=now, offer=offer)


async def give_back(
    conn: AsyncConnection,
    booking_ids: list[int],
    statuses: tuple[str, ...],
    actor_id: int,
    *,
    now: datetime,
    offer: timedelta,
) -> list[Freed]:
    """Cancel these bookings (each still in one of `statuses`) for `actor_id`, withdrawn on
    someone's behalf rather than by the student's own hand: a seat goes to the waiting list.
    Give them in session order: two such calls lock the sessions they share in one order."""
    withdrawn = []
    for booking_id in booking_ids:
        booking = await get(conn, booking_id)
        await _locked_session(conn, booking.session_id)  # session first, then booking
        await _swap(conn, booking, statuses, "cancelled", actor_id, now)
        await reminders.drop_booking(conn, booking_id)
        await audit.record(conn, actor_id, "booking.withdrawn", "booking", booking_id, now=now)
        if booking.status in SEAT_STATUSES:
            withdrawn.append(await _seat_freed(conn, booking, now, offer))
        else:
            withdrawn.append(Freed(booking_id, booking.session_id, was=booking.status))
    return withdrawn


async def _mine_as_teacher(conn: AsyncConnection, booking_id: int, teacher: Row) -> Row:
    """The booking if it is of a student of the teacher's school and grades; else NotFound."""
    booking = await get(conn, booking_id)
    if booking is None or booking.school_id != teacher.school_id:
        raise NotFound
    grades = covered_grades(teacher)
    if grades and booking.student_id is not None:
        grade = await conn.scalar(select(users.c.grade).where(users.c.id == booking.student_id))
        if grade not in grades:
            raise NotFound
    return booking
