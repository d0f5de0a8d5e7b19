"""Seats coming free: the waiting list is offered them in order; offers taken or declined,
and requests and offers nobody answered in time expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage.bookings.common import Freed, _swap, get, own_booking
from storage.bookings.deadlines import answer_by
from storage.bookings.seats import _give_back, _locked_session, _take_seats
from storage.errors import AlreadyHandled
from storage.tables import bookings, sessions

# ----- seats coming free: the waiting list ----------------------------------------------------


async def _seat_freed(
    conn: AsyncConnection, booking: Row, now: datetime, offer: timedelta
) -> Freed:
    program_id = await conn.scalar(
        select(sessions.c.program_id).where(sessions.c.id == booking.session_id)
    )
    await _give_back(conn, booking.session_id, program_id, now=now)
    offered = await offer_free_seats(conn, booking.session_id, now=now, offer=offer)
    return Freed(booking.id, booking.session_id, offered, booking.status)


async def offer_free_seats(
    conn: AsyncConnection, session_id: int, *, now: datetime, offer: timedelta
) -> list[int]:
    """Offer every free seat to the first in line, in order; returns the offered bookings."""
    session = await _locked_session(conn, session_id)
    if session is None or session.status != "scheduled" or session.starts_at <= now:
        return []
    offered = []
    while True:
        first = (
            await conn.execute(
                select(bookings.c.id, bookings.c.school_id)
                .where(bookings.c.session_id == session_id, bookings.c.status == "waitlisted")
                .order_by(bookings.c.line.is_(None), bookings.c.line, bookings.c.id)
                .limit(1)
            )
        ).first()
        if first is None or not await _take_seats(conn, session, first.school_id, 1, now=now):
            return offered
        await conn.execute(
            update(bookings)
            .where(bookings.c.id == first.id)
            .values(status="offered", expires_at=answer_by(session.starts_at, now, offer))
        )
        await reminders.notice_student(conn, "student_offer", first.id, now=now)
        offered.append(first.id)


async def accept_offer(
    conn: AsyncConnection, booking_id: int, student: Row, *, now: datetime, hold: timedelta
) -> Row:
    """The student takes the offered seat: it becomes a request for their teacher."""
    booking = await own_booking(conn, booking_id, student.id)
    if booking.status == "offered" and booking.expires_at <= now:
        raise AlreadyHandled  # the clock will pass it on; too late either way
    starts_at = await conn.scalar(
        select(sessions.c.starts_at).where(sessions.c.id == booking.session_id)
    )
    expires = answer_by(starts_at, now, hold)
    await _swap(conn, booking, ("offered",), "requested", student.id, now, expires_at=expires)
    await audit.record(conn, student.id, "booking.offer_accepted", "booking", booking_id, now=now)
    await reminders.plan_request(conn, booking_id, expires_at=expires, now=now)
    return await get(conn, booking_id)


async def decline_offer(
    conn: AsyncConnection, booking_id: int, student: Row, *, now: datetime, offer: timedelta
) -> Freed:
    booking = await own_booking(conn, booking_id, student.id)
    await _locked_session(conn, booking.session_id)  # the lock order: session, then booking
    await _swap(conn, booking, ("offered",), "declined", student.id, now)
    await audit.record(conn, student.id, "booking.offer_declined", "booking", booking_id, now=now)
    return await _seat_freed(conn, booking, now, offer)


async def expire_due(
    conn: AsyncConnection, *, now: datetime, offer: timedelta, limit: int = 100
) -> list[tuple[Row, Freed]]:
    """Requests no teacher answered in time and offers nobody took: over, seats passed on."""
    due = await conn.execute(
        select(bookings)
        .where(bookings.c.status.in_(("requested", "offered")), bookings.c.expires_at <= now)
        .order_by(bookings.c.expires_at)
        .limit(limit)
    )
    done = []
    for booking in due.all():
        await _locked_session(conn, booking.session_id)  # the lock order: session, booking
        try:
            await _swap(
                conn, booking, (booking.status,), "expired", None, now, expired_from=booking.status
            )
        except AlreadyHandled:
            continue
        await reminders.drop_booking(conn, booking.id)
        await reminders.notice_student(
            conn, "student_expired", booking.id, now=now, detail=booking.status
        )
        await audit.record(conn, None, "booking.expired", "booking", booking.id, now=now)
        done.append((booking, await _seat_freed(conn, booking, now, offer)))
    return done
