"""Experience sites: their sessions, rosters and attendance (handlers/sessions/), and a
booking as a roster line for what a reminder shows (handlers/outbox/).

Every function runs in the caller's write transaction and returns what happened, so the
handler can tell the people concerned after the commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage.bookings.attendance import NAMED, check_open
from storage.bookings.common import SESSION_VIEW
from storage.bookings.views import teachers_of
from storage.bookings.waitlist import offer_free_seats
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.models import ACTIVE_STATUSES, AuditEntry
from storage.search import refresh_next
from storage.tables import bookings, programs, schools, sessions, users

# ----- experience sites: their sessions, rosters and attendance (handlers/sessions/) ----------


WAITING_STATUSES = ("waitlisted", "entered")


def _bookings_in(statuses):
    """Count of the session's bookings in `statuses` (correlated with the outer session)."""
    return (
        select(func.count())
        .where(bookings.c.session_id == sessions.c.id, bookings.c.status.in_(statuses))
        .scalar_subquery()
    )


SITE_SESSION_VIEW = SESSION_VIEW.add_columns(
    _bookings_in(WAITING_STATUSES).label("waiting"),
    _bookings_in(("offered",)).label("offered"),
)


async def site_sessions(
    conn: AsyncConnection,
    site_id: int,
    *,
    today_from: datetime,
    now: datetime,
    offset: int,
    limit: int,
) -> tuple[list[Row], int]:
    """The site's scheduled sessions of today (so attendance can still be taken), those
    running now, and those to come, soonest first; with the total for paging."""
    where = and_(
        programs.c.site_id == site_id,
        sessions.c.status == "scheduled",
        or_(sessions.c.starts_at >= today_from, sessions.c.ends_at > now),
    )
    total = await conn.scalar(
        select(func.count())
        .select_from(sessions.join(programs, programs.c.id == sessions.c.program_id))
        .where(where)
    )
    rows = await conn.execute(
        SITE_SESSION_VIEW.where(where)
        .order_by(sessions.c.starts_at, sessions.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def site_session(conn: AsyncConnection, session_id: int, site_id: int) -> Row | None:
    """One session of the site's own programmes; None for another site's (same as missing)."""
    stmt = SITE_SESSION_VIEW.where(sessions.c.id == session_id, programs.c.site_id == site_id)
    return (await conn.execute(stmt)).first()


async def _site_session(conn: AsyncConnection, session_id: int, site_id: int) -> Row:
    """site_session, or NotFound: a site acts only on its own sessions."""
    session = await site_session(conn, session_id, site_id)
    if session is None:
        raise NotFound
    return session


async def site_programs(conn: AsyncConnection, site_id: int) -> list[Row]:
    stmt = select(programs).where(programs.c.site_id == site_id).order_by(programs.c.title)
    return list((await conn.execute(stmt)).all())


async def site_program(conn: AsyncConnection, program_id: int, site_id: int) -> Row | None:
    stmt = select(programs).where(programs.c.id == program_id, programs.c.site_id == site_id)
    return (await conn.execute(stmt)).first()


# A booking with who it is for: the student's own name, or the name a teacher typed for a
# class seat (None while the seat is unnamed), their school and grade.
PEOPLE = (
    select(
        bookings.c.id,
        bookings.c.session_id,
        bookings.c.status,
        bookings.c.attendance,
        bookings.c.student_id,
        bookings.c.school_id,
        bookings.c.booked_by,
        func.coalesce(users.c.name, bookings.c.student_name).label("name"),
        users.c.grade,
        users.c.lang,
        users.c.active,
        schools.c.name.label("school"),
    )
    .select_from(
        bookings.outerjoin(users, users.c.id == bookings.c.student_id).join(
            schools, schools.c.id == bookings.c.school_id
        )
    )
    .order_by(schools.c.name, users.c.grade, "name", bookings.c.id)
)


async def roster(conn: AsyncConnection, session_id: int, statuses=("requested", "confirmed")):
    return await _people(conn, bookings.c.session_id == session_id, bookings.c.status.in_(statuses))


async def _people(conn: AsyncConnection, *where) -> list[Row]:
    return list((await conn.execute(PEOPLE.where(*where))).all())


async def add_session(
    conn: AsyncConnection,
    site_id: int,
    program_id: int,
    *,
    actor: int,
    now: datetime,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    place: str | None = None,
    online_url: str | None = None,
    cancel_deadline: datetime | None = None,
) -> int:
    """A new session of one of the site's programmes. A programme's session is known by its
    start (the spreadsheet import matches on it), so a second one at the same start is
    refused, even next to a cancelled one."""
    program = await site_program(conn, program_id, site_id)
    if program is None:
        raise NotFound
    if starts_at <= now:
        raise Refused("started")
    same_start = select(sessions.c.id).where(
        sessions.c.program_id == program_id, sessions.c.starts_at == starts_at
    )
    if await conn.scalar(same_start.limit(1)) is not None:
        raise Refused("duplicate")
    session_id = (
        await conn.execute(
            insert(sessions)
            .values(
                program_id=program_id,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=capacity,
                booked=0,
                status="scheduled",
                place=place,
                online_url=online_url,
                cancel_deadline=cancel_deadline,
            )
            .returning(sessions.c.id)
        )
    ).scalar_one()
    await _changed(
        conn, session_id, program_id, "session.added", actor=actor, now=now, capacity=capacity
    )
    return session_id


async def _changed(
    conn: AsyncConnection,
    session_id: int,
    program_id: int,
    action: str,
    *,
    actor: int,
    now: datetime,
    **detail,
) -> None:
    """After each change of a session: search shows its programme's next session anew, and the
    audit log keeps the change."""
    await refresh_next(conn, [program_id], now=now)
    await audit.record(conn, actor, action, "session", session_id, **detail, now=now)


@dataclass
class Resized:
    before: int
    after: int
    offered: list[int] = field(default_factory=list)  # waiting-list bookings now offered


async def change_capacity(
    conn: AsyncConnection,
    session_id: int,
    site_id: int,
    capacity: int,
    *,
    actor: int,
    now: datetime,
    offer: timedelta,
) -> Resized:
    """Set a session's capacity, never below the seats held (requested, confirmed, offered).

    One conditional UPDATE (`booked <= new capacity`): a seat taken at the same moment is
    either counted before it (and the change is refused) or comes after it (and must fit).
    New seats go to the waiting list at once, first in line first.
    """
    session = await _site_session(conn, session_id, site_id)
    if session.status != "scheduled" or session.starts_at <= now:
        raise Refused("closed")
    changed = await conn.execute(
        update(sessions)
        .where(
            sessions.c.id == session_id,
            sessions.c.status == "scheduled",
            sessions.c.booked <= capacity,
        )
        .values(capacity=capacity)
    )
    if changed.rowcount != 1:
        raise Refused("below_held")
    offered = []
    if capacity > session.capacity:
        offered = await offer_free_seats(conn, session_id, now=now, offer=offer)
    await _changed(
        conn,
        session_id,
        session.program_id,
        "session.capacity",
        actor=actor,
        now=now,
        before=session.capacity,
        after=capacity,
        offered=len(offered),
    )
    return Resized(session.capacity, capacity, offered)


async def cancel_session(
    conn: AsyncConnection,
    session_id: int,
    site_id: int,
    reason: str,
    *,
    actor: int,
    now: datetime,
) -> list[Row]:
    """The site cancels a session that has not started: every active booking (seats and the
    waiting list) ends cancelled with the site's reason. Returns those bookings (PEOPLE rows,
    as they were) so the handler can tell each student and teacher after the commit."""
    session = await _site_session(conn, session_id, site_id)
    # First, so that the session row is locked before its bookings are read.
    changed = await conn.execute(
        update(sessions)
        .where(
            sessions.c.id == session_id,
            sessions.c.status == "scheduled",
            sessions.c.starts_at > now,
        )
        .values(status="cancelled", cancel_reason=reason[:200], booked=0)
    )
    if changed.rowcount != 1:
        raise AlreadyHandled if session.status == "cancelled" else Refused("closed")
    active = bookings.c.status.in_(ACTIVE_STATUSES)
    affected = await _people(conn, bookings.c.session_id == session_id, active)
    await conn.execute(
        update(bookings)
        .where(bookings.c.session_id == session_id, active)
        .values(
            status="cancelled",
            decided_by=actor,
            decided_at=now,
            reason=reason[:200],
            expires_at=None,
        )
    )
    await _changed(
        conn,
        session_id,
        session.program_id,
        "session.cancelled",
        actor=actor,
        now=now,
        bookings=len(affected),
    )
    for booking in affected:
        await audit.record(conn, actor, "booking.session_cancelled", "booking", booking.id, now=now)
    await reminders.drop_session(conn, session_id)
    await _notice_session_cancelled(conn, session_id, affected, actor=actor, now=now)
    return affected


async def _notice_session_cancelled(
    conn: AsyncConnection, session_id: int, affected: list[Row], *, actor: int, now: datetime
) -> None:
    """Every student with a booking or a place in line hears at once (the status they had
    is the notice's detail), and so does each teacher concerned."""
    for booking in affected:
        await reminders.notice_student(
            conn, "student_session_cancelled", booking.id, now=now, detail=booking.status
        )
    teachers = await teachers_to_tell(conn, affected)
    await _tell_teachers(conn, "teacher_session_cancelled", teachers, session_id, str(actor), now)


async def cancelled_by_site(conn: AsyncConnection, session_id: int, actor: int) -> list[Row]:
    """The bookings and places in line the site's cancellation ended (PEOPLE rows), for the
    teachers' notice."""
    return await _people(
        conn,
        bookings.c.session_id == session_id,
        bookings.c.status == "cancelled",
        bookings.c.decided_by == actor,
    )


async def teachers_to_tell(conn: AsyncConnection, people: list[Row]) -> list[tuple[Row, list]]:
    """Each teacher concerned, with their bookings among `people` (PEOPLE rows): a class
    booking's teacher is the one who made it; a student's own booking goes to the teachers
    of the student's school who cover the student's grade."""
    found: dict[int, tuple[Row, list]] = {}
    cover: dict[tuple, list[Row]] = {}
    for booking in people:
        if booking.student_id is not None and booking.booked_by == booking.student_id:
            key = (booking.school_id, booking.grade)
            if key not in cover:
                cover[key] = list((await conn.execute(teachers_of(*key))).all())
            teachers = cover[key]
        else:
            teachers = (
                await conn.execute(
                    select(users).where(
                        users.c.id == booking.booked_by,
                        users.c.role == "teacher",
                        users.c.active.is_(True),
                    )
                )
            ).all()
        for teacher in teachers:
            found.setdefault(teacher.id, (teacher, []))[1].append(booking)
    return list(found.values())


async def mark_all_attended(
    conn: AsyncConnection, session_id: int, site_id: int, *, actor: int, now: datetime
) -> int:
    """Every confirmed booking not yet marked becomes attended (then the site taps the absent),
    once the session has begun; an unnamed class seat stays unmarked (storage/bookings/
    attendance.py: only people are marked)."""
    check_open(await _site_session(conn, session_id, site_id), now)
    marked = await conn.execute(
        update(bookings)
        .where(
            bookings.c.session_id == session_id,
            bookings.c.status == "confirmed",
            bookings.c.attendance.is_(None),
            NAMED,
        )
        .values(attendance="attended")
        .returning(bookings.c.id)
    )
    ids = list(marked.scalars())
    await reminders.plan_survey(conn, ids, now=now)
    await audit.record(
        conn, actor, "session.all_attended", "session", session_id, now=now, bookings=len(ids)
    )
    return len(ids)


async def report_attendance(
    conn: AsyncConnection, session_id: int, site_id: int, *, actor: int, now: datetime
) -> list[tuple[Row, list]] | None:
    """The attendance to send to each teacher, or None when these very marks were already
    sent (a second press of "done" sends nothing; a corrected list is sent again). Only once
    the session has begun: a report before it would tell of what has not happened."""
    check_open(await _site_session(conn, session_id, site_id), now)
    people = await roster(conn, session_id, ("confirmed",))
    digest = attendance_digest(people)
    last = (
        await conn.execute(
            select(AuditEntry.detail)
            .where(
                AuditEntry.action == "session.attendance_reported",
                AuditEntry.object_type == "session",
                AuditEntry.object_id == str(session_id),
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    ).scalar()
    if last is not None and last.get("marks") == digest:
        return None
    await audit.record(
        conn,
        actor,
        "session.attendance_reported",
        "session",
        session_id,
        marks=digest,
        now=now,
    )
    teachers = await teachers_to_tell(conn, people)
    # The marks are in the key: a corrected list is news again.
    await _tell_teachers(
        conn, "teacher_attendance", teachers, session_id, digest, now, occasion=digest
    )
    return teachers


async def _tell_teachers(
    conn: AsyncConnection,
    kind: str,
    teachers: list[tuple[Row, list]],
    session_id: int,
    detail: str,
    now: datetime,
    *,
    occasion: str | None = None,
) -> None:
    """A notice of `kind` about the session to each teacher (teachers_to_tell), due at once;
    once per teacher (and `occasion`)."""
    for teacher, _ in teachers:
        key = f"{kind}:{session_id}:{teacher.id}" + (f":{occasion}" if occasion else "")
        await reminders.notice(
            conn, kind, teacher.id, key, now=now, session_id=session_id, detail=detail
        )


def attendance_digest(people: list[Row]) -> str:
    """A short fingerprint of a roster's marks: the same marks are reported once."""
    marks = ",".join(f"{p.id}:{p.attendance or '-'}" for p in sorted(people, key=lambda p: p.id))
    return hashlib.sha256(marks.encode()).hexdigest()[:16]


# ----- reminders: what a reminder shows (handlers/outbox/) ------------------------------


async def person(conn: AsyncConnection, booking_id: int) -> Row | None:
    """One booking as a roster line (PEOPLE): name, school, grade, status."""
    return (await conn.execute(PEOPLE.where(bookings.c.id == booking_id))).first()
