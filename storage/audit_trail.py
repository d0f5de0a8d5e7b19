"""Reading the audit log for staff (/audit): who read or changed what about one person, or
everything, in a period; the people staff can pick by name; and the audited reads of it all.

storage/audit.py stays the only writer of the log; this module reads it, and records each
look at it (a staff read of personal data) through audit.read.

"About a person" (`_about`): an entry they made (the actor), one whose object is them (a
"user", or a guardian's read of them as a child), one whose object is one of their
bookings, cases (as a party or its student), consent requests or mentor requests, or their
mentor profile; and the reads of lists they were on: a session's roster, attendance, class
seats or bookings to open a case about, where they had a booking on that session; and a
school's pending requests, read while a request of theirs was in it (made, not yet decided).
A list names a session or a school, not who was on it, so those lists are tied to the person
through their bookings. A school's /consents page (paged, eight a page) is not: which page
showed whom is not kept.

One query a page (the selection by moment and the OR above; audit_log has an index on `at`
only: an index on (actor_id, at) and one on (object_type, object_id, at) would serve a
person's trail over a long period; no migration here, the lead decides), one count, and one
or two small look-ups of names for the page's objects.

A trail once opened keeps its window: it ends at the moment it was opened, which is the
moment of the audit entry of that opening (`opened`). That entry is also what the trail's
buttons carry (its id, checked against the staff member who opened it on every press), so
no button holds a person's Telegram id, and paging stays put while new entries come in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from sqlalchemy import String, and_, cast, exists, func, or_, select, union
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from storage import audit, school_year
from storage import users as users_store
from storage.models import AuditEntry
from storage.tables import (
    bookings,
    case_parties,
    cases,
    consent_requests,
    mentor_requests,
    programs,
    schools,
    sessions,
    users,
)

log = AuditEntry.__table__

# The periods staff choose from: today and the 6 days before, today and the 29 before (from
# the city's midnight), and the school year (from 1 March, the Korean school year's start).
PERIODS = ("week", "month", "year")
PERIOD_DAYS = {"week": 7, "month": 30}

# What a look at the log is recorded as (audit.read's kind): a trail's page, the file of it,
# and the list of people found by a name.
TRAIL = "audit_trail"
FILE = "audit_file"
PEOPLE = "audit_people"

EXPORT_MAX = 20_000  # rows of one file; the newest first, the caption says when cut
NAMES_AT_ONCE = 1000  # ids in one look-up of names (SQLite's limit of bound values is far)

# Object types whose object_id is a person (a users id), a school, a session.
PERSON_OBJECTS = ("user", "mydata_child")
SCHOOL_LISTS = ("pending", "consents", "mentor_requests")
SESSION_LISTS = ("roster", "attendance", "class_seats", "case_bookings")
SESSION_OBJECTS = ("session", *SESSION_LISTS)
MENTOR_OBJECTS = ("mentor", "mentor_desk")


@dataclass(frozen=True)
class Trail:
    """What a trail shows: whose (`person_id`; None is everything), from `start` up to, not
    including, `end`; `handle` is the id of the audit entry of its opening, once opened."""

    person_id: int | None
    period: str
    start: datetime
    end: datetime
    handle: int | None = None


@dataclass(frozen=True)
class Line:
    """One audit entry as the trail shows it: the actor's name and role as they are now (the
    log keeps only the id; `actor_known` is False for someone erased since), and the name of
    its object where it is a person, a school or a session's programme."""

    id: int
    at: datetime
    actor_id: int | None
    actor_known: bool
    actor_name: str | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    object_name: str | None
    detail: dict


def period_start(period: str, end: datetime, tz: tzinfo) -> datetime:
    """The first moment of `period` as seen at `end`: a city midnight."""
    today = end.astimezone(tz).date()
    if period == "year":
        first = school_year.year_start(today)
    else:
        first = today - timedelta(days=PERIOD_DAYS[period] - 1)
    return datetime.combine(first, time(0), tzinfo=tz)


def trail(person_id: int | None, period: str, *, end: datetime, tz: tzinfo) -> Trail:
    """A trail to open now (`end`, the update's moment)."""
    return Trail(person_id, period, period_start(period, end, tz), end)


# ----- the selection --------------------------------------------------------------------------


def _ids(column) -> ColumnElement:
    """An integer id as the log writes object ids (text)."""
    return cast(column, String)


def _about(person_id: int) -> ColumnElement:
    """The entries about one person (the module's docstring says which)."""
    kind, object_id = log.c.object_type, log.c.object_id
    read = log.c.action == audit.READ
    their_cases = union(
        select(_ids(case_parties.c.case_id)).where(case_parties.c.user_id == person_id),
        select(_ids(cases.c.id)).where(cases.c.student_id == person_id),
    )
    waiting_then = exists().where(  # a request of theirs in the school's list at that moment
        bookings.c.student_id == person_id,
        _ids(bookings.c.school_id) == object_id,
        bookings.c.created_at <= log.c.at,
        or_(bookings.c.decided_at.is_(None), bookings.c.decided_at > log.c.at),
    )
    return or_(
        log.c.actor_id == person_id,
        and_(kind.in_(PERSON_OBJECTS), object_id == str(person_id)),
        and_(
            kind == "booking",
            object_id.in_(select(_ids(bookings.c.id)).where(bookings.c.student_id == person_id)),
        ),
        and_(kind == "case", object_id.in_(their_cases)),
        and_(
            kind == "mentor_request",
            object_id.in_(
                select(_ids(mentor_requests.c.id)).where(
                    mentor_requests.c.requester_id == person_id
                )
            ),
        ),
        and_(
            kind == "consent_request",
            object_id.in_(
                select(consent_requests.c.token).where(consent_requests.c.student_id == person_id)
            ),
        ),
        and_(
            kind.in_(MENTOR_OBJECTS),
            object_id.in_(select(_ids(users.c.mentor_id)).where(users.c.id == person_id)),
        ),
        and_(
            read,
            kind.in_(SESSION_LISTS),
            object_id.in_(
                select(_ids(bookings.c.session_id)).where(bookings.c.student_id == person_id)
            ),
        ),
        and_(read, kind == "pending", waiting_then),
    )


def _where(trail: Trail) -> list[ColumnElement]:
    where = [log.c.at >= trail.start, log.c.at < trail.end]
    if trail.person_id is not None:
        where.append(_about(trail.person_id))
    return where


async def lines(
    conn: AsyncConnection, trail: Trail, *, offset: int, limit: int
) -> tuple[list[Line], int]:
    """A page of the trail, newest first, and how many entries it has in all."""
    where = _where(trail)
    total = await conn.scalar(select(func.count()).select_from(log).where(*where))
    found = await conn.execute(
        select(
            log,
            users.c.id.label("known"),
            users.c.name.label("actor_name"),
            users.c.role.label("actor_role"),
        )
        .select_from(log.outerjoin(users, users.c.id == log.c.actor_id))
        .where(*where)
        .order_by(log.c.at.desc(), log.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    rows = found.all()
    names = await _object_names(conn, rows)
    return [_line(row, names) for row in rows], total


def _line(row: Row, names: dict[tuple[str, int], str]) -> Line:
    return Line(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        actor_known=row.known is not None,
        actor_name=row.actor_name,
        actor_role=row.actor_role,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        object_name=names.get((_object_kind(row.object_type), _number(row.object_id))),
        detail=row.detail or {},
    )


def _object_kind(object_type: str | None) -> str | None:
    """What an object id names, where a name can be shown for it."""
    if object_type in PERSON_OBJECTS or object_type in (TRAIL, FILE):
        return "person"
    if object_type in SCHOOL_LISTS:
        return "school"
    if object_type in SESSION_OBJECTS:
        return "session"
    return None


def _number(object_id: str | None) -> int | None:
    if object_id is None or not object_id.isascii() or not object_id.isdigit():
        return None
    return int(object_id)


async def _object_names(conn: AsyncConnection, rows: list[Row]) -> dict[tuple[str, int], str]:
    """(kind, id) -> the name of each person, school and session's programme the rows name."""
    wanted: dict[str, set[int]] = {"person": set(), "school": set(), "session": set()}
    for row in rows:
        kind, number = _object_kind(row.object_type), _number(row.object_id)
        if kind is not None and number is not None:
            wanted[kind].add(number)
    queries = {
        "person": (select(users.c.id, users.c.name), users.c.id),
        "school": (select(schools.c.id, schools.c.name), schools.c.id),
        "session": (
            select(sessions.c.id, programs.c.title).join(
                programs, programs.c.id == sessions.c.program_id
            ),
            sessions.c.id,
        ),
    }
    names: dict[tuple[str, int], str] = {}
    for kind, (query, key) in queries.items():
        ids = sorted(wanted[kind])
        for at in range(0, len(ids), NAMES_AT_ONCE):  # a file's rows may name thousands
            found = await conn.execute(query.where(key.in_(ids[at : at + NAMES_AT_ONCE])))
            names.update(((kind, number), name) for number, name in found.all() if name)
    return names


async def every_line(conn: AsyncConnection, trail: Trail) -> tuple[list[Line], int]:
    """The whole trail for its file: the newest EXPORT_MAX entries, and how many there are."""
    return await lines(conn, trail, offset=0, limit=EXPORT_MAX)


# ----- people to pick -------------------------------------------------------------------------

async def person(conn: AsyncConnection, person_id: int) -> Row | None:
    """A person as a trail's heading names them, or None when they are no longer registered."""
    return await users_store.person_view(conn, person_id)


# ----- the audited looks at the log -----------------------------------------------------------


async def opened(
    conn: AsyncConnection, staff_id: int, trail: Trail, *, rows: int, total: int
) -> Trail:
    """Record that `staff_id` opened `trail` at its end (its first page: `rows` of `total`
    entries); the trail with its handle, the id of that entry."""
    await audit.read(
        conn,
        staff_id,
        TRAIL,
        trail.person_id,
        now=trail.end,
        period=trail.period,
        page=0,
        rows=rows,
        total=total,
    )
    # The entry just written in this transaction: this staff member's updates are handled
    # one at a time, so no other entry of theirs has this kind and moment.
    handle = await conn.scalar(
        select(func.max(log.c.id)).where(
            log.c.actor_id == staff_id,
            log.c.action == audit.READ,
            log.c.object_type == TRAIL,
            log.c.at == trail.end,
        )
    )
    return Trail(trail.person_id, trail.period, trail.start, trail.end, handle)


async def reopen(conn: AsyncConnection, handle: int, staff_id: int, tz: tzinfo) -> Trail | None:
    """The trail `handle` opened, if `staff_id` opened it; None for anyone else's, a page's
    entry, any other entry or a missing one (an old or forged button)."""
    found = await conn.execute(
        select(log.c.at, log.c.object_id, log.c.detail).where(
            log.c.id == handle,
            log.c.actor_id == staff_id,
            log.c.action == audit.READ,
            log.c.object_type == TRAIL,
        )
    )
    row = found.first()
    detail = (row.detail or {}) if row is not None else {}
    if row is None or "view" in detail or detail.get("period") not in PERIODS:
        return None
    person_id = None if row.object_id is None else _number(row.object_id)
    if row.object_id is not None and person_id is None:
        return None
    period = detail["period"]
    return Trail(person_id, period, period_start(period, row.at, tz), row.at, handle)


async def paged(
    conn: AsyncConnection, staff_id: int, trail: Trail, *, now: datetime, page: int, rows: int
) -> None:
    """Record that `staff_id` was shown another page of an opened trail."""
    await audit.read(
        conn,
        staff_id,
        TRAIL,
        trail.person_id,
        now=now,
        period=trail.period,
        view=trail.handle,
        page=page,
        rows=rows,
    )


async def exported(
    conn: AsyncConnection, staff_id: int, trail: Trail, *, now: datetime, rows: int, total: int
) -> None:
    """Record that `staff_id` was sent the file of an opened trail."""
    await audit.read(
        conn,
        staff_id,
        FILE,
        trail.person_id,
        now=now,
        period=trail.period,
        view=trail.handle,
        rows=rows,
        total=total,
    )


async def people_shown(
    conn: AsyncConnection, staff_id: int, *, now: datetime, page: int, rows: int
) -> None:
    """Record that `staff_id` was shown a page of people found by a name (names, roles,
    schools and grades; the typed name itself is not kept)."""
    await audit.read(conn, staff_id, PEOPLE, None, now=now, page=page, rows=rows)


