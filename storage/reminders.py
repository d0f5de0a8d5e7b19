"""Reminders as an outbox: rows written with the change that causes them, sent by the clock.

A confirmed booking writes its student's reminders and its site's roster messages in the
same transaction; a cancelled booking or session deletes the ones not yet sent. Each row
has a unique key per occasion, so writing the same reminder twice keeps one.

Sending: each tick claims due rows by moving them to "sending" with a lease (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so several bot processes take different rows; SQLite has one
writer). A row whose lease ran out (the process died) is claimed again: at most one
duplicate per crash, for the rows in flight. A failure is retried later with exponential
backoff and jitter; after MAX_ATTEMPTS the row is dead and staff are told in a digest.

Times follow the city's clock (Asia/Seoul): the day before at 18:00, quiet hours for
students between 21:00 and 08:00.

Kinds, who gets them, and what writes them:
- student_day_before, student_online; site_roster_day_before, site_roster_morning: a booking
  confirmed (plan_booking).
- teacher_expiring: a request made (plan_request), 12 hours before it expires, to each
  teacher who may decide it; dropped with the booking's other rows when it is decided.
- site_change: a booking confirmed or cancelled within 24 hours of its session, to the site
  at once (plan_site_change); it outlives the booking, like the rosters.
- student_survey: attendance marked (plan_survey), 2 hours after the session ends.
- teacher_digest (08:30 each school day) and staff_dead (09:00 daily): about no one booking;
  the clock's planning step (plan_digests) writes each person's next one ahead of time.

Notices, news due at once, written by the change they tell of (see `notice`):
- teacher_request: a new request, to each teacher who may decide it (plan_request).
- student_offer, student_decision (confirmed or rejected), student_expired, student_drawn,
  student_booked (a teacher named them on a class seat), student_session_cancelled.
- teacher_session_cancelled, teacher_attendance (each report of the site's marks).
- site_cancelled: a confirmed booking cancelled further ahead than site_change covers.
Students' quiet hours hold back all but the urgent ones (handlers/reminders.URGENT).

Settled rows (sent, skipped) are deleted after KEEP_SETTLED, dead ones after KEEP_DEAD:
the outbox stays small, and staff have weeks to look into what failed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import String, and_, cast, delete, func, literal, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import dialect_insert
from storage.models import (
    Booking,
    Program,
    Reminder,
    ReminderOptOut,
    Session,
    User,
    UTCDateTime,
)

reminders = Reminder.__table__
bookings = Booking.__table__
sessions = Session.__table__
programs = Program.__table__
users = User.__table__

# The programme's clock. Callers that know the TZ setting pass it; storage code that
# confirms a booking deep inside a transaction uses this.
CITY_TZ = ZoneInfo("Asia/Seoul")
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 6
QUIET_START, QUIET_END = time(21, 0), time(8, 0)

# kind -> (local time of day, days before the session) for reminders at a clock time.
AT_CLOCK = {
    "student_day_before": (time(18, 0), 1),
    "site_roster_day_before": (time(17, 0), 1),
    "site_roster_morning": (time(8, 0), 0),
}
ONLINE_BEFORE = timedelta(hours=2)
EXPIRY_WARNING = timedelta(hours=12)  # teachers hear this long before a request expires
SITE_CHANGE_WITHIN = timedelta(hours=24)  # changes closer to the session go to the site at once
SURVEY_AFTER = timedelta(hours=2)  # after the session ends
TEACHER_DIGEST_AT = time(8, 30)  # each school day
STAFF_DIGEST_AT = time(9, 0)  # every day
DEAD_WINDOW = timedelta(hours=24)  # what the staff digest covers
KEEP_SETTLED = timedelta(days=30)
KEEP_DEAD = timedelta(days=90)

# Public holidays in Korea (관공서의 공휴일: the lunar ones, substitute days and election days
# included), when schools are closed and no teacher digest goes out: the maintained calendar
# of the `holidays` package, which works each year out the first time a day of it is asked
# about (then `day in HOLIDAYS` is a dictionary lookup). Ask it about days; do not list it.
HOLIDAYS = holidays.country_holidays("KR")


@dataclass(frozen=True)
class Planned:
    kind: str
    user_id: int
    due_at: datetime
    key: str


# ----- when -----------------------------------------------------------------------------------


def at_clock(kind: str, starts_at: datetime, tz: tzinfo) -> datetime:
    """The moment of a clock-time reminder for a session, e.g. 18:00 the day before."""
    at, days_before = AT_CLOCK[kind]
    day = starts_at.astimezone(tz).date() - timedelta(days=days_before)
    return datetime.combine(day, at, tzinfo=tz)


def out_of_quiet_hours(moment: datetime, starts_at: datetime, tz: tzinfo) -> datetime:
    """A student reminder never lands between 21:00 and 08:00: it waits until 08:00, or,
    when 08:00 would be too late for the session, comes at 20:30 the evening before."""
    morning = after_quiet_hours(moment, tz)
    if morning == moment or morning <= starts_at - timedelta(minutes=30):
        return morning
    evening = datetime.combine(morning.date() - timedelta(days=1), time(20, 30), tzinfo=tz)
    return evening


def after_quiet_hours(moment: datetime, tz: tzinfo) -> datetime:
    """The moment itself outside 21:00-08:00, else the next 08:00 (for what is not tied to
    a session's start, like the survey)."""
    local = moment.astimezone(tz)
    if QUIET_END <= local.time() < QUIET_START:
        return moment
    morning_day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(morning_day, QUIET_END, tzinfo=tz)


def school_day(day: date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


def next_at(at: time, now: datetime, tz: tzinfo, *, school_days: bool = False) -> datetime:
    """The first `at` o'clock after `now` in the city (on a school day if asked)."""
    day = now.astimezone(tz).date()
    while True:
        moment = datetime.combine(day, at, tzinfo=tz)
        if moment > now and (school_day(day) or not school_days):
            return moment
        day += timedelta(days=1)


def student_plan(booking_id: int, student_id: int, session: Row, tz: tzinfo) -> list[Planned]:
    """The reminders a student gets for a confirmed booking."""
    plans = [
        Planned(
            "student_day_before",
            student_id,
            at_clock("student_day_before", session.starts_at, tz),
            f"student_day_before:{booking_id}",
        )
    ]
    if session.online:
        due = out_of_quiet_hours(session.starts_at - ONLINE_BEFORE, session.starts_at, tz)
        plans.append(Planned("student_online", student_id, due, f"student_online:{booking_id}"))
    return plans


def site_plan(session_id: int, starts_at: datetime, site_users: list[int], tz) -> list[Planned]:
    return [
        Planned(kind, user_id, at_clock(kind, starts_at, tz), f"{kind}:{session_id}:{user_id}")
        for kind in ("site_roster_day_before", "site_roster_morning")
        for user_id in site_users
    ]


# ----- writing, in the caller's transaction ---------------------------------------------------


async def plan_booking(
    conn: AsyncConnection, booking_id: int, *, now: datetime, tz: tzinfo = CITY_TZ
) -> None:
    """Write the reminders of a booking just confirmed (student and site); idempotent."""
    row = (
        await conn.execute(
            select(
                bookings.c.id,
                bookings.c.student_id,
                bookings.c.session_id,
                sessions.c.starts_at,
                programs.c.online,
                programs.c.site_id,
            )
            .join(sessions, sessions.c.id == bookings.c.session_id)
            .join(programs, programs.c.id == sessions.c.program_id)
            .where(bookings.c.id == booking_id)
        )
    ).one()
    plans = []
    if row.student_id is not None:
        plans += student_plan(row.id, row.student_id, row, tz)
    site_users = await _site_users(conn, row.site_id)
    plans += site_plan(row.session_id, row.starts_at, site_users, tz)
    await write(conn, plans, now, booking_id=row.id, session_id=row.session_id)


async def plan_request(
    conn: AsyncConnection, booking_id: int, *, expires_at: datetime, now: datetime
) -> None:
    """A request now waits for a teacher: each who may decide it (the student's school, and
    their grade or all grades: the rule of bookings.teachers_of) is asked at once
    (teacher_request), and reminded 12 hours before it expires (teacher_expiring; not at
    all when the hold is shorter, as they were just asked).

    One statement a kind: on the apply path the session's row stays locked until the commit.
    (PostgreSQL's apply writes the same rows inside its one statement: bookings._APPLY_AT_ONCE.)"""
    await conn.execute(_to_teachers(conn, "teacher_request", booking_id, now, now))
    due = expires_at - EXPIRY_WARNING
    if due >= now:
        await conn.execute(_to_teachers(conn, "teacher_expiring", booking_id, due, now))


def _to_teachers(conn, kind: str, booking_id: int, due: datetime, now: datetime):
    student, teacher = users.alias("student"), users.alias("teacher")
    covers = or_(
        teacher.c.grades.is_(None),
        teacher.c.grades == "",
        teacher.c.grades.contains(cast(student.c.grade, String)),
    )
    rows = (
        select(
            literal(kind),
            teacher.c.id,
            bookings.c.id,
            bookings.c.session_id,
            literal(due, UTCDateTime()),
            literal("pending"),
            literal(0),
            literal(f"{kind}:{booking_id}:") + cast(teacher.c.id, String),
            literal(now, UTCDateTime()),
        )
        .select_from(bookings)
        .join(student, student.c.id == bookings.c.student_id)
        .join(teacher, teacher.c.school_id == student.c.school_id)
        .where(
            bookings.c.id == booking_id,
            teacher.c.role == "teacher",
            teacher.c.active.is_(True),
            covers,
        )
    )
    columns = ["kind", "user_id", "booking_id", "session_id", "due_at", "status", "attempts"]
    stmt = dialect_insert(conn)(reminders).from_select([*columns, "key", "created_at"], rows)
    return stmt.on_conflict_do_nothing(index_elements=["key"])


async def drop_request(conn: AsyncConnection, booking_id: int) -> None:
    """The request was decided: nobody needs to hear of it, or that it is about to expire."""
    await conn.execute(
        delete(reminders).where(
            reminders.c.booking_id == booking_id,
            reminders.c.kind.in_(("teacher_request", "teacher_expiring")),
            reminders.c.status == "pending",
        )
    )


async def plan_site_change(
    conn: AsyncConnection, booking_id: int, change: str, *, now: datetime
) -> None:
    """A booking confirmed or cancelled (`change`) within 24 hours of its session: the
    site's people hear at once. A cancellation of a booking whose news the site has not
    yet had takes that news back instead: for the site nothing changed."""
    row = (
        await conn.execute(
            select(bookings.c.session_id, sessions.c.starts_at, programs.c.site_id)
            .join(sessions, sessions.c.id == bookings.c.session_id)
            .join(programs, programs.c.id == sessions.c.program_id)
            .where(bookings.c.id == booking_id)
        )
    ).one()
    if row.starts_at <= now:
        return
    if row.starts_at > now + SITE_CHANGE_WITHIN:
        if change == "cancelled":  # further ahead: the site still hears, in a plain notice
            plans = [
                Planned("site_cancelled", u, now, f"site_cancelled:{booking_id}:{u}")
                for u in await _site_users(conn, row.site_id)
            ]
            await write(conn, plans, now, booking_id=booking_id, session_id=row.session_id)
        return
    if change == "cancelled":
        unheard = await conn.execute(
            delete(reminders).where(
                reminders.c.key.like(f"site_change:{booking_id}:confirmed:%"),
                reminders.c.status == "pending",
            )
        )
        if unheard.rowcount:
            return
    plans = [
        Planned("site_change", u, now, f"site_change:{booking_id}:{change}:{u}")
        for u in await _site_users(conn, row.site_id)
    ]
    await write(conn, plans, now, booking_id=booking_id, session_id=row.session_id)


# ----- notices: news told at once --------------------------------------------------------------
# Written with the change, due at once; the handler that made the change wakes the sender
# after the commit (handlers/reminders.kick), so the news goes out in well under a second and
# is not lost if the process dies first. Each is composed again when sent, from the booking
# as it is then: news that no longer holds (an offer already taken) is skipped.


async def notice(
    conn: AsyncConnection,
    kind: str,
    user_id: int,
    key: str,
    *,
    now: datetime,
    booking_id: int | None = None,
    session_id: int | None = None,
    detail: str | None = None,
) -> None:
    about = {"booking_id": booking_id, "session_id": session_id, "detail": detail}
    await write(conn, [Planned(kind, user_id, now, key)], now, **about)


async def notice_student(
    conn: AsyncConnection, kind: str, booking_id: int, *, now: datetime, detail: str | None = None
) -> None:
    """A notice to the booking's student (none for an unnamed class seat); one per booking
    and kind."""
    row = (
        await conn.execute(
            select(bookings.c.student_id, bookings.c.session_id).where(bookings.c.id == booking_id)
        )
    ).first()
    if row is not None and row.student_id is not None:
        await notice(
            conn,
            kind,
            row.student_id,
            f"{kind}:{booking_id}",
            now=now,
            booking_id=booking_id,
            session_id=row.session_id,
            detail=detail,
        )


async def plan_survey(
    conn: AsyncConnection, booking_ids: list[int], *, now: datetime, tz: tzinfo = CITY_TZ
) -> None:
    """Students marked attended get the survey 2 hours after the session ends (at once when
    that has passed), never in quiet hours. Unnamed class seats have no one to ask."""
    if not booking_ids:
        return
    found = await conn.execute(
        select(bookings.c.id, bookings.c.student_id, bookings.c.session_id, sessions.c.ends_at)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .where(bookings.c.id.in_(booking_ids), bookings.c.student_id.is_not(None))
    )
    for row in found.all():
        due = after_quiet_hours(max(row.ends_at + SURVEY_AFTER, now), tz)
        plan = Planned("student_survey", row.student_id, due, f"student_survey:{row.id}")
        await write(conn, [plan], now, booking_id=row.id, session_id=row.session_id)


async def drop_survey(conn: AsyncConnection, booking_id: int) -> None:
    """Marked absent after all: no survey."""
    await conn.execute(
        delete(reminders).where(
            reminders.c.key == f"student_survey:{booking_id}", reminders.c.status == "pending"
        )
    )


async def plan_digests(conn: AsyncConnection, *, now: datetime, tz: tzinfo = CITY_TZ) -> None:
    """Each active teacher's next morning digest (08:30 on a school day) and each active
    staff member's next dead-letter digest (09:00) are in the outbox; writing them again
    keeps one (the key has the day), so the clock may call this as often as it likes."""
    next_one = {
        "teacher": ("teacher_digest", next_at(TEACHER_DIGEST_AT, now, tz, school_days=True)),
        "staff": ("staff_dead", next_at(STAFF_DIGEST_AT, now, tz)),
    }
    people = await conn.execute(
        select(users.c.id, users.c.role).where(
            users.c.active.is_(True), users.c.role.in_(list(next_one))
        )
    )
    plans = []
    for person in people.all():
        kind, at = next_one[person.role]
        plans.append(Planned(kind, person.id, at, f"{kind}:{person.id}:{at.date().isoformat()}"))
    await write(conn, plans, now)


async def _site_users(conn: AsyncConnection, site_id: int) -> list[int]:
    found = await conn.execute(
        select(users.c.id).where(users.c.role == "site", users.c.site_id == site_id)
    )
    return list(found.scalars())


async def write(conn, plans: list[Planned], now: datetime, **about) -> None:
    """Put `plans` in the outbox (keeping one row per key); `about` names the objects they
    concern: booking_id, session_id, detail (and columns other areas add)."""
    # A moment already past is never written: "the day before" a session tomorrow morning,
    # booked tonight, is simply not sent. `now` itself means "at once".
    rows = [
        {
            "kind": p.kind,
            "user_id": p.user_id,
            "due_at": p.due_at,
            "key": p.key,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            **about,
            # Site rosters are about the session, not one booking: they outlive a cancel.
            "booking_id": None if p.kind.startswith("site_roster") else about.get("booking_id"),
        }
        for p in plans
        if p.due_at >= now
    ]
    if rows:
        stmt = dialect_insert(conn)(reminders).on_conflict_do_nothing(index_elements=["key"])
        await conn.execute(stmt, rows)


async def drop_booking(conn: AsyncConnection, booking_id: int) -> None:
    """The booking is over: its reminders not yet sent go. A site's news of a change (a
    cancellation, say) stays: it is about what just happened."""
    await conn.execute(
        delete(reminders).where(
            reminders.c.booking_id == booking_id,
            reminders.c.status == "pending",
            reminders.c.kind.not_in(("site_change", "site_cancelled")),
        )
    )


async def drop_session(conn: AsyncConnection, session_id: int) -> None:
    await conn.execute(
        delete(reminders).where(
            reminders.c.session_id == session_id, reminders.c.status == "pending"
        )
    )


# ----- sending --------------------------------------------------------------------------------


async def claim_due(conn: AsyncConnection, *, now: datetime, limit: int = 50) -> list[Row]:
    """Take up to `limit` due rows (and rows whose lease ran out) for this process."""
    due = or_(
        and_(reminders.c.status == "pending", reminders.c.due_at <= now),
        and_(reminders.c.status == "sending", reminders.c.lease_until <= now),
    )
    pick = select(reminders.c.id).where(due).order_by(reminders.c.due_at).limit(limit)
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list((await conn.execute(pick)).scalars())
    if not ids:
        return []
    claimed = await conn.execute(
        update(reminders)
        .where(reminders.c.id.in_(ids), due)
        .values(status="sending", lease_until=now + LEASE, attempts=reminders.c.attempts + 1)
        .returning(*reminders.c)
    )
    return sorted(claimed.all(), key=lambda r: r.due_at)


async def mark(
    conn: AsyncConnection, reminder_id: int, status: str, *, now: datetime, error: str | None = None
) -> None:
    """sent | skipped (its moment passed, or it no longer applies) | dead (never sendable).
    `sent_at` is when the row was settled, whatever the status; `error` says why it died."""
    values = {"status": status, "sent_at": now, "lease_until": None}
    if error is not None:
        values["last_error"] = error[:200]
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == reminder_id, reminders.c.status == "sending")
        .values(**values)
    )


async def retry_later(
    conn: AsyncConnection, row: Row, error: str, *, now: datetime, wait: float | None = None
) -> str:
    """Back to pending after a wait (Telegram's retry_after, or backoff with jitter); dead
    after MAX_ATTEMPTS. Returns the new status."""
    if row.attempts >= MAX_ATTEMPTS:
        status, due, settled = "dead", row.due_at, now
    else:
        backoff = wait if wait is not None else min(3600, 5 * 2**row.attempts)
        status, due = "pending", now + timedelta(seconds=backoff * random.uniform(1.0, 1.3))
        settled = None
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == row.id, reminders.c.status == "sending")
        .values(
            status=status, due_at=due, lease_until=None, last_error=error[:200], sent_at=settled
        )
    )
    return status


def _died_since(since: datetime):
    # sent_at is when a row was settled; rows that died before it was kept have only due_at.
    # A broadcast's undelivered copies are in its own report (and would swamp this one).
    settled = func.coalesce(reminders.c.sent_at, reminders.c.due_at)
    return and_(reminders.c.status == "dead", settled >= since, reminders.c.kind != "broadcast")


async def dead_since(conn: AsyncConnection, since: datetime) -> list[Row]:
    """Reminders that died since `since`."""
    found = await conn.execute(select(reminders).where(_died_since(since)))
    return list(found.all())


@dataclass(frozen=True)
class DeadLetters:
    """What the staff digest shows: counts only, never whom a reminder was for."""

    total: int
    kinds: list[Row]  # (kind, total), most first
    errors: list[Row]  # (error, total), the latest first


async def dead_letters(conn: AsyncConnection, since: datetime, *, errors: int = 5) -> DeadLetters:
    total = func.count().label("total")
    kinds = await conn.execute(
        select(reminders.c.kind, total)
        .where(_died_since(since))
        .group_by(reminders.c.kind)
        .order_by(total.desc(), reminders.c.kind)
    )
    error = func.coalesce(reminders.c.last_error, "?").label("error")
    last = await conn.execute(
        select(error, total)
        .where(_died_since(since))
        .group_by(error)
        .order_by(func.max(reminders.c.id).desc())
        .limit(errors)
    )
    kinds = list(kinds.all())
    return DeadLetters(sum(k.total for k in kinds), kinds, list(last.all()))


# ----- marking in groups (the dispatcher's group commit) ---------------------------------------


async def mark_many(
    conn: AsyncConnection, ids: list[int], status: str, *, now: datetime, error: str | None = None
) -> None:
    """`mark` for several rows settled the same way, in one statement."""
    values = {"status": status, "sent_at": now, "lease_until": None}
    if error is not None:
        values["last_error"] = error[:200]
    await conn.execute(
        update(reminders)
        .where(reminders.c.id.in_(ids), reminders.c.status == "sending")
        .values(**values)
    )


async def recipients(conn: AsyncConnection, user_ids: set[int]) -> dict[int, tuple[Row, set[str]]]:
    """user id -> (the user's row, the kinds they turned off), for a claimed batch: two reads
    for the whole batch instead of two for every reminder."""
    optouts = ReminderOptOut.__table__
    found = await conn.execute(select(users).where(users.c.id.in_(user_ids)))
    people = {user.id: (user, set()) for user in found.all()}
    off = await conn.execute(
        select(optouts.c.user_id, optouts.c.kind).where(optouts.c.user_id.in_(user_ids))
    )
    for user_id, kind in off.all():
        if user_id in people:
            people[user_id][1].add(kind)
    return people


async def forget_settled(conn: AsyncConnection, *, now: datetime) -> int:
    """Delete rows settled long ago; returns how many went. Their unique keys go too, which
    is safe: every occasion's moment is long past, and nothing writes a past moment."""
    gone = await conn.execute(
        delete(reminders).where(
            or_(
                and_(
                    reminders.c.status.in_(("sent", "skipped")),
                    reminders.c.sent_at < now - KEEP_SETTLED,
                ),
                and_(reminders.c.status == "dead", reminders.c.due_at < now - KEEP_DEAD),
            )
        )
    )
    return gone.rowcount


# ----- quiet hours at send time ---------------------------------------------------------------


def city_day(moment: datetime, tz: tzinfo = CITY_TZ) -> date:
    """The day in the city (Seoul) at `moment`: a date that holds "until" a day holds to
    that day's midnight in Seoul, not in UTC nine hours later."""
    return moment.astimezone(tz).date()


def in_quiet_hours(moment: datetime, tz: tzinfo) -> bool:
    local = moment.astimezone(tz).time()
    return not (QUIET_END <= local < QUIET_START)


def next_morning(moment: datetime, tz: tzinfo) -> datetime:
    """08:00 (the end of quiet hours) after `moment`."""
    local = moment.astimezone(tz)
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=tz)


async def postpone(conn: AsyncConnection, row: Row, due: datetime) -> None:
    """Back to pending for later, without counting the claim as a failed attempt."""
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == row.id, reminders.c.status == "sending")
        .values(status="pending", due_at=due, lease_until=None, attempts=reminders.c.attempts - 1)
    )


async def hold(conn: AsyncConnection, row: Row) -> None:
    """Set aside until its owner lets it go (a paused broadcast's copy claimed just before
    the pause): "held" rows are never claimed; resuming makes them pending again."""
    await conn.execute(
        update(reminders)
        .where(reminders.c.id == row.id, reminders.c.status == "sending")
        .values(status="held", lease_until=None, attempts=reminders.c.attempts - 1)
    )
