"""Bookings: taking a seat, the teacher's decision, cancelling, the waiting list, the lottery.

Seats: `sessions.booked` counts the bookings that hold a seat (requested, confirmed,
offered). Taking one is a single conditional UPDATE (`booked < capacity`, the session
still scheduled), which locks the session row until the commit; SQLite's one writer is
alone anyway under BEGIN IMMEDIATE. The CHECK constraint `booked <= capacity` is the
backstop. Every change of a booking's status is a compare-and-swap on the status it was
seen in: when two people act at once, one wins and the other gets AlreadyHandled.

Every function runs in the caller's write transaction and returns what happened, so the
handler can tell the people concerned after the commit.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage.db import dialect_insert
from storage.errors import AlreadyHandled, DomainError, NotFound
from storage.models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    AuditEntry,
    Booking,
    Program,
    School,
    Session,
    Site,
    SurveyAnswer,
    User,
)
from storage.search import refresh_next
from storage.users import covered_grades

bookings = Booking.__table__
sessions = Session.__table__
programs = Program.__table__
sites = Site.__table__
users = User.__table__
surveys = SurveyAnswer.__table__


class Refused(DomainError):
    """The booking cannot be made; `reason` names why (a message key), `when` a moment."""

    def __init__(self, reason: str, when: datetime | None = None, booking_id: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.when = when
        self.booking_id = booking_id


@dataclass
class Applied:
    booking_id: int
    status: str  # requested | waitlisted | entered


@dataclass
class Freed:
    """A seat given back, and whom the waiting list offered it to."""

    booking_id: int
    session_id: int
    offered: list[int] = field(default_factory=list)  # booking ids now offered a seat
    was: str | None = None  # the booking's status before


# ----- reading --------------------------------------------------------------------------------


SESSION_VIEW = (
    select(
        sessions,
        programs.c.title,
        programs.c.site_id,
        programs.c.online,
        programs.c.place.label("program_place"),
        programs.c.bring,
        programs.c.directions,
        sites.c.name.label("site_name"),
        sites.c.directions.label("site_directions"),
        sites.c.address.label("site_address"),
        sites.c.safety_status,
        sites.c.safety_valid_until,
    )
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(sites, sites.c.id == programs.c.site_id)
)


async def session_view(conn: AsyncConnection, session_id: int) -> Row | None:
    return (await conn.execute(SESSION_VIEW.where(sessions.c.id == session_id))).first()


async def get(conn: AsyncConnection, booking_id: int) -> Row | None:
    return (await conn.execute(select(bookings).where(bookings.c.id == booking_id))).first()


async def session_views(conn: AsyncConnection, session_ids: set[int]) -> dict[int, Row]:
    """session_view for several sessions at once, by id."""
    if not session_ids:
        return {}
    found = await conn.execute(SESSION_VIEW.where(sessions.c.id.in_(session_ids)))
    return {row.id: row for row in found.all()}


async def get_many(conn: AsyncConnection, booking_ids: set[int]) -> dict[int, Row]:
    if not booking_ids:
        return {}
    found = await conn.execute(select(bookings).where(bookings.c.id.in_(booking_ids)))
    return {row.id: row for row in found.all()}


def bookable_site(session: Row, today: date) -> bool:
    """A failed or expired safety check closes a site to bookings; pending does not."""
    if session.safety_status == "failed":
        return False
    return session.safety_valid_until is None or session.safety_valid_until >= today


# ----- applying -------------------------------------------------------------------------------


async def apply(
    conn: AsyncConnection, student: Row, session_id: int, *, hold: timedelta, now: datetime
) -> Applied:
    """A student applies: a held seat (requested), a place in line, or a lottery entry.

    Lean on purpose: a popular session gets hundreds of applications in a minute. The seat
    is taken last, so the session row is locked (by the conditional UPDATE) only until the
    commit right after, and students arriving when it is full never wait for that lock.
    On PostgreSQL the usual case is one statement (_APPLY_AT_ONCE); anything unusual (a
    refusal, a per-school cap) takes the general path below, which explains itself.
    """
    if student.under14 and student.consent_at is None:
        raise Refused("consent")
    if conn.dialect.name == "postgresql":
        done = await _apply_at_once(conn, student, session_id, hold=hold, now=now)
        if done is not None:
            return done
    session = await _session_for(conn, session_id, student.id)
    _check_open(session, now)
    if session.existing is not None:
        raise Refused("already", booking_id=session.existing)
    values = {
        "session_id": session_id,
        "student_id": student.id,
        "school_id": student.school_id,
        "booked_by": student.id,
        "created_at": now,
    }
    if session.lottery_until is not None and now < session.lottery_until:
        status = "entered"
    elif await _take_seats(conn, session, student.school_id, 1, now=now):
        status = "requested"
        values["expires_at"] = now + hold
    else:
        status = "waitlisted"
    try:
        booking_id = await _insert(conn, status=status, **values)
    except IntegrityError:  # the same student's other press got there first
        raise Refused("already") from None
    await audit.record(conn, student.id, f"booking.{status}", "booking", booking_id, now=now)
    if status == "requested":
        await reminders.plan_request(conn, booking_id, expires_at=now + hold, now=now)
    return Applied(booking_id, status)


# Every check of the general path in the WHERE of `target`, then the seat, the booking and
# its audit entry: one round trip instead of five. No row back means "not the usual case".
# A second active booking of the same student is refused by the unique index
# uq_bookings_active_student, which undoes the whole statement, seat included.
_APPLY_AT_ONCE = text("""
WITH target AS (
    SELECT s.id, s.program_id, s.starts_at,
           (s.lottery_until IS NOT NULL AND s.lottery_until > :now) AS lottery
    FROM sessions s
    JOIN programs p ON p.id = s.program_id
    JOIN sites t ON t.id = p.site_id
    WHERE s.id = :session_id AND s.status = 'scheduled' AND s.starts_at > :now
      AND (s.opens_at IS NULL OR s.opens_at <= :now) AND s.school_cap IS NULL
      AND t.safety_status <> 'failed'
      AND (t.safety_valid_until IS NULL OR t.safety_valid_until >= :today)
), seat AS (
    UPDATE sessions SET booked = booked + 1
    WHERE id = (SELECT id FROM target WHERE NOT lottery) AND booked < capacity
      AND status = 'scheduled'
    RETURNING id, booked >= capacity AS now_full
), made AS (
    INSERT INTO bookings
        (session_id, student_id, school_id, booked_by, status, created_at, expires_at)
    SELECT id, :student_id, :school_id, :student_id,
           CASE WHEN lottery THEN 'entered'
                WHEN EXISTS (SELECT 1 FROM seat) THEN 'requested'
                ELSE 'waitlisted' END,
           :now,
           CASE WHEN EXISTS (SELECT 1 FROM seat) THEN CAST(:expires AS TIMESTAMPTZ) END
    FROM target
    RETURNING id, status, session_id
), logged AS (
    INSERT INTO audit_log (at, actor_id, action, object_type, object_id, detail)
    SELECT :now, :student_id, 'booking.' || status, 'booking', CAST(id AS VARCHAR),
           CAST('{}' AS JSON)
    FROM made
), seats_left AS (
    -- The programme's stored "seats left" of its next session (search lists show it).
    UPDATE programs SET next_seats = next_seats - 1
    WHERE id = (SELECT program_id FROM target) AND EXISTS (SELECT 1 FROM seat)
      AND next_start = (SELECT starts_at FROM target)
), asked AS (
    -- storage.reminders.plan_request, the same rows: each covering teacher is asked at once
    -- (teacher_request) and reminded 12 hours before the request expires (teacher_expiring).
    INSERT INTO reminders
        (kind, user_id, booking_id, session_id, due_at, status, attempts, key, created_at)
    SELECT k.kind, t.id, made.id, made.session_id, k.due, 'pending', 0,
           k.kind || ':' || made.id || ':' || t.id, :now
    FROM made
    JOIN users st ON st.id = :student_id
    JOIN users t ON t.school_id = st.school_id AND t.role = 'teacher' AND t.active
        AND (t.grades IS NULL OR t.grades = ''
             OR t.grades LIKE '%' || CAST(st.grade AS VARCHAR) || '%')
    CROSS JOIN (VALUES ('teacher_request', CAST(:now AS TIMESTAMPTZ), TRUE),
                       ('teacher_expiring', CAST(:warn_at AS TIMESTAMPTZ), CAST(:warn AS BOOLEAN)))
        AS k (kind, due, wanted)
    WHERE made.status = 'requested' AND k.wanted
    ON CONFLICT (key) DO NOTHING
)
SELECT made.id, made.status, target.program_id, (SELECT now_full FROM seat) AS now_full
FROM made, target
""")


async def _apply_at_once(
    conn: AsyncConnection, student: Row, session_id: int, *, hold: timedelta, now: datetime
) -> Applied | None:
    try:
        row = (
            await conn.execute(
                _APPLY_AT_ONCE,
                {
                    "session_id": session_id,
                    "student_id": student.id,
                    "school_id": student.school_id,
                    "now": now,
                    "today": reminders.city_day(now),
                    "expires": now + hold,
                    "warn_at": now + hold - reminders.EXPIRY_WARNING,
                    "warn": hold >= reminders.EXPIRY_WARNING,
                },
            )
        ).first()
    except IntegrityError:  # the same student's other press got there first
        raise Refused("already") from None
    if row is None:
        return None
    if row.now_full:  # the last seat: the programme's next free session moves on
        await refresh_next(conn, [row.program_id], now=now)
    return Applied(row.id, row.status)


async def clashes(conn: AsyncConnection, student_id: int, session: Row) -> list[str]:
    """Titles of the student's other seats at overlapping times (a warning, not a rule)."""
    return await _overlaps(conn, student_id, session)


async def _session_for(conn: AsyncConnection, session_id: int, student_id: int) -> Row | None:
    """The session, with the student's active booking on it if there is one."""
    existing = (
        select(bookings.c.id)
        .where(
            bookings.c.session_id == session_id,
            bookings.c.student_id == student_id,
            bookings.c.status.in_(ACTIVE_STATUSES),
        )
        .limit(1)
        .scalar_subquery()
    )
    stmt = SESSION_VIEW.add_columns(existing.label("existing"))
    return (await conn.execute(stmt.where(sessions.c.id == session_id))).first()


async def place_in_line(conn: AsyncConnection, booking_id: int) -> int | None:
    """1 for the first in line (drawn places first, then arrival); None if not in line."""
    booking = await get(conn, booking_id)
    if booking is None or booking.status != "waitlisted":
        return None
    if booking.line is not None:
        ahead = or_(bookings.c.line < booking.line)
    else:
        ahead = or_(bookings.c.line.is_not(None), bookings.c.id < booking_id)
    return 1 + await conn.scalar(
        select(func.count()).where(
            bookings.c.session_id == booking.session_id, bookings.c.status == "waitlisted", ahead
        )
    )


def _check_open(session: Row | None, now: datetime) -> None:
    if session is None or session.status != "scheduled":
        raise Refused("gone")
    if session.starts_at <= now:
        raise Refused("started")
    if not bookable_site(session, reminders.city_day(now)):
        raise Refused("safety")
    if session.opens_at is not None and now < session.opens_at:
        raise Refused("not_open", when=session.opens_at)


async def _locked_session(conn: AsyncConnection, session_id: int) -> Row | None:
    """The session, its row locked until commit (PostgreSQL).

    Every change that gives a seat back or touches several bookings of a session locks the
    session row before any booking row: one lock order everywhere, so two such changes
    wait for each other instead of deadlocking. (SQLite has one writer; nothing to order.)
    """
    stmt = SESSION_VIEW.where(sessions.c.id == session_id)
    if conn.dialect.name == "postgresql":
        # NO KEY UPDATE: it orders the changes of one session like FOR UPDATE would, but lets
        # rows that only reference the session (bookings, reminders) be written meanwhile;
        # a plain FOR UPDATE would block those foreign-key checks and deadlock with them.
        stmt = stmt.with_for_update(of=sessions, key_share=True)
    return (await conn.execute(stmt)).first()


async def _take_seats(
    conn: AsyncConnection, session: Row, school_id: int, count: int, *, now: datetime
) -> bool:
    """Take `count` seats if the session and the school's cap allow; False if not."""
    if conn.dialect.name == "sqlite" and session.booked + count > session.capacity:
        # SQLite's one writer read this row inside this same transaction: it is exact, and
        # the statement below would only confirm it. (Most applications to a popular
        # session come after it is full.)
        return False
    if session.school_cap is not None:
        # Counting the school's seats needs the row locked first: a count taken beside the
        # UPDATE could be stale by the time a concurrent booking commits.
        await _locked_session(conn, session.id)
        held = await conn.scalar(
            select(func.count()).where(
                bookings.c.session_id == session.id,
                bookings.c.school_id == school_id,
                bookings.c.status.in_(SEAT_STATUSES),
            )
        )
        if held + count > session.school_cap:
            return False
    taken = await conn.execute(
        update(sessions)
        .where(
            sessions.c.id == session.id,
            sessions.c.booked + count <= sessions.c.capacity,
            # Re-checked after waiting for the row: the site may have cancelled meanwhile.
            sessions.c.status == "scheduled",
        )
        .values(booked=sessions.c.booked + count)
        .returning(sessions.c.booked, sessions.c.capacity)
    )
    now_taken = taken.first()
    if now_taken is None:
        return False
    if now_taken.booked >= now_taken.capacity:  # the last seat: the next free session moves on
        await refresh_next(conn, [session.program_id], now=now)
    else:  # only the stored seats left of the programme's next session can change
        await conn.execute(
            update(programs)
            .where(programs.c.id == session.program_id, programs.c.next_start == session.starts_at)
            .values(next_seats=programs.c.next_seats - count)
        )
    return True


async def _give_back(
    conn: AsyncConnection, session_id: int, program_id: int, *, now: datetime
) -> None:
    await conn.execute(
        update(sessions).where(sessions.c.id == session_id).values(booked=sessions.c.booked - 1)
    )
    await refresh_next(conn, [program_id], now=now)


async def _active_booking(conn: AsyncConnection, session_id: int, student_id: int) -> int | None:
    return await conn.scalar(
        select(bookings.c.id).where(
            bookings.c.session_id == session_id,
            bookings.c.student_id == student_id,
            bookings.c.status.in_(ACTIVE_STATUSES),
        )
    )


async def _insert(conn: AsyncConnection, **values) -> int:
    return (
        await conn.execute(insert(bookings).values(**values).returning(bookings.c.id))
    ).scalar_one()


async def _overlaps(conn: AsyncConnection, student_id: int, session: Row) -> list[str]:
    """Titles of the student's other seat bookings whose sessions overlap this one."""
    other = (
        select(programs.c.title)
        .select_from(bookings)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(
            bookings.c.student_id == student_id,
            bookings.c.session_id != session.id,
            bookings.c.status.in_(SEAT_STATUSES),
            sessions.c.starts_at < session.ends_at,
            sessions.c.ends_at > session.starts_at,
        )
    )
    return list((await conn.execute(other)).scalars())


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
    booking = await get(conn, booking_id)
    if booking is None or booking.student_id != student.id:
        raise NotFound
    session = await _locked_session(conn, booking.session_id)  # session first, then booking
    if booking.status in SEAT_STATUSES and now >= cancel_deadline(session):
        raise Refused("too_late", when=cancel_deadline(session))
    await _swap(conn, booking, ACTIVE_STATUSES, "cancelled", student.id, now)
    await reminders.drop_booking(conn, booking_id)
    if booking.status == "confirmed":  # the site counted on this student
        await reminders.plan_site_change(conn, booking_id, "cancelled", now=now)
    await audit.record(conn, student.id, "booking.cancelled", "booking", booking_id, now=now)
    if booking.status not in SEAT_STATUSES:
        return Freed(booking_id, booking.session_id, was=booking.status)
    return await _seat_freed(conn, booking, now, offer)


def cancel_deadline(session: Row) -> datetime:
    return session.cancel_deadline or session.starts_at


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


async def _swap(
    conn: AsyncConnection,
    booking: Row,
    before,
    after: str,
    actor: int | None,
    now: datetime,
    **values,
) -> None:
    """Move the booking from one of `before` to `after`, unless someone moved it first."""
    changed = await conn.execute(
        update(bookings)
        .where(bookings.c.id == booking.id, bookings.c.status.in_(before))
        .values(status=after, decided_by=actor, decided_at=now, **values)
    )
    if changed.rowcount != 1:
        raise AlreadyHandled


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
            .values(status="offered", expires_at=now + offer)
        )
        await reminders.notice_student(conn, "student_offer", first.id, now=now)
        offered.append(first.id)


async def accept_offer(
    conn: AsyncConnection, booking_id: int, student: Row, *, now: datetime, hold: timedelta
) -> Row:
    """The student takes the offered seat: it becomes a request for their teacher."""
    booking = await get(conn, booking_id)
    if booking is None or booking.student_id != student.id:
        raise NotFound
    if booking.status == "offered" and booking.expires_at <= now:
        raise AlreadyHandled  # the clock will pass it on; too late either way
    await _swap(conn, booking, ("offered",), "requested", student.id, now, expires_at=now + hold)
    await audit.record(conn, student.id, "booking.offer_accepted", "booking", booking_id, now=now)
    await reminders.plan_request(conn, booking_id, expires_at=now + hold, now=now)
    return await get(conn, booking_id)


async def decline_offer(
    conn: AsyncConnection, booking_id: int, student: Row, *, now: datetime, offer: timedelta
) -> Freed:
    booking = await get(conn, booking_id)
    if booking is None or booking.student_id != student.id:
        raise NotFound
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
            await _swap(conn, booking, (booking.status,), "expired", None, now)
        except AlreadyHandled:
            continue
        await reminders.drop_booking(conn, booking.id)
        await reminders.notice_student(
            conn, "student_expired", booking.id, now=now, detail=booking.status
        )
        await audit.record(conn, None, "booking.expired", "booking", booking.id, now=now)
        done.append((booking, await _seat_freed(conn, booking, now, offer)))
    return done


# ----- the lottery ----------------------------------------------------------------------------


async def draw_due(
    conn: AsyncConnection, *, now: datetime, hold: timedelta
) -> list[tuple[int, list[int], list[int]]]:
    """Draw every lottery whose deadline passed: (session, winners, waitlisted in order)."""
    due = await conn.execute(
        select(sessions.c.id).where(
            sessions.c.lottery_until <= now,
            sessions.c.lottery_seed.is_(None),
            sessions.c.status == "scheduled",
        )
    )
    return [await draw(conn, session_id, now=now, hold=hold) for session_id in due.scalars()]


async def draw(
    conn: AsyncConnection,
    session_id: int,
    *,
    now: datetime,
    hold: timedelta,
    seed: str | None = None,
) -> tuple[int, list[int], list[int]]:
    """Shuffle the entries with a recorded seed; seats in drawn order, the rest in line."""
    session = await _locked_session(conn, session_id)
    seed = seed or secrets.token_hex(8)
    marked = await conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.lottery_seed.is_(None))
        .values(lottery_seed=seed)
    )
    if marked.rowcount != 1:
        raise AlreadyHandled
    entries = list(
        (
            await conn.execute(
                select(bookings.c.id, bookings.c.school_id)
                .where(bookings.c.session_id == session_id, bookings.c.status == "entered")
                .order_by(bookings.c.id)
            )
        ).all()
    )
    random.Random(seed).shuffle(entries)
    winners, waiting = [], []
    for entry in entries:
        if await _take_seats(conn, session, entry.school_id, 1, now=now):
            values = {"status": "requested", "expires_at": now + hold}
            winners.append(entry.id)
        else:
            waiting.append(entry.id)
            values = {"status": "waitlisted", "line": len(waiting)}
        await conn.execute(update(bookings).where(bookings.c.id == entry.id).values(**values))
    for booking_id in winners:
        await reminders.plan_request(conn, booking_id, expires_at=now + hold, now=now)
    for booking_id in winners + waiting:  # each hears whether they were drawn
        await reminders.notice_student(conn, "student_drawn", booking_id, now=now)
    await audit.record(
        conn,
        None,
        "lottery.drawn",
        "session",
        session_id,
        seed=seed,
        winners=len(winners),
        now=now,
    )
    return session_id, winners, waiting


# ----- class bookings -------------------------------------------------------------------------


async def book_class(
    conn: AsyncConnection, teacher: Row, session_id: int, count: int, *, now: datetime
) -> list[int]:
    """A teacher takes `count` seats for a class at once, confirmed; names come after."""
    session = await _locked_session(conn, session_id)
    _check_open(session, now)
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
        sites.c.name.label("site_name"),
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


async def answer_survey(
    conn: AsyncConnection, booking_id: int, student_id: int, score: int, *, now: datetime
) -> None:
    """Record (or change) the student's 1-5 for an attended booking of their own."""
    booking = await get(conn, booking_id)
    if booking is None or booking.student_id != student_id or booking.attendance != "attended":
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
    booking = await get(conn, booking_id)
    if booking is None or booking.student_id != student_id:
        raise NotFound
    await conn.execute(
        update(surveys).where(surveys.c.booking_id == booking_id).values(comment=comment[:500])
    )


# ----- fair opening, set by staff (handlers/fair.py) ------------------------------------------


FAIR_FIELDS = ("school_cap", "opens_at", "lottery_until")


async def set_fair_opening(
    conn: AsyncConnection, session_id: int, staff_id: int, *, now: datetime, **values
) -> Row:
    """Change a session's per-school cap, opening time or lottery deadline (staff only).

    A lottery already drawn keeps its result: its deadline can no longer change.
    """
    values = {k: v for k, v in values.items() if k in FAIR_FIELDS}
    condition = [sessions.c.id == session_id]
    if "lottery_until" in values:
        condition.append(sessions.c.lottery_seed.is_(None))
    changed = await conn.execute(update(sessions).where(*condition).values(**values))
    if changed.rowcount != 1:
        raise NotFound
    detail = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
    await audit.record(
        conn, staff_id, "session.fair_opening", "session", session_id, now=now, **detail
    )
    return await session_view(conn, session_id)


# ----- experience sites: their sessions, rosters and attendance (handlers/sessions.py) --------

schools = School.__table__
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
    stmt = PEOPLE.where(bookings.c.session_id == session_id, bookings.c.status.in_(statuses))
    return list((await conn.execute(stmt)).all())


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
    await refresh_next(conn, [program_id], now=now)
    await audit.record(
        conn, actor, "session.added", "session", session_id, capacity=capacity, now=now
    )
    return session_id


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
    session = await site_session(conn, session_id, site_id)
    if session is None:
        raise NotFound
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
    await refresh_next(conn, [session.program_id], now=now)
    await audit.record(
        conn,
        actor,
        "session.capacity",
        "session",
        session_id,
        before=session.capacity,
        after=capacity,
        offered=len(offered),
        now=now,
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
    session = await site_session(conn, session_id, site_id)
    if session is None:
        raise NotFound
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
    affected = list(
        (await conn.execute(PEOPLE.where(bookings.c.session_id == session_id, active))).all()
    )
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
    await refresh_next(conn, [session.program_id], now=now)
    await audit.record(
        conn,
        actor,
        "session.cancelled",
        "session",
        session_id,
        bookings=len(affected),
        now=now,
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
    for teacher, _ in await teachers_to_tell(conn, affected):
        key = f"teacher_session_cancelled:{session_id}:{teacher.id}"
        await reminders.notice(
            conn,
            "teacher_session_cancelled",
            teacher.id,
            key,
            now=now,
            session_id=session_id,
            detail=str(actor),
        )


async def cancelled_by_site(conn: AsyncConnection, session_id: int, actor: int) -> list[Row]:
    """The bookings and places in line the site's cancellation ended (PEOPLE rows), for the
    teachers' notice."""
    return list(
        (
            await conn.execute(
                PEOPLE.where(
                    bookings.c.session_id == session_id,
                    bookings.c.status == "cancelled",
                    bookings.c.decided_by == actor,
                )
            )
        ).all()
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
    """Every confirmed booking not yet marked becomes attended (then the site taps the absent)."""
    if await site_session(conn, session_id, site_id) is None:
        raise NotFound
    marked = await conn.execute(
        update(bookings)
        .where(
            bookings.c.session_id == session_id,
            bookings.c.status == "confirmed",
            bookings.c.attendance.is_(None),
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
    sent (a second press of "done" sends nothing; a corrected list is sent again)."""
    if await site_session(conn, session_id, site_id) is None:
        raise NotFound
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
    for teacher, _ in teachers:
        key = f"teacher_attendance:{session_id}:{teacher.id}:{digest}"
        await reminders.notice(
            conn,
            "teacher_attendance",
            teacher.id,
            key,
            now=now,
            session_id=session_id,
            detail=digest,
        )
    return teachers


def attendance_digest(people: list[Row]) -> str:
    """A short fingerprint of a roster's marks: the same marks are reported once."""
    marks = ",".join(f"{p.id}:{p.attendance or '-'}" for p in sorted(people, key=lambda p: p.id))
    return hashlib.sha256(marks.encode()).hexdigest()[:16]


# ----- the teacher's side: pending requests and class bookings --------------------------------
# (handlers/pending.py and handlers/classbook.py)

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
    conn: AsyncConnection, teacher: Row, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Requests waiting for this teacher: by programme, then session, newest last."""
    where = [
        bookings.c.status == "requested",
        bookings.c.school_id == teacher.school_id,
        *_covered(teacher),
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


def _open_for_class(now: datetime):
    """Sessions a class can be booked on now: scheduled, ahead, open, drawn, seats free."""
    return and_(
        sessions.c.status == "scheduled",
        sessions.c.starts_at > now,
        sessions.c.booked < sessions.c.capacity,
        or_(sessions.c.opens_at.is_(None), sessions.c.opens_at <= now),
        or_(sessions.c.lottery_until.is_(None), sessions.c.lottery_until <= now),
        sites.c.safety_status != "failed",
        or_(
            sites.c.safety_valid_until.is_(None),
            sites.c.safety_valid_until >= reminders.city_day(now),
        ),
    )


async def open_sessions(
    conn: AsyncConnection, *, now: datetime, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Upcoming sessions a teacher can book a class on, soonest first."""
    joined = sessions.join(programs, programs.c.id == sessions.c.program_id).join(
        sites, sites.c.id == programs.c.site_id
    )
    total = await conn.scalar(select(func.count()).select_from(joined).where(_open_for_class(now)))
    rows = await conn.execute(
        SESSION_VIEW.where(_open_for_class(now))
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


def class_refusal(session: Row | None, now: datetime) -> Refused | None:
    """Why a class cannot be booked on the session now (book_class's checks), or None."""
    try:
        _check_open(session, now)
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


# ----- reminders: what a reminder shows (handlers/reminders.py) ------------------------------


async def person(conn: AsyncConnection, booking_id: int) -> Row | None:
    """One booking as a roster line (PEOPLE): name, school, grade, status."""
    return (await conn.execute(PEOPLE.where(bookings.c.id == booking_id))).first()


async def survey_answered(conn: AsyncConnection, booking_id: int) -> bool:
    found = await conn.scalar(
        select(surveys.c.booking_id).where(surveys.c.booking_id == booking_id)
    )
    return found is not None
