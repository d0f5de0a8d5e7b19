"""Changing a class booking after it is made: a student taken off a seat, a typed name
corrected, seats given back (one, some unnamed ones, or the whole booking).

Only the teacher who booked the seats changes them, and only until the session's cancel
deadline (the rule a student's own booking follows). Seats given back are one step with the
session's count: the session row is locked first (the lock order of storage/bookings/seats.py),
each seat is a compare-and-swap on "confirmed", and `sessions.booked` drops by exactly the
seats that moved, so a concurrent booking or naming can neither oversell nor lose a seat. The
waiting list is offered what came free.

The site hears of a class where it hears of class bookings: its rosters, composed when sent,
show the class as it is then. Seats given back are told at once too (like a student's
cancellation), and names changed and seats booked late (within a day of the session or once
its roster went out: reminders.late_for_site), when the roster may be out
(site_class_change). A registered student taken off is told (student_unbooked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage.bookings.common import get
from storage.bookings.deadlines import cancel_deadline
from storage.bookings.seats import _locked_session
from storage.bookings.waitlist import offer_free_seats
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.search import refresh_next
from storage.tables import bookings, sessions, users
from storage.tables import reminders as reminders_table

# Names put on a class's seats late reach the site gathered: one message for a few presses.
NAMES_GATHERED = timedelta(minutes=5)


@dataclass(frozen=True)
class Changed:
    """What a change did: seats given back, students told, seats offered from the line."""

    session_id: int
    given_back: int = 0
    told: list[int] = field(default_factory=list)  # students taken off (told)
    offered: list[int] = field(default_factory=list)  # bookings offered a seat


async def class_seat(conn: AsyncConnection, teacher: Row, booking_id: int) -> Row:
    """A confirmed seat of the teacher's own class booking; anything else is NotFound
    (another teacher's seat, a student's own booking, one given back)."""
    seat = await get(conn, booking_id)
    if (
        seat is None
        or seat.booked_by != teacher.id
        or seat.school_id != teacher.school_id
        or seat.status != "confirmed"
        or seat.student_id == teacher.id
    ):
        raise NotFound
    return seat


def change_refusal(session: Row | None, now: datetime) -> Refused | None:
    """Why the class booking on `session` can no longer be changed now, or None."""
    if session is None or session.status != "scheduled":
        return Refused("gone")
    if now >= cancel_deadline(session):
        return Refused("too_late", when=cancel_deadline(session))
    return None


async def _open_session(conn: AsyncConnection, session_id: int, now: datetime) -> Row:
    """The session, locked (before any of its bookings), if its class may still change."""
    session = await _locked_session(conn, session_id)
    refusal = change_refusal(session, now)
    if refusal is not None:
        raise refusal
    return session


async def unname_seat(conn: AsyncConnection, teacher: Row, booking_id: int, *, now: datetime):
    """Take the student (registered or typed) off the seat; the seat stays held, unnamed."""
    seat = await class_seat(conn, teacher, booking_id)
    session = await _open_session(conn, seat.session_id, now)
    if seat.student_id is None and seat.student_name is None:
        raise AlreadyHandled
    await _swap_name(conn, seat, student_id=None, name=None)
    told = await _taken_off(conn, [seat], now)
    await tell_site(conn, teacher, session, now)
    await audit.record(conn, teacher.id, "booking.unnamed", "booking", booking_id, now=now)
    return Changed(session.id, told=told)


async def rename_seat(
    conn: AsyncConnection, teacher: Row, booking_id: int, name: str, *, now: datetime
) -> Changed:
    """Correct a typed name. A registered student's name is their own account's: never here."""
    seat = await class_seat(conn, teacher, booking_id)
    session = await _open_session(conn, seat.session_id, now)
    if seat.student_id is not None or seat.student_name is None:
        raise NotFound
    await _swap_name(conn, seat, student_id=None, name=name)
    await tell_site(conn, teacher, session, now)
    await audit.record(conn, teacher.id, "booking.renamed", "booking", booking_id, now=now)
    return Changed(session.id)


async def _swap_name(conn: AsyncConnection, seat: Row, *, student_id, name) -> None:
    """Compare-and-swap on the seat's name as it was read: a naming at the same moment wins
    or loses whole."""
    changed = await conn.execute(
        update(bookings)
        .where(
            bookings.c.id == seat.id,
            bookings.c.status == "confirmed",
            _same(bookings.c.student_id, seat.student_id),
            _same(bookings.c.student_name, seat.student_name),
        )
        .values(student_id=student_id, student_name=name)
    )
    if changed.rowcount != 1:
        raise AlreadyHandled


def _same(column, value):
    return column.is_(None) if value is None else column == value


async def give_back_seat(
    conn: AsyncConnection, teacher: Row, booking_id: int, *, now: datetime, offer: timedelta
) -> Changed:
    """Give one seat back (its student, if any, is taken off and told)."""
    seat = await class_seat(conn, teacher, booking_id)
    session = await _open_session(conn, seat.session_id, now)
    return await _give_back(conn, teacher, session, [seat], "booking.class_fewer", now, offer)


async def fewer_seats(
    conn: AsyncConnection,
    teacher: Row,
    session_id: int,
    count: int,
    *,
    now: datetime,
    offer: timedelta,
) -> Changed:
    """Give `count` unnamed seats back; Refused("unnamed") when fewer are unnamed now."""
    session = await _open_session(conn, session_id, now)
    seats = await _seats(conn, teacher, session_id)
    if not seats:
        raise NotFound
    unnamed = [s for s in seats if s.student_id is None and s.student_name is None]
    if not 0 < count <= len(unnamed):
        raise Refused("unnamed")
    chosen = unnamed[-count:]  # the last booked first: the list's numbers stay where they were
    return await _give_back(conn, teacher, session, chosen, "booking.class_fewer", now, offer)


async def cancel_class(
    conn: AsyncConnection, teacher: Row, session_id: int, *, now: datetime, offer: timedelta
) -> Changed:
    """Give back every seat of the teacher's class booking on the session."""
    session = await _open_session(conn, session_id, now)
    seats = await _seats(conn, teacher, session_id)
    if not seats:
        raise NotFound
    return await _give_back(conn, teacher, session, seats, "booking.class_cancelled", now, offer)


async def _seats(conn: AsyncConnection, teacher: Row, session_id: int) -> list[Row]:
    rows = await conn.execute(
        select(bookings)
        .where(
            bookings.c.session_id == session_id,
            bookings.c.booked_by == teacher.id,
            bookings.c.school_id == teacher.school_id,
            bookings.c.status == "confirmed",
            (bookings.c.student_id.is_(None)) | (bookings.c.student_id != teacher.id),
        )
        .order_by(bookings.c.id)
    )
    return list(rows.all())


async def _give_back(
    conn: AsyncConnection,
    teacher: Row,
    session: Row,
    seats: list[Row],
    action: str,
    now: datetime,
    offer: timedelta,
) -> Changed:
    """Cancel the seats, each a compare-and-swap as it was read, and take exactly as many
    seats off the session's count; all or nothing (AlreadyHandled undoes the transaction)."""
    for seat in seats:
        changed = await conn.execute(
            update(bookings)
            .where(
                bookings.c.id == seat.id,
                bookings.c.status == "confirmed",
                _same(bookings.c.student_id, seat.student_id),
                _same(bookings.c.student_name, seat.student_name),
            )
            .values(status="cancelled", decided_by=teacher.id, decided_at=now)
        )
        if changed.rowcount != 1:
            raise AlreadyHandled
    # A seat's own reminders are its student's (rosters are the session's): _taken_off drops
    # them. A seat without a student keeps what it has: a notice to the student taken off it.
    await conn.execute(
        update(sessions)
        .where(sessions.c.id == session.id)
        .values(booked=sessions.c.booked - len(seats))
    )
    await refresh_next(conn, [session.program_id], now=now)
    told = await _taken_off(conn, seats, now)
    await tell_site(conn, teacher, session, now, given_back=len(seats))
    await audit.record(conn, teacher.id, action, "session", session.id, seats=len(seats), now=now)
    offered = await offer_free_seats(conn, session.id, now=now, offer=offer)
    return Changed(session.id, len(seats), told, offered)


async def _taken_off(conn: AsyncConnection, seats: list[Row], now: datetime) -> list[int]:
    """Registered students taken off their seats: their reminders go, and they are told."""
    told = []
    for seat in seats:
        if seat.student_id is None:
            continue
        await reminders.drop_booking(conn, seat.id)
        await reminders.notice(
            conn,
            "student_unbooked",
            seat.student_id,
            f"student_unbooked:{seat.id}",
            now=now,
            booking_id=seat.id,
            session_id=seat.session_id,
        )
        told.append(seat.student_id)
    return told


async def tell_site(
    conn: AsyncConnection,
    teacher: Row,
    session: Row,
    now: datetime,
    *,
    given_back: int = 0,
    booked: int = 0,
    named: bool = False,
) -> None:
    """The site's people hear of seats given back at once; of seats booked and of names
    only when the change is late (reminders.late_for_site: before that, the roster they
    get later has them). Names put on seats (`named`) are gathered: the news waits
    NAMES_GATHERED, and names added meanwhile ride on it (it shows the class when sent)."""
    if session.starts_at <= now:
        return
    if not given_back and not reminders.late_for_site(session.starts_at, now, reminders.CITY_TZ):
        return
    due = now
    if named:
        due = now + NAMES_GATHERED
        waiting = await conn.scalar(
            select(reminders_table.c.id).where(
                reminders_table.c.kind == "site_class_change",
                reminders_table.c.session_id == session.id,
                reminders_table.c.status == "pending",
                reminders_table.c.detail.like(f"{teacher.id}:%"),
            )
        )
        if waiting is not None:
            return  # news of this class still to go: it will show these names too
    key = f"site_class_change:{session.id}:{teacher.id}:{now.isoformat()}"
    plans = [
        reminders.Planned("site_class_change", user_id, due, f"{key}:{user_id}")
        for user_id in await _site_people(conn, session.site_id)
    ]
    await reminders.write(
        conn, plans, now, session_id=session.id, detail=f"{teacher.id}:{given_back}:{booked}"
    )


async def _site_people(conn: AsyncConnection, site_id: int) -> list[int]:
    found = await conn.execute(
        select(users.c.id).where(
            users.c.role == "site", users.c.site_id == site_id, users.c.active.is_(True)
        )
    )
    return list(found.scalars())
