"""Writing reminders and notices in the caller's transaction: a booking's, a request's, a
site's late changes, the survey, the daily digests; and dropping what no longer applies."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import String, cast, delete, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import dialect_insert
from storage.models import (
    UTCDateTime,
)
from storage.reminders.common import (
    CITY_TZ,
    STAFF_DIGEST_AT,
    SURVEY_AFTER,
    TEACHER_DIGEST_AT,
    Planned,
)
from storage.reminders.when import (
    after_quiet_hours,
    expiry_warning_at,
    late_for_site,
    next_at,
    site_plan,
    student_plan,
)
from storage.tables import bookings, programs, reminders, sessions, users

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
    (teacher_request), and reminded 12 hours before it expires, never at night
    (teacher_expiring, when.expiry_warning_at; not at all when that has passed, as they were
    just asked).

    One statement a kind: on the apply path the session's row stays locked until the commit.
    (PostgreSQL's apply writes the same rows inside its one statement: bookings._APPLY_AT_ONCE.)"""
    await conn.execute(_to_teachers(conn, "teacher_request", booking_id, now, now))
    due = expiry_warning_at(expires_at, now)
    if due is not None:
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
    """A booking confirmed or cancelled (`change`) within 24 hours of its session, or after
    its first roster went out (when.late_for_site): the site's people hear at once. A
    cancellation of a booking whose news the site has not yet had takes that news back
    instead: for the site nothing changed."""
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
    if not late_for_site(row.starts_at, now, CITY_TZ):
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
# after the commit (handlers/outbox kick), so the news goes out in well under a second and
# is not lost if the process dies first. Each is composed again when sent, from the booking
# as it is then: news that no longer holds (an offer already taken) is skipped.


async def notice(
    conn: AsyncConnection,
    kind: str,
    user_id: int,
    key: str,
    *,
    now: datetime,
    **about,
) -> None:
    """One notice to one person, due at once; `about` as for write (booking_id, detail...)."""
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


# News of a change to a booking, kept when the booking ends: it is about what just happened.
KEPT_NEWS = ("site_change", "site_cancelled", "teacher_student_cancelled")


async def drop_booking(conn: AsyncConnection, booking_id: int) -> None:
    """The booking is over: its reminders not yet sent go. A site's or a teacher's news of
    a change (a cancellation, say) stays: it is about what just happened."""
    await conn.execute(
        delete(reminders).where(
            reminders.c.booking_id == booking_id,
            reminders.c.status == "pending",
            reminders.c.kind.not_in(KEPT_NEWS),
        )
    )


async def drop_session(conn: AsyncConnection, session_id: int) -> None:
    await conn.execute(
        delete(reminders).where(
            reminders.c.session_id == session_id, reminders.c.status == "pending"
        )
    )
