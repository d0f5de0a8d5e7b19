"""A person's other commitments at overlapping times, of every kind, so that a new one can
warn of a clash: for a student the seats held in their name (their own bookings and class
seats a teacher named them for) and their mentor meetings; for a mentor their other meetings.
A clash is a warning, never a refusal: a student may well leave one early for the other.

`overlapping` answers for one commitment; `overlapping_each` for a list shown at once (the
requests of a /pending page, the students of a picker, a mentor's free times), in one query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import SEAT_STATUSES
from storage.tables import bookings, mentor_meetings, mentor_requests, programs, sessions, users


@dataclass(frozen=True)
class Commitment:
    """What a clash names: a programme's title, or a meeting's field; never another person."""

    kind: str  # booking | meeting
    title: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Span:
    """One commitment of a list, asked about: `key` is the caller's name for it (a booking's
    id, a student's id, a free time's place); `besides_session` its own session, if any."""

    key: int
    student_id: int
    starts_at: datetime
    ends_at: datetime
    besides_session: int | None = None


async def overlapping(
    conn: AsyncConnection,
    *,
    starts_at: datetime,
    ends_at: datetime,
    student_id: int | None = None,
    mentor_id: int | None = None,
    besides_session: int | None = None,
    besides_meeting: int | None = None,
) -> list[Commitment]:
    """The student's (or the mentor's) commitments overlapping [starts_at, ends_at), earliest
    first, leaving out the new commitment itself (its session or meeting): one ending when
    the other starts is no clash."""
    parts = []
    if student_id is not None:
        parts.append(_seats(_seat_during(student_id, starts_at, ends_at, besides_session)))
        asked = mentor_requests.c.requester_id
        during = _meeting_during(asked, student_id, starts_at, ends_at, besides_meeting)
        parts.append(_meetings(during, joined=True))
    if mentor_id is not None:
        own = mentor_meetings.c.mentor_id
        during = _meeting_during(own, mentor_id, starts_at, ends_at, besides_meeting)
        parts.append(_meetings(during, joined=False))
    if not parts:
        return []
    rows = (await conn.execute(union_all(*parts).order_by("starts_at", "title"))).all()
    return [Commitment(r.kind, r.title, r.starts_at, r.ends_at) for r in rows]


async def overlapping_each(conn: AsyncConnection, spans: Sequence[Span]) -> dict[int, list]:
    """Each span's student's other commitments overlapping it (as `overlapping` finds them
    for one), by the span's key, earliest first; a span with none is left out. One query for
    the whole list, whatever its length: its rows are sorted out to the spans here."""
    if not spans:
        return {}
    seats = or_(
        *(_seat_during(s.student_id, s.starts_at, s.ends_at, s.besides_session) for s in spans)
    )
    asked = mentor_requests.c.requester_id
    meetings = or_(*(_meeting_during(asked, s.student_id, s.starts_at, s.ends_at) for s in spans))
    query = union_all(_seats(seats), _meetings(meetings, joined=True))
    rows = (await conn.execute(query.order_by("starts_at", "title"))).all()
    found: dict[int, list] = {}
    for span in spans:
        mine = [
            Commitment(r.kind, r.title, r.starts_at, r.ends_at)
            for r in rows
            if r.who == span.student_id
            and r.starts_at < span.ends_at
            and r.ends_at > span.starts_at
            and not (r.kind == "booking" and r.ref == span.besides_session)
        ]
        if mine:
            found[span.key] = mine
    return found


async def of_request(conn: AsyncConnection, request) -> list[Commitment]:
    """A booking request's student's other commitments at its session's time (a row with
    student_id, session_id, starts_at and ends_at): the teacher decides knowing of them."""
    return await overlapping(
        conn,
        student_id=request.student_id,
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        besides_session=request.session_id,
    )


async def of_requests(conn: AsyncConnection, requests) -> dict[int, list]:
    """For students' bookings shown at once (rows with id, student_id, session_id, starts_at,
    ends_at: a /pending page, a digest): each student's other commitments overlapping the
    booking, by the booking's id."""
    spans = [Span(r.id, r.student_id, r.starts_at, r.ends_at, r.session_id) for r in requests]
    return await overlapping_each(conn, spans)


async def of_students(conn: AsyncConnection, students, session) -> dict[int, list]:
    """For a teacher picking students for a class seat on `session`: each student's (rows
    with id) other commitments overlapping it, by the student's id."""
    if session is None:
        return {}
    spans = [Span(s.id, s.id, session.starts_at, session.ends_at, session.id) for s in students]
    return await overlapping_each(conn, spans)


async def for_requester(
    conn: AsyncConnection, request_id: int, spans: Sequence[tuple[datetime, datetime]]
) -> dict[int, list]:
    """For a mentor choosing a time: the requester's commitments overlapping each of `spans`
    (by its place in the list), when the requester is a student (a teacher's are not told).
    The student's id stays here: the mentor's side never holds it."""
    student_id = await conn.scalar(
        select(mentor_requests.c.requester_id)
        .join(users, users.c.id == mentor_requests.c.requester_id)
        .where(mentor_requests.c.id == request_id, users.c.role == "student")
    )
    if student_id is None:
        return {}
    return await overlapping_each(
        conn, [Span(place, student_id, start, end) for place, (start, end) in enumerate(spans)]
    )


@dataclass(frozen=True)
class MeetingClashes:
    """A scheduled meeting's clashes, for each side of it."""

    mentor: list[Commitment]  # the mentor's other meetings
    student: list[Commitment]  # a student requester's other commitments (a teacher: none)


async def of_meeting(conn: AsyncConnection, request_id: int) -> MeetingClashes:
    """The clashes of the request's meeting: told to the mentor who set it and to the
    student who asked (storage never hands the student's id to the mentor's side)."""
    row = (
        await conn.execute(
            select(
                mentor_meetings.c.id,
                mentor_meetings.c.mentor_id,
                mentor_meetings.c.starts_at,
                mentor_meetings.c.ends_at,
                mentor_requests.c.requester_id,
                users.c.role,
            )
            .select_from(mentor_requests)
            .join(mentor_meetings, mentor_meetings.c.id == mentor_requests.c.meeting_id)
            .join(users, users.c.id == mentor_requests.c.requester_id)
            .where(mentor_requests.c.id == request_id)
        )
    ).first()
    if row is None:
        return MeetingClashes([], [])
    span = {"starts_at": row.starts_at, "ends_at": row.ends_at, "besides_meeting": row.id}
    mentor = await overlapping(conn, mentor_id=row.mentor_id, **span)
    student = []
    if row.role == "student":
        student = await overlapping(conn, student_id=row.requester_id, **span)
    return MeetingClashes(mentor, student)


def _seats(during):
    """Seats held in a student's name (requested, confirmed, or offered from the line) on
    sessions still scheduled, `during` saying whose and when; `who` the student, `ref` the
    session."""
    return (
        select(
            literal("booking").label("kind"),
            programs.c.title.label("title"),
            sessions.c.starts_at.label("starts_at"),
            sessions.c.ends_at.label("ends_at"),
            bookings.c.student_id.label("who"),
            sessions.c.id.label("ref"),
        )
        .select_from(bookings)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(bookings.c.status.in_(SEAT_STATUSES), sessions.c.status == "scheduled", during)
    )


def _seat_during(student_id: int, starts_at: datetime, ends_at: datetime, besides: int | None):
    """The student's seat overlapping [starts_at, ends_at), but on session `besides`."""
    condition = and_(
        bookings.c.student_id == student_id,
        sessions.c.starts_at < ends_at,
        sessions.c.ends_at > starts_at,
    )
    if besides is not None:
        condition = and_(condition, bookings.c.session_id != besides)
    return condition


def _meetings(during, *, joined: bool):
    """Scheduled meetings, `during` saying whose and when: a mentor's own (`who` the mentor),
    or (`joined`) those a student's requests hold (`who` the requester); `ref` the meeting."""
    who = mentor_requests.c.requester_id if joined else mentor_meetings.c.mentor_id
    query = select(
        literal("meeting").label("kind"),
        mentor_meetings.c.field.label("title"),
        mentor_meetings.c.starts_at.label("starts_at"),
        mentor_meetings.c.ends_at.label("ends_at"),
        who.label("who"),
        mentor_meetings.c.id.label("ref"),
    )
    if joined:
        query = query.select_from(mentor_requests).join(
            mentor_meetings, mentor_meetings.c.id == mentor_requests.c.meeting_id
        )
        query = query.where(mentor_requests.c.status == "scheduled")
    return query.where(mentor_meetings.c.status == "scheduled", during)


def _meeting_during(
    whose, person: int, starts_at: datetime, ends_at: datetime, besides: int | None = None
):
    """`whose` (a meeting's mentor, or a request's requester) is `person`, the meeting
    overlapping [starts_at, ends_at), but meeting `besides`."""
    condition = and_(
        whose == person,
        mentor_meetings.c.starts_at < ends_at,
        mentor_meetings.c.ends_at > starts_at,
    )
    if besides is not None:
        condition = and_(condition, mentor_meetings.c.id != besides)
    return condition
