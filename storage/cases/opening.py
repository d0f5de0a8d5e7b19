"""Opening a case about a booking: who may, who its parties are, and the bookings a case
can be opened about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, monitors
from storage.bookings import teachers_of
from storage.cases.common import (
    KINDS,
    MEDIATOR_WAIT,
    _add,
    _assigned_event,
    _check_text,
    _clean,
    _covers,
    _tell,
)
from storage.errors import NotFound
from storage.models import Role
from storage.names import display_name
from storage.tables import bookings, cases, programs, schools, sessions, sites, users
from storage.tables import case_parties as parties
from storage.users import active_staff, covered_grades, site_people

PICK_WINDOW = timedelta(days=30)  # bookings of sessions this recent can have a case opened
PICK_STATUSES = ("requested", "confirmed", "offered", "cancelled")


@dataclass(frozen=True)
class Opened:
    case_id: int
    status: str
    monitor_id: int | None
    parties: int


# ----- opening --------------------------------------------------------------------------------


BOOKING_CONTEXT = (
    select(
        bookings.c.id,
        bookings.c.session_id,
        bookings.c.student_id,
        bookings.c.school_id,
        bookings.c.booked_by,
        programs.c.site_id,
        sites.c.district,
        users.c.grade,
    )
    .join(sessions, sessions.c.id == bookings.c.session_id)
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(sites, sites.c.id == programs.c.site_id)
    .outerjoin(users, users.c.id == bookings.c.student_id)
)


def _class_seat(booking: Row) -> bool:
    """A seat of a teacher's class booking (named or not), not the student's own booking."""
    return booking.student_id is None or booking.booked_by != booking.student_id


def opener_role(booking: Row, user: Row) -> str | None:
    """The role `user` would open a case about `booking` (BOOKING_CONTEXT) in, or None."""
    if user.role == Role.STUDENT and booking.student_id == user.id:
        return "student"
    if user.role == Role.TEACHER and user.school_id == booking.school_id:
        if _class_seat(booking):
            return "teacher" if booking.booked_by == user.id else None
        return "teacher" if _covers(user, booking.grade) else None
    if user.role == Role.SITE and user.site_id == booking.site_id:
        return "site"
    return None


async def booking_for(conn: AsyncConnection, booking_id: int, user: Row) -> Row:
    """The booking (BOOKING_CONTEXT) if `user` may open a case about it; else NotFound."""
    booking = (await conn.execute(BOOKING_CONTEXT.where(bookings.c.id == booking_id))).first()
    if booking is None or opener_role(booking, user) is None:
        raise NotFound
    return booking


async def _parties_of(conn: AsyncConnection, booking: Row) -> dict[int, str]:
    """user id -> role of the people a case about `booking` is relayed to."""
    found: dict[int, str] = {}
    if booking.student_id is not None:
        role = await conn.scalar(select(users.c.role).where(users.c.id == booking.student_id))
        if role == Role.STUDENT:
            found[booking.student_id] = "student"
    if _class_seat(booking):
        teacher = await conn.scalar(
            select(users.c.id).where(users.c.id == booking.booked_by, users.c.role == "teacher")
        )
        if teacher is not None:
            found[teacher] = "teacher"
    else:
        for teacher in (await conn.execute(teachers_of(booking.school_id, booking.grade))).all():
            found[teacher.id] = "teacher"
    for person in await site_people(conn, booking.site_id):
        found[person.id] = "site"
    return found


async def open_case(
    conn: AsyncConnection,
    booking_id: int,
    opener: Row,
    kind: str,
    text: str | None,
    photo: str | None = None,
    *,
    now: datetime,
    mediator_wait: timedelta = MEDIATOR_WAIT,
) -> Opened:
    """Open a case about a booking with its first message (a text, or a photo with an
    optional caption). The parties and the mediator are told; a safety concern is escalated
    to staff at once; with no monitor free, staff are asked to assign one."""
    if kind not in KINDS:
        raise NotFound
    text = _clean(text)
    _check_text(text, photo)
    booking = await booking_for(conn, booking_id, opener)
    role = opener_role(booking, opener)
    people = await _parties_of(conn, booking)
    people[opener.id] = role
    monitor_id = await monitors.take_turn(conn, booking.district, now)
    safety = kind == "safety"
    case_id = await conn.scalar(
        insert(cases)
        .values(
            booking_id=booking.id,
            session_id=booking.session_id,
            site_id=booking.site_id,
            school_id=booking.school_id,
            student_id=booking.student_id,
            kind=kind,
            status="escalated" if safety else "open",
            opened_by=opener.id,
            opened_role=role,
            opened_at=now,
            monitor_id=monitor_id,
            assigned_at=now if monitor_id else None,
            escalated_at=now if safety else None,
            escalation="safety" if safety else None,
            due_at=None if safety else now + mediator_wait,
            due_what=None if safety else "mediator",
            due_step=0,
        )
        .returning(cases.c.id)
    )
    await conn.execute(
        insert(parties),
        [{"case_id": case_id, "user_id": u, "role": r} for u, r in sorted(people.items())],
    )
    await _add(conn, case_id, now, "event", "opened", sender=opener, role=role)
    first = await _add(conn, case_id, now, "message", text, photo, sender=opener, role=role)
    if monitor_id is not None:
        await _assigned_event(conn, case_id, monitor_id, now)
    told = [u for u in people if u != opener.id]
    if monitor_id is not None:
        told.append(monitor_id)
    await _tell(conn, "case_opened", case_id, first, told, now)
    if safety:
        event = await _add(conn, case_id, now, "event", "escalated:safety")
        await _tell(conn, "case_escalated", case_id, event, await active_staff(conn), now)
    elif monitor_id is None:
        await _tell(conn, "case_unassigned", case_id, first, await active_staff(conn), now)
    await audit.record(
        conn, opener.id, "case.open", "case", case_id, booking=booking.id, kind=kind,
        monitor=monitor_id, parties=len(people),
        now=now,
    )  # fmt: skip
    status = "escalated" if safety else "open"
    return Opened(case_id, status, monitor_id, len(people))


# ----- bookings a case can be opened about ----------------------------------------------------


PICK_VIEW = (
    select(
        bookings.c.id,
        bookings.c.session_id,
        bookings.c.student_id,
        bookings.c.booked_by,
        bookings.c.status,
        func.coalesce(users.c.name, bookings.c.student_name).label("name"),
        schools.c.name.label("school"),
        sessions.c.starts_at,
        programs.c.title,
    )
    .join(sessions, sessions.c.id == bookings.c.session_id)
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(schools, schools.c.id == bookings.c.school_id)
    .outerjoin(users, users.c.id == bookings.c.student_id)
)


@dataclass(frozen=True)
class Pick:
    """A booking to open a case about: one of a student's, or a class booking (its seats
    counted, one of them standing for it)."""

    booking_id: int
    title: str
    starts_at: datetime
    name: str | None  # the student's first name; None for a class booking
    school: str
    seats: int


async def pickable(
    conn: AsyncConnection, user: Row, *, now: datetime, session_id: int | None = None
) -> list[Pick]:
    """The bookings `user` may open a case about, of sessions from PICK_WINDOW ago on:
    upcoming soonest first, then the most recent. A class booking is one entry."""
    where = [bookings.c.status.in_(PICK_STATUSES), sessions.c.starts_at >= now - PICK_WINDOW]
    if session_id is not None:
        where.append(bookings.c.session_id == session_id)
    if user.role == Role.STUDENT:
        where.append(bookings.c.student_id == user.id)
    elif user.role == Role.TEACHER:
        grades = covered_grades(user)
        own = and_(
            bookings.c.booked_by == bookings.c.student_id,
            users.c.school_id == user.school_id,
            users.c.grade.in_(grades) if grades else users.c.id.is_not(None),
        )
        where.append(bookings.c.school_id == user.school_id)
        where.append(or_(own, bookings.c.booked_by == user.id))
    elif user.role == Role.SITE and user.site_id is not None:
        where.append(programs.c.site_id == user.site_id)
    else:
        return []
    found = (await conn.execute(PICK_VIEW.where(*where).order_by(bookings.c.id))).all()
    picks: list[Pick] = []
    classes: dict[tuple[int, int], list[Row]] = {}
    for row in found:
        if _class_seat(row) and user.role != Role.STUDENT:
            classes.setdefault((row.session_id, row.booked_by), []).append(row)
        else:
            name = display_name(row.name) if row.name else None
            picks.append(Pick(row.id, row.title, row.starts_at, name, row.school, 1))
    for seats in classes.values():
        # The seat standing for the class: an unnamed one if any, so no student joins in.
        stand = next((s for s in seats if s.student_id is None), seats[0])
        picks.append(Pick(stand.id, stand.title, stand.starts_at, None, stand.school, len(seats)))
    return sorted(
        picks,
        key=lambda p: (p.starts_at < now, abs((p.starts_at - now).total_seconds()), p.booking_id),
    )
