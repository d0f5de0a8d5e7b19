"""A person's other commitments at overlapping times, of every kind, so that a new one can
warn of a clash: for a student the seats held in their name (their own bookings and class
seats a teacher named them for) and their mentor meetings; for a mentor their other meetings.
A clash is a warning, never a refusal: a student may well leave one early for the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, select, union_all
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
        parts.append(_seats(student_id, starts_at, ends_at, besides_session))
        met = mentor_requests.c.requester_id == student_id
        parts.append(_meetings(met, starts_at, ends_at, besides_meeting, joined=True))
    if mentor_id is not None:
        met = mentor_meetings.c.mentor_id == mentor_id
        parts.append(_meetings(met, starts_at, ends_at, besides_meeting, joined=False))
    if not parts:
        return []
    rows = (await conn.execute(union_all(*parts).order_by("starts_at", "title"))).all()
    return [Commitment(r.kind, r.title, r.starts_at, r.ends_at) for r in rows]


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


def _seats(student_id: int, starts_at: datetime, ends_at: datetime, besides: int | None):
    """Seats held in the student's name: requested, confirmed, or offered from the line."""
    query = (
        select(
            literal("booking").label("kind"),
            programs.c.title.label("title"),
            sessions.c.starts_at.label("starts_at"),
            sessions.c.ends_at.label("ends_at"),
        )
        .select_from(bookings)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(
            bookings.c.student_id == student_id,
            bookings.c.status.in_(SEAT_STATUSES),
            sessions.c.status == "scheduled",
            sessions.c.starts_at < ends_at,
            sessions.c.ends_at > starts_at,
        )
    )
    if besides is not None:
        query = query.where(bookings.c.session_id != besides)
    return query


def _meetings(whose, starts_at: datetime, ends_at: datetime, besides: int | None, *, joined):
    """Scheduled meetings: a mentor's own, or (`joined`) those the student's requests hold."""
    query = select(
        literal("meeting").label("kind"),
        mentor_meetings.c.field.label("title"),
        mentor_meetings.c.starts_at.label("starts_at"),
        mentor_meetings.c.ends_at.label("ends_at"),
    )
    if joined:
        query = query.select_from(mentor_requests).join(
            mentor_meetings, mentor_meetings.c.id == mentor_requests.c.meeting_id
        )
        query = query.where(mentor_requests.c.status == "scheduled")
    query = query.where(
        whose,
        mentor_meetings.c.status == "scheduled",
        mentor_meetings.c.starts_at < ends_at,
        mentor_meetings.c.ends_at > starts_at,
    )
    if besides is not None:
        query = query.where(mentor_meetings.c.id != besides)
    return query
