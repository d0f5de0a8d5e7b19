"""A student applies: a held seat (requested), a place in line or a lottery entry; where they
stand in line, and the other seats of theirs at the same time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, commitments, reminders
from storage.bookings.common import SESSION_VIEW, get
from storage.bookings.deadlines import answer_by, cancel_closed, longest_answer_by
from storage.bookings.seats import _check_open, _insert, _take_seats
from storage.commitments import Commitment
from storage.errors import Refused
from storage.models import ACTIVE_STATUSES
from storage.search import refresh_next
from storage.tables import bookings, sessions
from storage.tables import reminders as reminder_rows


@dataclass
class Applied:
    booking_id: int
    status: str  # requested | waitlisted | entered


# ----- applying -------------------------------------------------------------------------------


async def apply(
    conn: AsyncConnection,
    student: Row,
    session_id: int,
    *,
    hold: timedelta,
    now: datetime,
    unchecked_ok: bool = False,
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
        done = await _apply_at_once(
            conn, student, session_id, hold=hold, now=now, unchecked_ok=unchecked_ok
        )
        if done is not None:
            return done
    session = await _session_for(conn, session_id, student.id)
    _check_open(session, now, unchecked_ok=unchecked_ok)
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
        values["expires_at"] = answer_by(session.starts_at, now, hold)
    else:
        status = "waitlisted"
    try:
        booking_id = await _insert(conn, status=status, **values)
    except IntegrityError:  # the same student's other press got there first
        raise Refused("already") from None
    await audit.record(conn, student.id, f"booking.{status}", "booking", booking_id, now=now)
    if status == "requested":
        await reminders.plan_request(conn, booking_id, expires_at=values["expires_at"], now=now)
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
      AND t.safety_status <> 'failed' AND (t.safety_status <> 'pending' OR :unchecked_ok)
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
SELECT made.id, made.status, target.program_id, target.starts_at,
       (SELECT now_full FROM seat) AS now_full
FROM made, target
""")


async def _apply_at_once(
    conn: AsyncConnection,
    student: Row,
    session_id: int,
    *,
    hold: timedelta,
    now: datetime,
    unchecked_ok: bool,
) -> Applied | None:
    longest = longest_answer_by(now, hold)
    warn_at = reminders.expiry_warning_at(longest, now)  # None: no warning
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
                    "unchecked_ok": unchecked_ok,
                    "expires": longest,
                    "warn_at": warn_at or now,
                    "warn": warn_at is not None,
                },
            )
        ).first()
    except IntegrityError:  # the same student's other press got there first
        raise Refused("already") from None
    if row is None:
        return None
    if row.now_full:  # the last seat: the programme's next free session moves on
        await refresh_next(conn, [row.program_id], now=now)
    expires = answer_by(row.starts_at, now, hold)
    if row.status == "requested" and expires < longest:
        await _shorten_hold(conn, row.id, expires, now)
    return Applied(row.id, row.status)


async def _shorten_hold(conn: AsyncConnection, booking_id: int, expires: datetime, now) -> None:
    """The one statement held the seat HOLD_HOURS (to the whole hour); a session close ahead
    needs the answer sooner (deadlines.answer_by): the request and its teachers' warning move
    up. Only for sessions within a hold's reach, so the usual early application stays one
    statement."""
    await conn.execute(
        update(bookings).where(bookings.c.id == booking_id).values(expires_at=expires)
    )
    await conn.execute(
        delete(reminder_rows).where(
            reminder_rows.c.booking_id == booking_id,
            reminder_rows.c.kind == "teacher_expiring",
            reminder_rows.c.status == "pending",
        )
    )
    await reminders.plan_request(conn, booking_id, expires_at=expires, now=now)


async def too_late_to_cancel(
    conn: AsyncConnection,
    student: Row,
    session_id: int,
    *,
    now: datetime,
    unchecked_ok: bool = False,
) -> Row | None:
    """The session, if this student's application would take a seat (or a lottery entry)
    now that could not be cancelled any more (its cancellation deadline has passed): the
    student is asked first. None when it can be, when it only joins the line, or when
    applying is refused anyway (the refusal then comes from `apply`)."""
    if student.under14 and student.consent_at is None:
        return None
    session = await _session_for(conn, session_id, student.id)
    try:
        _check_open(session, now, unchecked_ok=unchecked_ok)
    except Refused:
        return None
    if session.existing is not None or not cancel_closed(session, now):
        return None
    lottery = session.lottery_until is not None and now < session.lottery_until
    if session.booked >= session.capacity and not lottery:
        return None  # a place in line, left at will; an offered seat says so before it is taken
    return session


async def clashes(conn: AsyncConnection, student_id: int, session: Row) -> list[Commitment]:
    """The student's other commitments at times overlapping the session's, of every kind
    (storage/commitments.py): a warning, not a rule."""
    return await commitments.overlapping(
        conn,
        student_id=student_id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        besides_session=session.id,
    )


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


async def same_programme(conn: AsyncConnection, student_id: int, session_id: int) -> list[Row]:
    """The student's other bookings of this session's programme that still stand or took
    place (held, waiting, in line, in a draw, or attended), soonest first: a student is told
    of them before applying again, and may go on (no rule forbids a second session)."""
    program_id = select(sessions.c.program_id).where(sessions.c.id == session_id).scalar_subquery()
    stmt = (
        select(
            bookings.c.id,
            bookings.c.status,
            bookings.c.attendance,
            sessions.c.starts_at,
            sessions.c.ends_at,
            sessions.c.status.label("session_status"),
        )
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .where(
            bookings.c.student_id == student_id,
            sessions.c.program_id == program_id,
            sessions.c.id != session_id,
            sessions.c.status != "cancelled",
            bookings.c.status.in_(ACTIVE_STATUSES),
            or_(bookings.c.attendance.is_(None), bookings.c.attendance != "no_show"),
        )
        .order_by(sessions.c.starts_at, bookings.c.id)
    )
    return list((await conn.execute(stmt)).all())
