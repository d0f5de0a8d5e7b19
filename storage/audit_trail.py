"""Reading the audit log for staff (/audit): who read or changed what about one person, or
everything, in a period; the people staff can pick by name; and the audited reads of it all.

storage/audit.py stays the only writer of the log; this module reads it, and records each
look at it (a staff read of personal data) through audit.read.

The log keeps a person's Telegram id, and an erased person's id comes back when the same
account joins again (a new users row, a new created_at). So an entry is tied to a person's
current row only from that row's created_at on: a person's trail holds nothing older, and
an actor or object person named on an older entry is "someone no longer registered" (`Line`
`actor_known`, `object_known`), never the account that has that id now.

"About a person" (`_about`), from their row's created_at: an entry they made (the actor),
one whose object is them (a "user", a guardian's read of them as a child, staff's read of
them to erase), one whose object is one of their bookings, cases (as a party or its
student), consent requests or mentor requests, or their mentor profile; and the reads of
lists they were on: a session's roster, attendance, class seats or bookings to open a case
about, where they had a booking on that session; a school's pending requests, read while a
request of theirs was in it (made, not yet decided); and a school's /consents page that
showed them (the read keeps the ids of the students on the page, `student_ids`: which page
showed whom cannot be worked out afterwards, as consents, grades and names change). A
roster or a pending list names a session or a school, not who was on it, so those are tied
to the person through their bookings.

One query a page (the selection by moment and the OR above; audit_log has indexes on `at`,
(actor_id, at) and (object_type, object_id, at)), one count, and one or two small look-ups
of names for the page's objects.

A trail once opened keeps its window: it ends at the moment it was opened, which is the
moment of the audit entry of that opening (`opened`). That entry is also what the trail's
buttons carry (its id, checked against the staff member who opened it on every press), so
no button holds a person's Telegram id, and paging stays put while new entries come in. A
trail whose person was erased since shows nothing more: without their row nothing is tied
to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select, union
from sqlalchemy.dialects.postgresql import JSONB
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

# Object types whose object_id is a person (a users id), a school, a session. A person
# object is on that person's trail; so is the consent list's read of a page showing them.
PERSON_OBJECTS = ("user", "mydata_child", "erase_person")
NAMED_PEOPLE = (*PERSON_OBJECTS, TRAIL, FILE)  # a person's name is shown for these
CONSENT_LIST = "consents"
SHOWN_IDS = "student_ids"  # the consent list's read: the students on the page shown
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
    log keeps only the id; `actor_known` is False for someone erased since, or whose current
    row was made after the entry), and the name of its object where it is a person (known
    the same way: `object_known`), a school or a session's programme."""

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
    object_known: bool = True


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


def _about(person_id: int, dialect: str) -> ColumnElement:
    """The entries about one person (the module's docstring says which): none older than
    their users row, and none at all once the row is gone."""
    kind, object_id = log.c.object_type, log.c.object_id
    read = log.c.action == audit.READ
    joined = select(users.c.created_at).where(users.c.id == person_id).scalar_subquery()
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
    return and_(
        log.c.at >= joined,
        or_(
            log.c.actor_id == person_id,
            and_(kind.in_(PERSON_OBJECTS), object_id == str(person_id)),
            and_(
                kind == "booking",
                object_id.in_(
                    select(_ids(bookings.c.id)).where(bookings.c.student_id == person_id)
                ),
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
                    select(consent_requests.c.token).where(
                        consent_requests.c.student_id == person_id
                    )
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
            and_(read, kind == CONSENT_LIST, _shown(person_id, dialect)),
        ),
    )


def _shown(person_id: int, dialect: str) -> ColumnElement:
    """The entry's detail lists `person_id` among the ids shown (SHOWN_IDS)."""
    if dialect == "postgresql":
        # jsonb containment: false, never an error, for a detail without the list.
        return cast(log.c.detail, JSONB)[SHOWN_IDS].contains([person_id])
    path = f"$.{SHOWN_IDS}"
    shown = func.json_each(log.c.detail, path).table_valued("value")
    return and_(  # json_each would take a lone number for a list of it
        func.json_type(log.c.detail, path) == "array",
        exists(select(literal(1)).select_from(shown).where(shown.c.value == person_id)),
    )


def _where(trail: Trail, dialect: str) -> list[ColumnElement]:
    where = [log.c.at >= trail.start, log.c.at < trail.end]
    if trail.person_id is not None:
        where.append(_about(trail.person_id, dialect))
    return where


async def lines(
    conn: AsyncConnection, trail: Trail, *, offset: int, limit: int
) -> tuple[list[Line], int]:
    """A page of the trail, newest first, and how many entries it has in all."""
    where = _where(trail, conn.dialect.name)
    total = await conn.scalar(select(func.count()).select_from(log).where(*where))
    # The actor as they are now, if their current row was there when they acted.
    actor = and_(users.c.id == log.c.actor_id, users.c.created_at <= log.c.at)
    found = await conn.execute(
        select(
            log,
            users.c.id.label("known"),
            users.c.name.label("actor_name"),
            users.c.role.label("actor_role"),
        )
        .select_from(log.outerjoin(users, actor))
        .where(*where)
        .order_by(log.c.at.desc(), log.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    rows = found.all()
    names = await _object_names(conn, rows)
    return [_line(row, names) for row in rows], total


def _line(row: Row, names: dict[tuple[str, int], tuple[str | None, datetime | None]]) -> Line:
    name, since = names.get((_object_kind(row.object_type), _number(row.object_id)), (None, None))
    # A person object's name only if their current row was there at the entry.
    known = _object_kind(row.object_type) != "person" or (since is not None and since <= row.at)
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
        object_name=name if known else None,
        detail=row.detail or {},
        object_known=known,
    )


def _object_kind(object_type: str | None) -> str | None:
    """What an object id names, where a name can be shown for it."""
    if object_type in NAMED_PEOPLE:
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


async def _object_names(
    conn: AsyncConnection, rows: list[Row]
) -> dict[tuple[str, int], tuple[str | None, datetime | None]]:
    """(kind, id) -> (name, since) of each person, school and session's programme the rows
    name; `since` is a person's current row's created_at (None for the others)."""
    wanted: dict[str, set[int]] = {"person": set(), "school": set(), "session": set()}
    for row in rows:
        kind, number = _object_kind(row.object_type), _number(row.object_id)
        if kind is not None and number is not None:
            wanted[kind].add(number)
    queries = {
        "person": (select(users.c.id, users.c.name, users.c.created_at), users.c.id),
        "school": (select(schools.c.id, schools.c.name, literal(None)), schools.c.id),
        "session": (
            select(sessions.c.id, programs.c.title, literal(None)).join(
                programs, programs.c.id == sessions.c.program_id
            ),
            sessions.c.id,
        ),
    }
    names: dict[tuple[str, int], tuple[str | None, datetime | None]] = {}
    for kind, (query, key) in queries.items():
        ids = sorted(wanted[kind])
        for at in range(0, len(ids), NAMES_AT_ONCE):  # a file's rows may name thousands
            found = await conn.execute(query.where(key.in_(ids[at : at + NAMES_AT_ONCE])))
            names.update(((kind, number), (name, since)) for number, name, since in found.all())
    return names


async def every_line(conn: AsyncConnection, trail: Trail) -> tuple[list[Line], int]:
    """The whole trail for its file: the newest EXPORT_MAX entries, and how many there are."""
    return await lines(conn, trail, offset=0, limit=EXPORT_MAX)


# ----- people to pick -------------------------------------------------------------------------


async def person(conn: AsyncConnection, person_id: int, *, until: datetime) -> Row | None:
    """A person as the heading of a trail ending at `until` names them; None when they are
    no longer registered, or when their account was made after it (their Telegram id came
    back after an erasure: the trail was someone else's)."""
    since = await conn.scalar(select(users.c.created_at).where(users.c.id == person_id))
    if since is None or since > until:
        return None
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
