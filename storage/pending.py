"""The teacher's side: the requests waiting for their decision, and their class bookings
(handlers/pending.py and handlers/classbook.py). Taking and naming the seats themselves is
in storage/bookings/classes.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage.bookings.classes import name_seat
from storage.bookings.common import SESSION_VIEW, bookable_sites
from storage.bookings.decisions import _mine_as_teacher
from storage.bookings.seats import _check_open
from storage.errors import NotFound, Refused
from storage.models import ACTIVE_STATUSES, SEAT_STATUSES
from storage.tables import bookings, programs, sessions, sites, users
from storage.users import covered_grades

# ----- the teacher's side: pending requests and class bookings --------------------------------


REQUEST_VIEW = (
    select(
        bookings,
        users.c.name,
        users.c.grade,
        users.c.lang.label("student_lang"),
        sessions.c.starts_at,
        sessions.c.ends_at,
        sessions.c.program_id,
        programs.c.title,
        sites.c.name.label("site_name"),
    )
    .join(users, users.c.id == bookings.c.student_id)
    .join(sessions, sessions.c.id == bookings.c.session_id)
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(sites, sites.c.id == programs.c.site_id)
)


def _covered(teacher: Row) -> list:
    """Conditions on users: the teacher's school, and their grades (none picked: all)."""
    where = [users.c.school_id == teacher.school_id]
    grades = covered_grades(teacher)
    if grades:
        where.append(users.c.grade.in_(grades))
    return where


async def pending_for_teacher(
    conn: AsyncConnection,
    teacher: Row,
    *,
    offset: int = 0,
    limit: int = 8,
    since: datetime | None = None,
) -> tuple[list[Row], int]:
    """Requests waiting for this teacher: by programme, then session, newest last.

    `since`: the list as it was at that moment (when the teacher opened it), so that its
    numbers hold while the teacher works down it: the requests waiting then, decided or
    ended since included (in their place, with their status), new ones left for next time.
    """
    where = [bookings.c.school_id == teacher.school_id, *_covered(teacher)]
    if since is None:
        where.append(bookings.c.status == "requested")
    else:
        where += [
            bookings.c.created_at <= since,
            bookings.c.booked_by == bookings.c.student_id,
            or_(bookings.c.status == "requested", bookings.c.decided_at >= since),
        ]
    total = await conn.scalar(
        select(func.count())
        .select_from(bookings.join(users, users.c.id == bookings.c.student_id))
        .where(*where)
    )
    rows = await conn.execute(
        REQUEST_VIEW.where(*where)
        .order_by(
            programs.c.title,
            programs.c.id,
            sessions.c.starts_at,
            sessions.c.id,
            bookings.c.created_at,
            bookings.c.id,
        )
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def request_for_teacher(conn: AsyncConnection, booking_id: int, teacher: Row) -> Row:
    """A student's own booking the teacher may decide on, in any status; else NotFound.

    Class-booking seats are not requests: they are NotFound here like any other
    booking the teacher may not decide on.
    """
    booking = await _mine_as_teacher(conn, booking_id, teacher)
    if booking.student_id is None or booking.booked_by != booking.student_id:
        raise NotFound
    return await request_view(conn, booking_id)


async def request_view(conn: AsyncConnection, booking_id: int) -> Row | None:
    """A student's booking with its student, session and site (REQUEST_VIEW)."""
    return (await conn.execute(REQUEST_VIEW.where(bookings.c.id == booking_id))).first()


CLASS_SEAT_VIEW = select(bookings, users.c.name.label("registered_name")).outerjoin(
    users, users.c.id == bookings.c.student_id
)


async def class_seats(conn: AsyncConnection, teacher_id: int, session_id: int) -> list[Row]:
    """The confirmed seats this teacher booked for a class on the session, in booking order."""
    rows = await conn.execute(
        CLASS_SEAT_VIEW.where(
            bookings.c.session_id == session_id,
            bookings.c.booked_by == teacher_id,
            bookings.c.status == "confirmed",
            or_(bookings.c.student_id.is_(None), bookings.c.student_id != teacher_id),
        ).order_by(bookings.c.id)
    )
    return list(rows.all())


async def class_bookings(conn: AsyncConnection, teacher_id: int, *, now: datetime) -> list[Row]:
    """The teacher's class bookings on sessions not yet over: seats and names per session."""
    named = func.count(bookings.c.student_id) + func.count(bookings.c.student_name)
    rows = await conn.execute(
        select(
            sessions.c.id,
            sessions.c.starts_at,
            programs.c.title,
            sites.c.name.label("site_name"),
            func.count().label("seats"),
            named.label("named"),
        )
        .select_from(bookings)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .join(sites, sites.c.id == programs.c.site_id)
        .where(
            bookings.c.booked_by == teacher_id,
            bookings.c.status == "confirmed",
            sessions.c.ends_at > now,
        )
        .group_by(sessions.c.id, sessions.c.starts_at, programs.c.title, sites.c.name)
        .order_by(sessions.c.starts_at, sessions.c.id)
    )
    return list(rows.all())


def _open_for_class(now: datetime, unchecked_ok: bool = False):
    """Sessions a class can be booked on now: scheduled, ahead, open, drawn, seats free, at a
    site open to bookings (bookings.bookable_sites)."""
    return and_(
        sessions.c.status == "scheduled",
        sessions.c.starts_at > now,
        sessions.c.booked < sessions.c.capacity,
        or_(sessions.c.opens_at.is_(None), sessions.c.opens_at <= now),
        or_(sessions.c.lottery_until.is_(None), sessions.c.lottery_until <= now),
        bookable_sites(reminders.city_day(now), unchecked_ok=unchecked_ok),
    )


async def open_sessions(
    conn: AsyncConnection,
    *,
    now: datetime,
    offset: int = 0,
    limit: int = 8,
    program_ids: list[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    unchecked_ok: bool = False,
) -> tuple[list[Row], int]:
    """Upcoming sessions a teacher can book a class on, soonest first: of `program_ids`
    only (what a search found) when given, starting in [start, end) when given."""
    where = [_open_for_class(now, unchecked_ok)]
    if program_ids is not None:
        where.append(sessions.c.program_id.in_(program_ids))
    if start is not None:
        where.append(sessions.c.starts_at >= start)
    if end is not None:
        where.append(sessions.c.starts_at < end)
    joined = sessions.join(programs, programs.c.id == sessions.c.program_id).join(
        sites, sites.c.id == programs.c.site_id
    )
    total = await conn.scalar(select(func.count()).select_from(joined).where(*where))
    rows = await conn.execute(
        SESSION_VIEW.where(*where)
        .order_by(sessions.c.starts_at, sessions.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def students_to_name(
    conn: AsyncConnection, teacher: Row, session_id: int, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Registered students the teacher covers who hold no active booking on the session."""
    busy = select(bookings.c.student_id).where(
        bookings.c.session_id == session_id,
        bookings.c.student_id.is_not(None),
        bookings.c.status.in_(ACTIVE_STATUSES),
    )
    where = [users.c.role == "student", users.c.id.not_in(busy), *_covered(teacher)]
    total = await conn.scalar(select(func.count()).select_from(users).where(*where))
    rows = await conn.execute(
        select(users.c.id, users.c.name, users.c.grade, users.c.lang)
        .where(*where)
        .order_by(users.c.grade, users.c.name, users.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def name_next_seat(
    conn: AsyncConnection,
    teacher: Row,
    session_id: int,
    *,
    student_id: int | None = None,
    name: str | None = None,
    now: datetime,
) -> int:
    """Put a student on the first unnamed seat of the teacher's class; its booking id.

    A registered student must be one the teacher covers (school and grade), like every
    other list a teacher sees. NotFound when the teacher has no seats on the session,
    Refused("full") when every seat has a name.
    """
    if student_id is not None:
        covered = await conn.scalar(
            select(users.c.id).where(
                users.c.id == student_id, users.c.role == "student", *_covered(teacher)
            )
        )
        if covered is None:
            raise NotFound
    seats = await class_seats(conn, teacher.id, session_id)
    if not seats:
        raise NotFound
    seat = next((s for s in seats if s.student_id is None and s.student_name is None), None)
    if seat is None:
        raise Refused("full")
    try:
        await name_seat(conn, seat.id, teacher, student_id=student_id, name=name, now=now)
    except IntegrityError:  # the student applied themselves in the same instant
        raise Refused("already") from None
    await audit.record(
        conn,
        teacher.id,
        "booking.named",
        "booking",
        seat.id,
        now=now,
        registered=student_id is not None,
    )
    return seat.id


def class_refusal(
    session: Row | None, now: datetime, *, unchecked_ok: bool = False
) -> Refused | None:
    """Why a class cannot be booked on the session now (book_class's checks), or None."""
    try:
        _check_open(session, now, unchecked_ok=unchecked_ok)
    except Refused as refused:
        return refused
    if session.lottery_until is not None and now < session.lottery_until:
        return Refused("lottery", when=session.lottery_until)
    if session.booked >= session.capacity:
        return Refused("no_room")
    return None


async def class_room(conn: AsyncConnection, session: Row, school_id: int) -> int:
    """Seats the school can still take on the session: free ones, within its cap if set."""
    room = session.capacity - session.booked
    if session.school_cap is not None:
        held = await conn.scalar(
            select(func.count()).where(
                bookings.c.session_id == session.id,
                bookings.c.school_id == school_id,
                bookings.c.status.in_(SEAT_STATUSES),
            )
        )
        room = min(room, session.school_cap - held)
    return max(room, 0)
