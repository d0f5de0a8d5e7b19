"""Broadcasts: an announcement to a chosen audience, delivered through the reminders outbox.

A broadcast is a row from the author's first message on: a draft with the text (HTML), the
media's file_id, the audience chosen, urgency and when to send. Nothing goes to the outbox
before the author confirms. `confirm` writes every recipient's delivery in one statement, in
the same transaction that moves the broadcast on: a row of `reminders` with kind "broadcast",
key "broadcast:<broadcast id>:<user id>" (so confirming twice keeps one copy per person),
due at the send moment. The dispatcher claims and sends deliveries like any reminder, so a
broadcast continues after a restart and on several processes.

Statuses: draft → scheduled (due later) | sending → done; sending ⇄ paused; scheduled,
sending or paused → cancelled. Pausing moves pending deliveries to "held", which the
dispatcher never claims; resuming moves them back; cancelling skips them ("cancelled").

Audience (a JSON object on the row): roles, schools, districts, grades, site_kinds, a
programme or a session (its students with requested or confirmed bookings), or everyone.
Filters combine with AND, choices within one with OR; a filter leaves out whom it cannot
describe (a district keeps students and teachers by their school, site people by their site,
and nobody else). Nothing chosen means nobody: staff choose "everyone" on purpose. Role
limits hold here, not only in the chat: staff may choose anything; a teacher reaches only
students of their own school (grades optional); a site only students booked on its own
sessions (optionally one programme or session of its own). Only active users count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.db import contains_pattern, dialect_insert
from storage.errors import AlreadyHandled, DomainError, NotAllowed, NotFound
from storage.importer import SITE_KINDS as SITE_KIND_NAMES
from storage.models import (
    Booking,
    Broadcast,
    Program,
    Reminder,
    Role,
    School,
    Session,
    Site,
    User,
    UTCDateTime,
)
from storage.reminders import CITY_TZ, after_quiet_hours

broadcasts = Broadcast.__table__
reminders = Reminder.__table__
users = User.__table__
schools = School.__table__
sites = Site.__table__
programs = Program.__table__
sessions = Session.__table__
bookings = Booking.__table__

KIND = "broadcast"
ROLES = tuple(role.value for role in Role)
GRADES = (1, 2, 3)
SITE_KINDS = tuple(dict.fromkeys(SITE_KIND_NAMES.values()))
# A site's and a programme's students: those holding a seat the school knows about.
PARTICIPANTS = ("requested", "confirmed")
AUTHORS = (Role.STAFF, Role.TEACHER, Role.SITE)
OPEN = ("pending", "sending", "held")  # deliveries not settled yet
CANCELLED = "cancelled"  # last_error of a delivery skipped because its broadcast was
BLOCKED = "Forbidden"  # last_error of a delivery to someone who blocked the bot
RATE_WINDOW = timedelta(seconds=60)  # the estimate of time left follows the last minute


class Refused(DomainError):
    """The broadcast cannot go: `reason` is "nobody" (no recipient) or "past" (its
    scheduled moment went by while it waited for the confirm)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ----- the audience ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    roles: tuple[str, ...] = ()
    schools: tuple[int, ...] = ()
    districts: tuple[str, ...] = ()
    grades: tuple[int, ...] = ()
    site_kinds: tuple[str, ...] = ()
    program: int | None = None
    session: int | None = None
    everyone: bool = False

    @classmethod
    def from_json(cls, data: dict | None) -> Audience:
        """Read what was stored, dropping anything unknown (old rows, hand edits)."""
        data = data or {}

        def fits(value, kind) -> bool:
            return isinstance(value, kind) and not isinstance(value, bool)

        def picked(key, allowed=None, kind=str):
            values = [v for v in data.get(key) or () if fits(v, kind)]
            return tuple(sorted({v for v in values if allowed is None or v in allowed}))

        def one_id(key):
            value = data.get(key)
            return value if fits(value, int) and value > 0 else None

        return cls(
            roles=picked("roles", ROLES),
            schools=picked("schools", kind=int),
            districts=picked("districts"),
            grades=picked("grades", GRADES, int),
            site_kinds=picked("site_kinds", SITE_KINDS),
            program=one_id("program"),
            session=one_id("session"),
            everyone=data.get("everyone") is True,
        )

    def to_json(self) -> dict:
        return {key: list(v) if isinstance(v, tuple) else v for key, v in self.__dict__.items()}

    @property
    def chosen(self) -> bool:
        return (
            self.everyone
            or any((self.roles, self.schools, self.districts, self.grades, self.site_kinds))
            or bool(self.program or self.session)
        )

    def toggled(self, key: str, value) -> Audience:
        """The audience with `value` added to or taken out of the list `key`."""
        current = set(getattr(self, key))
        current ^= {value}
        return Audience.from_json({**self.to_json(), key: sorted(current)})

    def but(self, **values) -> Audience:
        return Audience.from_json({**self.to_json(), **values})


def limited(author: Row, audience: Audience) -> Audience:
    """What the author may reach of `audience`: staff anything; a teacher their school's
    students (by grade if chosen); a site its booked students (by one of its programmes or
    sessions if chosen; the site's own bound is added by `_recipients`)."""
    if author.role == Role.STAFF:
        return audience
    if author.role == Role.TEACHER and author.school_id is not None:
        return Audience(roles=("student",), schools=(author.school_id,), grades=audience.grades)
    if author.role == Role.SITE and author.site_id is not None:
        return Audience(roles=("student",), program=audience.program, session=audience.session)
    raise NotAllowed


def _recipients(author: Row, audience: Audience):
    """SELECT id, role of the active users the author reaches with `audience`."""
    audience = limited(author, audience)
    stmt = select(users.c.id, users.c.role).where(
        users.c.active.is_(True), users.c.role.is_not(None)
    )
    if author.role == Role.SITE:
        return stmt.where(_booked(audience, site_id=author.site_id))
    if audience.everyone:
        return stmt
    if not audience.chosen:
        return stmt.where(false())
    return stmt.where(*_filters(audience))


def _filters(audience: Audience) -> list:
    role = users.c.role
    where = []
    if audience.roles:
        where.append(role.in_(audience.roles))
    if audience.schools:
        in_school = users.c.school_id.in_(audience.schools)
        where.append(and_(role.in_(("student", "teacher")), in_school))
    if audience.districts:
        school_in = select(schools.c.id).where(schools.c.district.in_(audience.districts))
        site_in = select(sites.c.id).where(sites.c.district.in_(audience.districts))
        where.append(
            or_(
                and_(role.in_(("student", "teacher")), users.c.school_id.in_(school_in)),
                and_(role == "site", users.c.site_id.in_(site_in)),
            )
        )
    if audience.grades:
        where.append(_in_grades(audience.grades))
    if audience.site_kinds:
        kind_in = select(sites.c.id).where(sites.c.kind.in_(audience.site_kinds))
        where.append(and_(role == "site", users.c.site_id.in_(kind_in)))
    if audience.program or audience.session:
        where.append(_booked(audience))
    return where


def _in_grades(grades: tuple[int, ...]):
    """Students in one of `grades`, and the teachers covering one of them (a teacher with no
    grades picked covers every grade)."""
    covers = [users.c.grades.contains(str(grade)) for grade in grades]
    return or_(
        and_(users.c.role == "student", users.c.grade.in_(grades)),
        and_(
            users.c.role == "teacher",
            or_(users.c.grades.is_(None), users.c.grades == "", *covers),
        ),
    )


def _booked(audience: Audience, *, site_id: int | None = None):
    """Students with a requested or confirmed booking on the chosen session or programme
    (and on a session of `site_id`'s programmes, when given)."""
    booked = (
        select(bookings.c.id)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(bookings.c.student_id == users.c.id, bookings.c.status.in_(PARTICIPANTS))
    )
    if site_id is not None:
        booked = booked.where(programs.c.site_id == site_id)
    if audience.session:
        booked = booked.where(sessions.c.id == audience.session)
    elif audience.program:
        booked = booked.where(programs.c.id == audience.program)
    return and_(users.c.role == "student", exists(booked))


class Share(NamedTuple):
    """How many of one kind: recipients of a role, failures of one reason."""

    name: str
    count: int


@dataclass(frozen=True)
class Counted:
    total: int
    by_role: dict[str, int]

    @property
    def roles(self) -> list[Share]:
        return [Share(role, n) for role, n in self.by_role.items()]


async def count(conn: AsyncConnection, author: Row, audience: Audience) -> Counted:
    """How many active users the author reaches, and how many of each role."""
    found = _recipients(author, audience).subquery()
    rows = await conn.execute(
        select(found.c.role, func.count()).group_by(found.c.role).order_by(found.c.role)
    )
    by_role = {role: n for role, n in rows.all()}
    return Counted(sum(by_role.values()), by_role)


async def check_choice(conn: AsyncConnection, author: Row, audience: Audience) -> None:
    """A programme or session chosen must exist, and be the site's own for a site;
    NotAllowed otherwise (the same answer for another site's and a missing one)."""
    if audience.program and await program_for(conn, audience.program, author) is None:
        raise NotAllowed
    if audience.session and await session_for(conn, audience.session, author) is None:
        raise NotAllowed


# ----- what the audience panel shows and picks from --------------------------------------------


async def schools_page(conn: AsyncConnection, offset: int, limit: int) -> tuple[list[Row], int]:
    total = await conn.scalar(select(func.count()).select_from(schools))
    rows = await conn.execute(
        select(schools.c.id, schools.c.name, schools.c.district)
        .order_by(schools.c.name, schools.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def find_programs(
    conn: AsyncConnection, author: Row, text: str = "", limit: int = 8
) -> list[Row]:
    """Programmes whose title contains `text` (spaces ignored); a site's own only."""
    stmt = select(programs.c.id, programs.c.title).order_by(programs.c.title, programs.c.id)
    if author.role == Role.SITE:
        stmt = stmt.where(programs.c.site_id == author.site_id)
    needle = "".join(text.split())
    if needle:
        title = func.replace(programs.c.title, " ", "")
        stmt = stmt.where(title.like(contains_pattern(needle), escape="\\"))
    return list((await conn.execute(stmt.limit(limit))).all())


async def program_for(conn: AsyncConnection, program_id: int, author: Row) -> Row | None:
    stmt = select(programs.c.id, programs.c.title, programs.c.site_id).where(
        programs.c.id == program_id
    )
    if author.role == Role.SITE:
        stmt = stmt.where(programs.c.site_id == author.site_id)
    return (await conn.execute(stmt)).first()


async def session_for(conn: AsyncConnection, session_id: int, author: Row) -> Row | None:
    stmt = (
        select(sessions.c.id, sessions.c.starts_at, sessions.c.program_id, programs.c.title)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(sessions.c.id == session_id)
    )
    if author.role == Role.SITE:
        stmt = stmt.where(programs.c.site_id == author.site_id)
    return (await conn.execute(stmt)).first()


async def program_sessions(
    conn: AsyncConnection, program_id: int, *, now: datetime, limit: int = 8
) -> list[Row]:
    """The programme's sessions from a week ago on, soonest first, with how many students
    each has booked (requested or confirmed)."""
    booked = (
        select(func.count())
        .where(bookings.c.session_id == sessions.c.id, bookings.c.status.in_(PARTICIPANTS))
        .scalar_subquery()
    )
    rows = await conn.execute(
        select(sessions.c.id, sessions.c.starts_at, booked.label("students"))
        .where(
            sessions.c.program_id == program_id,
            sessions.c.status == "scheduled",
            sessions.c.starts_at >= now - timedelta(days=7),
        )
        .order_by(sessions.c.starts_at, sessions.c.id)
        .limit(limit)
    )
    return list(rows.all())


@dataclass(frozen=True)
class Names:
    """What an audience's ids stand for, to show it in words: the first schools' names and
    how many more, the programme's title, the session (with starts_at)."""

    schools: list[str] = field(default_factory=list)
    more: int = 0
    program: str | None = None
    session: Row | None = None


async def names(conn: AsyncConnection, audience: Audience, author: Row, shown: int = 5) -> Names:
    found = []
    if audience.schools:
        rows = await conn.execute(
            select(schools.c.name).where(schools.c.id.in_(audience.schools)).order_by("name")
        )
        found = list(rows.scalars())
    session = await session_for(conn, audience.session, author) if audience.session else None
    program = await program_for(conn, audience.program, author) if audience.program else None
    title = session.title if session else program.title if program else None
    return Names(found[:shown], max(0, len(found) - shown), title, session)


# ----- drafts ---------------------------------------------------------------------------------


async def start_draft(
    conn: AsyncConnection,
    author: Row,
    *,
    text: str,
    media_kind: str | None,
    media_file_id: str | None,
    now: datetime,
) -> int:
    """A new draft; the author's abandoned drafts (a flow left with /cancel) go."""
    limited(author, Audience())  # NotAllowed for anyone who may not broadcast
    await conn.execute(
        delete(broadcasts).where(
            broadcasts.c.author_id == author.id, broadcasts.c.status == "draft"
        )
    )
    stmt = insert(broadcasts).values(
        author_id=author.id,
        author_role=author.role,
        text=text,
        media_kind=media_kind,
        media_file_id=media_file_id,
        audience={},
        urgent=False,
        status="draft",
        created_at=now,
        total=0,
    )
    return (await conn.execute(stmt.returning(broadcasts.c.id))).scalar_one()


async def draft(conn: AsyncConnection, broadcast_id: int, author: Row) -> Row | None:
    """The author's own draft; None for anyone else's or one already confirmed."""
    stmt = select(broadcasts).where(
        broadcasts.c.id == broadcast_id,
        broadcasts.c.author_id == author.id,
        broadcasts.c.status == "draft",
    )
    return (await conn.execute(stmt)).first()


DRAFT_FIELDS = {"text", "media_kind", "media_file_id", "audience", "urgent", "scheduled_at"}


async def update_draft(conn: AsyncConnection, broadcast_id: int, author: Row, **values) -> Row:
    """Change the author's draft; NotFound when it is not (or no longer) one. Only staff
    mark a broadcast urgent (quiet hours protect students from everyone else)."""
    assert set(values) <= DRAFT_FIELDS, values
    if values.get("urgent") and author.role != Role.STAFF:
        raise NotAllowed
    if "audience" in values:
        audience = Audience.from_json(values["audience"])
        await check_choice(conn, author, audience)
        values["audience"] = audience.to_json()
    stmt = (
        update(broadcasts)
        .where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.author_id == author.id,
            broadcasts.c.status == "draft",
        )
        .values(**values)
        .returning(*broadcasts.c)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound
    return row


async def discard(conn: AsyncConnection, broadcast_id: int, author: Row) -> bool:
    found = await conn.execute(
        delete(broadcasts).where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.author_id == author.id,
            broadcasts.c.status == "draft",
        )
    )
    return found.rowcount > 0


# ----- confirm: the deliveries are written ----------------------------------------------------


async def confirm(
    conn: AsyncConnection, broadcast_id: int, author: Row, *, now: datetime, tz: tzinfo = CITY_TZ
) -> Row:
    """Write one delivery per recipient and start the broadcast (or schedule it), in the
    caller's transaction. A second confirm finds no draft: AlreadyHandled."""
    found = await draft(conn, broadcast_id, author)
    if found is None:
        raise AlreadyHandled if await _confirmed(conn, broadcast_id, author) else NotFound
    if found.scheduled_at is not None and found.scheduled_at <= now:
        raise Refused("past")
    status = "scheduled" if found.scheduled_at else "sending"
    # The status moves first: on PostgreSQL this locks the row, so a second confirm waits
    # and then finds no draft.
    moved = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.status == "draft")
        .values(status=status, confirmed_at=now)
    )
    if moved.rowcount != 1:
        raise AlreadyHandled
    await _write_deliveries(conn, found, author, now=now, tz=tz)
    total = await conn.scalar(select(func.count()).where(reminders.c.broadcast_id == broadcast_id))
    if not total:
        raise Refused("nobody")  # the caller's transaction rolls the status back
    row = (
        await conn.execute(
            update(broadcasts)
            .where(broadcasts.c.id == broadcast_id)
            .values(total=total)
            .returning(*broadcasts.c)
        )
    ).one()
    await audit.record(
        conn,
        author.id,
        "broadcast.confirmed",
        "broadcast",
        broadcast_id,
        total=total,
        now=now,
    )
    return row


async def _write_deliveries(conn, broadcast: Row, author: Row, *, now, tz) -> None:
    """One INSERT … SELECT for every recipient; the key keeps one per (broadcast, user).
    A student's copy of a non-urgent broadcast is due after quiet hours (21:00-08:00)."""
    send_at = broadcast.scheduled_at or now
    student_at = send_at if broadcast.urgent else after_quiet_hours(send_at, tz)
    people = _recipients(author, Audience.from_json(broadcast.audience)).subquery()
    due = case(
        (people.c.role == "student", literal(student_at, UTCDateTime())),
        else_=literal(send_at, UTCDateTime()),
    )
    rows = select(
        literal(KIND),
        people.c.id,
        literal(broadcast.id),
        due,
        literal("pending"),
        literal(0),
        literal(f"{KIND}:{broadcast.id}:") + cast(people.c.id, String),
        literal(now, UTCDateTime()),
    ).where(true())  # SQLite reads "… FROM (subquery) ON CONFLICT" as a join without it
    columns = ["kind", "user_id", "broadcast_id", "due_at", "status", "attempts", "key"]
    stmt = dialect_insert(conn)(reminders).from_select([*columns, "created_at"], rows)
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))


async def _confirmed(conn: AsyncConnection, broadcast_id: int, author: Row) -> bool:
    found = await conn.scalar(
        select(broadcasts.c.id).where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.author_id == author.id,
            broadcasts.c.status != "draft",
        )
    )
    return found is not None


async def set_progress(
    conn: AsyncConnection, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """The message the clock edits with the figures from now on."""
    await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id)
        .values(progress_chat_id=chat_id, progress_message_id=message_id, progress_shown=None)
    )


async def set_shown(conn: AsyncConnection, broadcast_id: int, shown: str) -> None:
    await conn.execute(
        update(broadcasts).where(broadcasts.c.id == broadcast_id).values(progress_shown=shown)
    )


# ----- pause, resume, cancel ------------------------------------------------------------------


async def owned(conn: AsyncConnection, broadcast_id: int, user: Row) -> Row | None:
    """A confirmed broadcast the user may see and steer: staff any, others their own."""
    stmt = select(broadcasts).where(broadcasts.c.id == broadcast_id, broadcasts.c.status != "draft")
    if user.role != Role.STAFF:
        stmt = stmt.where(broadcasts.c.author_id == user.id)
    return (await conn.execute(stmt)).first()


async def _move(conn, broadcast_id: int, user: Row, was: tuple[str, ...], **values) -> Row:
    """Compare-and-swap of the broadcast's status; NotFound when not the user's to steer,
    AlreadyHandled when it is no longer in one of `was`."""
    if await owned(conn, broadcast_id, user) is None:
        raise NotFound
    row = (
        await conn.execute(
            update(broadcasts)
            .where(broadcasts.c.id == broadcast_id, broadcasts.c.status.in_(was))
            .values(**values)
            .returning(*broadcasts.c)
        )
    ).first()
    if row is None:
        raise AlreadyHandled
    return row


async def _deliveries(conn, broadcast_id: int, was: tuple[str, ...], **values) -> int:
    found = await conn.execute(
        update(reminders)
        .where(reminders.c.broadcast_id == broadcast_id, reminders.c.status.in_(was))
        .values(**values)
    )
    return found.rowcount


async def pause(conn: AsyncConnection, broadcast_id: int, user: Row, *, now: datetime) -> Row:
    """Deliveries not yet claimed wait as "held"; the ones in flight finish."""
    row = await _move(conn, broadcast_id, user, ("sending", "scheduled"), status="paused")
    await _deliveries(conn, broadcast_id, ("pending",), status="held")
    await audit.record(conn, user.id, "broadcast.paused", "broadcast", broadcast_id, now=now)
    return row


async def resume(conn: AsyncConnection, broadcast_id: int, user: Row, *, now: datetime) -> Row:
    found = await owned(conn, broadcast_id, user)
    later = found is not None and found.scheduled_at is not None and found.scheduled_at > now
    status = "scheduled" if later else "sending"
    row = await _move(conn, broadcast_id, user, ("paused",), status=status)
    await _deliveries(conn, broadcast_id, ("held",), status="pending")
    await audit.record(conn, user.id, "broadcast.resumed", "broadcast", broadcast_id, now=now)
    return row


async def cancel(conn: AsyncConnection, broadcast_id: int, user: Row, *, now: datetime) -> int:
    """Nothing more is sent; returns how many deliveries were dropped."""
    await _move(
        conn,
        broadcast_id,
        user,
        ("scheduled", "sending", "paused"),
        status="cancelled",
        finished_at=now,
    )
    dropped = await _skip_open(conn, broadcast_id, now)
    await audit.record(
        conn,
        user.id,
        "broadcast.cancelled",
        "broadcast",
        broadcast_id,
        dropped=dropped,
        now=now,
    )
    return dropped


async def _skip_open(conn, broadcast_id: int, now: datetime) -> int:
    return await _deliveries(
        conn,
        broadcast_id,
        ("pending", "held"),
        status="skipped",
        last_error=CANCELLED,
        sent_at=now,
        lease_until=None,
    )


# ----- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    total: int = 0
    delivered: int = 0
    blocked: int = 0  # the recipient blocked the bot (now inactive)
    failed: int = 0  # given up for another reason, counted in `reasons`
    reasons: list[Share] = field(default_factory=list)  # the most frequent first
    cancelled: int = 0
    skipped: int = 0  # no longer sendable (e.g. the recipient left), not counting cancelled
    pending: int = 0
    held: int = 0
    in_flight: int = 0  # claimed by a sender right now
    later: int = 0  # pending, due later (scheduled, or a student's copy after quiet hours)
    recent: int = 0  # settled within RATE_WINDOW: the rate for the estimate

    @property
    def waiting(self) -> int:
        return self.pending + self.held + self.in_flight

    @property
    def undelivered(self) -> int:
        return self.blocked + self.failed + self.cancelled + self.skipped

    def to_json(self) -> dict:
        values = {key: getattr(self, key) for key in self.__dataclass_fields__}
        return {**values, "reasons": [list(share) for share in self.reasons]}

    @classmethod
    def from_json(cls, data: dict) -> Figures:
        known = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        reasons = [Share(*reason) for reason in known.pop("reasons", [])]
        return cls(**known, reasons=reasons)

    def shown(self, status: str) -> str:
        """What a progress message says in short: it is edited only when this changes."""
        parts = (status, self.delivered, self.blocked, self.failed, self.cancelled)
        return ":".join(map(str, (*parts, self.skipped, self.waiting, self.later)))


async def figures(
    conn: AsyncConnection, broadcast_ids: list[int], *, now: datetime
) -> dict[int, Figures]:
    """Each broadcast's figures: a finished one's as kept with its report, the others
    counted from their deliveries (one grouped read for all)."""
    if not broadcast_ids:
        return {}
    kept = await conn.execute(
        select(broadcasts.c.id, broadcasts.c.outcome).where(
            broadcasts.c.id.in_(broadcast_ids), broadcasts.c.outcome.is_not(None)
        )
    )
    found = {row.id: Figures.from_json(row.outcome) for row in kept.all()}
    counting = [broadcast_id for broadcast_id in broadcast_ids if broadcast_id not in found]
    return {**found, **await _counted(conn, counting, now)} if counting else found


async def _counted(conn: AsyncConnection, broadcast_ids: list[int], now: datetime):
    r = reminders.c
    rows = await conn.execute(
        select(
            r.broadcast_id,
            r.status,
            r.last_error,
            func.count().label("n"),
            func.sum(case((r.due_at > now, 1), else_=0)).label("later"),
            func.sum(case((r.sent_at >= now - RATE_WINDOW, 1), else_=0)).label("recent"),
        )
        .where(r.broadcast_id.in_(broadcast_ids))
        .group_by(r.broadcast_id, r.status, r.last_error)
    )
    tallies = {broadcast_id: _Tally() for broadcast_id in broadcast_ids}
    for row in rows.all():
        tallies[row.broadcast_id].add(row)
    return {broadcast_id: tally.figures() for broadcast_id, tally in tallies.items()}


class _Tally:
    def __init__(self) -> None:
        self.values = dict.fromkeys(
            ("total", "delivered", "blocked", "failed", "cancelled", "skipped", "pending"), 0
        )
        self.values.update(held=0, in_flight=0, later=0, recent=0)
        self.reasons: dict[str, int] = {}

    def add(self, row: Row) -> None:
        v, n = self.values, row.n
        v["total"] += n
        if row.status in ("sent", "dead"):
            v["recent"] += row.recent or 0
        if row.status == "sent":
            v["delivered"] += n
        elif row.status == "dead" and row.last_error == BLOCKED:
            v["blocked"] += n
        elif row.status == "dead":
            v["failed"] += n
            reason = row.last_error or "?"
            self.reasons[reason] = self.reasons.get(reason, 0) + n
        elif row.status == "skipped":
            v["cancelled" if row.last_error == CANCELLED else "skipped"] += n
        elif row.status == "pending":
            v["pending"] += n
            v["later"] += row.later or 0
        elif row.status == "held":
            v["held"] += n
        elif row.status == "sending":
            v["in_flight"] += n

    def figures(self) -> Figures:
        reasons = sorted(self.reasons.items(), key=lambda item: (-item[1], item[0]))
        return Figures(**self.values, reasons=[Share(*reason) for reason in reasons])


def time_left(found: Figures, started: datetime | None, now: datetime) -> timedelta | None:
    """How long what is due now will take at the rate of the last minute; None before
    there is a rate to go by."""
    due_now = found.pending - found.later + found.in_flight
    if started is None or not found.recent or not due_now:
        return None
    elapsed = min(RATE_WINDOW, max(now - started, timedelta(seconds=1)))
    per_second = found.recent / elapsed.total_seconds()
    return timedelta(seconds=due_now / per_second)


# ----- the clock's part -----------------------------------------------------------------------


async def start_due(conn: AsyncConnection, *, now: datetime) -> list[int]:
    """Scheduled broadcasts whose moment came are sending now (their deliveries were due
    from that moment anyway; this is what the author sees)."""
    found = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.status == "scheduled", broadcasts.c.scheduled_at <= now)
        .values(status="sending")
        .returning(broadcasts.c.id)
    )
    return list(found.scalars())


FOLLOWED = (
    select(broadcasts, users.c.lang.label("author_lang"))
    .outerjoin(users, users.c.id == broadcasts.c.author_id)
    .order_by(broadcasts.c.id)
)


async def followed(conn: AsyncConnection, broadcast_id: int | None = None) -> list[Row]:
    """Broadcasts whose progress message the clock keeps: sending or paused, and finished
    ones whose report has not gone out; or the one asked for, whatever its status. Each
    with its author's language (author_lang)."""
    if broadcast_id is not None:
        stmt = FOLLOWED.where(broadcasts.c.id == broadcast_id)
        return list((await conn.execute(stmt)).all())
    unreported = and_(
        broadcasts.c.status.in_(("done", CANCELLED)), broadcasts.c.reported_at.is_(None)
    )
    stmt = FOLLOWED.where(or_(broadcasts.c.status.in_(("sending", "paused")), unreported))
    return list((await conn.execute(stmt)).all())


async def settle(conn: AsyncConnection, broadcast_id: int, *, now: datetime) -> None:
    """Bring the deliveries in line with the broadcast: a retry that came back "pending"
    while paused is held again, or skipped if cancelled; a sending broadcast with nothing
    open left is done."""
    status = await conn.scalar(select(broadcasts.c.status).where(broadcasts.c.id == broadcast_id))
    if status == "paused":
        await _deliveries(conn, broadcast_id, ("pending",), status="held")
    elif status == CANCELLED:
        await _skip_open(conn, broadcast_id, now)
    elif status == "sending":
        await finish_if_done(conn, broadcast_id, now=now)


async def finish_if_done(conn: AsyncConnection, broadcast_id: int, *, now: datetime) -> bool:
    """A sending broadcast with no pending, sending or held delivery is done."""
    open_left = exists(
        select(reminders.c.id).where(
            reminders.c.broadcast_id == broadcast_id, reminders.c.status.in_(OPEN)
        )
    )
    found = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.status == "sending", ~open_left)
        .values(status="done", finished_at=now)
    )
    return found.rowcount > 0


async def claim_report(
    conn: AsyncConnection, broadcast_id: int, final: Figures, *, now: datetime
) -> bool:
    """True for the one process that sends the final report; the figures it reports are
    kept with the broadcast."""
    found = await conn.execute(
        update(broadcasts)
        .where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.status.in_(("done", CANCELLED)),
            broadcasts.c.reported_at.is_(None),
        )
        .values(reported_at=now, outcome=final.to_json())
    )
    return found.rowcount > 0


async def for_delivery(conn: AsyncConnection, broadcast_id: int) -> Row | None:
    """What the dispatcher composes a delivery from: text (HTML), media_kind, media_file_id,
    status (send only while "sending") and urgent (students get it in quiet hours)."""
    stmt = select(
        broadcasts.c.id,
        broadcasts.c.text,
        broadcasts.c.media_kind,
        broadcasts.c.media_file_id,
        broadcasts.c.status,
        broadcasts.c.urgent,
    ).where(broadcasts.c.id == broadcast_id)
    return (await conn.execute(stmt)).first()


# ----- lists and the undelivered --------------------------------------------------------------


async def listing(
    conn: AsyncConnection, user: Row, *, offset: int, limit: int
) -> tuple[list[Row], int]:
    """Confirmed broadcasts the user may see (staff all, others their own), the scheduled
    ones and the latest first."""
    where = [broadcasts.c.status != "draft"]
    if user.role != Role.STAFF:
        where.append(broadcasts.c.author_id == user.id)
    total = await conn.scalar(select(func.count()).select_from(broadcasts).where(*where))
    moment = func.coalesce(broadcasts.c.scheduled_at, broadcasts.c.confirmed_at)
    scheduled_first = case((broadcasts.c.status == "scheduled", 0), else_=1)
    rows = await conn.execute(
        select(broadcasts)
        .where(*where)
        .order_by(scheduled_first, moment.desc(), broadcasts.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def undelivered(conn: AsyncConnection, broadcast_id: int) -> list[Row]:
    """Recipients who did not get it: user id, role, school (students and teachers), the
    outcome (dead or skipped) and its reason. Never a name, phone or username."""
    rows = await conn.execute(
        select(
            users.c.id.label("user_id"),
            users.c.role,
            schools.c.name.label("school"),
            reminders.c.status,
            reminders.c.last_error.label("reason"),
        )
        .select_from(
            reminders.join(users, users.c.id == reminders.c.user_id).outerjoin(
                schools, schools.c.id == users.c.school_id
            )
        )
        .where(
            reminders.c.broadcast_id == broadcast_id,
            reminders.c.status.in_(("dead", "skipped")),
        )
        .order_by(users.c.role, schools.c.name, users.c.id)
    )
    return list(rows.all())


async def record_export(
    conn: AsyncConnection, broadcast_id: int, user: Row, rows: int, *, now: datetime
) -> None:
    await audit.record(
        conn, user.id, "broadcast.csv", "broadcast", broadcast_id, now=now, rows=rows
    )
