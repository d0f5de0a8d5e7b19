"""The overall result: what the answers suggest, the monitor's result and what it does to
the site, in one transaction with its news in the outbox; who hears of a failure, and
whether a follow-up still has something to say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, reminders
from storage import bookings as bookings_store
from storage import sessions as sessions_store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.inspections.common import NOTE_MAX, OPEN
from storage.inspections.filling import mine
from storage.models import ACTIVE_STATUSES
from storage.reminders import CITY_TZ, Planned, city_day
from storage.tables import bookings, inspections, programs, sessions, sites
from storage.tables import inspection_items as items
from storage.tables import reminders as outbox

RESULTS = ("passed", "needs_fix", "failed")
RECHECK_AFTER = timedelta(days=30)  # needs_fix: look again this long after
EXPIRY_WARNING = timedelta(days=30)  # the site and staff hear this long before a pass runs out
RECHECK_WARNING = timedelta(days=7)  # ... and this long before a needs_fix result does
FOLLOW_UP_AT = time(9, 0)  # follow-ups arrive at this hour of their day
FOLLOW_UPS = (
    "inspection_recheck",
    "inspection_recheck_staff",
    "inspection_expiry",
    "inspection_expiry_staff",
)


@dataclass(frozen=True)
class ResultDates:
    """The days a result sets, by the one rule every screen shows: checked today (the
    city's day), valid until SAFETY_VALID_DAYS later; a result that needs fixing holds only
    until its re-inspection, RECHECK_AFTER later (the monitor and staff are reminded that
    day): one day, the same on the monitor's review, the site's news and the student's card,
    after which the site takes no new bookings until it is inspected again."""

    checked_on: date
    valid_until: date
    recheck_by: date | None


def result_dates(result: str, now: datetime, valid_days: int, tz: tzinfo = CITY_TZ) -> ResultDates:
    """What `finish` records for `result` given `now`, and the monitor sees before confirming."""
    checked_on = city_day(now, tz)
    if result == "needs_fix":
        recheck = recheck_by(checked_on)
        return ResultDates(checked_on, recheck, recheck)
    return ResultDates(checked_on, checked_on + timedelta(days=valid_days), None)


def recheck_by(checked_on: date) -> date:
    """The day a site that needed fixing is due to be inspected again."""
    return checked_on + RECHECK_AFTER


def suggested(results: list[str | None]) -> str:
    """The overall result the answers suggest: any fail → failed, else any fix → needs
    fixing, else passed. The monitor decides."""
    if "fail" in results:
        return "failed"
    if "fix" in results:
        return "needs_fix"
    return "passed"


@dataclass(frozen=True)
class Finished:
    inspection: Row
    told: int  # outbox rows written for it at once


async def finish(
    conn: AsyncConnection,
    inspection_id: int,
    monitor_id: int,
    result: str,
    note: str | None,
    now: datetime,
    valid_days: int,
    *,
    tz: tzinfo = CITY_TZ,
) -> Finished:
    """The monitor's result, in one transaction: the inspection done, the site's status and
    dates, the audit entry, and everyone's news in the outbox (see the package's docstring)."""
    if result not in RESULTS:
        raise NotFound
    found = await mine(conn, inspection_id, monitor_id, (*OPEN, "done", "cancelled"))
    if found.status != "in_progress":  # done by an earlier press, or called off
        raise AlreadyHandled
    left = await conn.scalar(
        select(func.count()).where(items.c.inspection_id == inspection_id, items.c.result.is_(None))
    )
    if left:
        raise Refused("unanswered")
    dates = result_dates(result, now, valid_days, tz)
    checked_on, valid_until = dates.checked_on, dates.valid_until
    note = " ".join((note or "").split())[:NOTE_MAX] or None
    done = await conn.execute(
        update(inspections)
        .where(
            inspections.c.id == inspection_id,
            inspections.c.monitor_id == monitor_id,
            inspections.c.status == "in_progress",
        )
        .values(
            status="done",
            result=result,
            note=note,
            finished_at=now,
            checked_on=checked_on,
            valid_until=valid_until,
        )
        .returning(*inspections.c)
    )
    inspection = done.first()
    if inspection is None:  # a second press of confirm, or staff cancelled it meanwhile
        raise AlreadyHandled
    site_id = inspection.site_id
    await conn.execute(
        update(sites)
        .where(sites.c.id == site_id)
        .values(safety_status=result, safety_checked_on=checked_on, safety_valid_until=valid_until)
    )
    await audit.record(
        conn,
        monitor_id,
        "inspection.finish",
        "inspection",
        inspection_id,
        result=result,
        now=now,
    )
    # Follow-ups of the site's earlier inspections say nothing any more.
    earlier = select(inspections.c.id).where(
        inspections.c.site_id == site_id, inspections.c.id != inspection_id
    )
    await conn.execute(
        delete(outbox).where(
            outbox.c.inspection_id.in_(earlier),
            outbox.c.kind.in_(FOLLOW_UPS),
            outbox.c.status == "pending",
        )
    )

    def key(kind: str, user_id: int) -> str:
        return f"{kind}:{inspection_id}:{user_id}"

    site_people = [p.id for p in await users_store.site_people(conn, site_id)]
    staff = await users_store.active_staff(conn)
    at_once = [
        Planned("inspection_result", u, now, key("inspection_result", u)) for u in site_people
    ]
    if result == "failed":
        at_once += [
            Planned("inspection_failed_staff", u, now, key("inspection_failed_staff", u))
            for u in staff
        ]
        for teacher, _ in await sessions_store.teachers_to_tell(
            conn, await booked_at_site(conn, site_id, now)
        ):
            kind = "inspection_failed_teacher"
            at_once.append(Planned(kind, teacher.id, now, key(kind, teacher.id)))
    await reminders.write(conn, at_once, now, inspection_id=inspection_id)
    later = []
    if dates.recheck_by is not None:
        due = datetime.combine(dates.recheck_by, FOLLOW_UP_AT, tzinfo=tz)
        later.append(
            Planned("inspection_recheck", monitor_id, due, key("inspection_recheck", monitor_id))
        )
        later += [
            Planned("inspection_recheck_staff", u, due, key("inspection_recheck_staff", u))
            for u in staff
        ]
    if result in ("passed", "needs_fix"):
        ahead = RECHECK_WARNING if result == "needs_fix" else EXPIRY_WARNING
        due = datetime.combine(valid_until - ahead, FOLLOW_UP_AT, tzinfo=tz)
        later += [
            Planned("inspection_expiry", u, due, key("inspection_expiry", u)) for u in site_people
        ]
        later += [
            Planned("inspection_expiry_staff", u, due, key("inspection_expiry_staff", u))
            for u in staff
        ]
    # The site's id rides along: the follow-ups' buttons open the site.
    await reminders.write(conn, later, now, inspection_id=inspection_id, detail=str(site_id))
    return Finished(inspection, len(at_once))


# ----- who hears ------------------------------------------------------------------------------


def _upcoming_at_site(site_id: int, now: datetime):
    return (
        select(sessions.c.id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(
            programs.c.site_id == site_id,
            sessions.c.status == "scheduled",
            sessions.c.starts_at > now,
        )
    )


async def booked_at_site(conn: AsyncConnection, site_id: int, now: datetime) -> list[Row]:
    """The active bookings (seats and places in line) on the site's upcoming sessions, as
    roster lines (bookings.PEOPLE): whose teachers hear when the site fails."""
    stmt = sessions_store.PEOPLE.where(
        bookings.c.session_id.in_(_upcoming_at_site(site_id, now)),
        bookings.c.status.in_(ACTIVE_STATUSES),
    )
    return list((await conn.execute(stmt)).all())


async def teacher_sessions(
    conn: AsyncConnection, site_id: int, teacher_id: int, now: datetime
) -> list[tuple[Row, int]]:
    """The site's upcoming sessions on which this teacher's students (their own bookings in
    the teacher's school and grades, or the teacher's class seats) are booked: (session
    view, how many), soonest first."""
    people = await booked_at_site(conn, site_id, now)
    theirs = next(
        (
            found
            for teacher, found in await sessions_store.teachers_to_tell(conn, people)
            if teacher.id == teacher_id
        ),
        [],
    )
    counts: dict[int, int] = {}
    for booking in theirs:
        counts[booking.session_id] = counts.get(booking.session_id, 0) + 1
    views = await bookings_store.session_views(conn, set(counts))
    ordered = sorted(views.values(), key=lambda s: (s.starts_at, s.id))
    return [(view, counts[view.id]) for view in ordered]


async def upcoming_bookings(conn: AsyncConnection, site_id: int, now: datetime) -> int:
    """How many active bookings the site's upcoming sessions hold (staff's failure notice)."""
    return await conn.scalar(
        select(func.count()).where(
            bookings.c.session_id.in_(_upcoming_at_site(site_id, now)),
            bookings.c.status.in_(ACTIVE_STATUSES),
        )
    )


async def superseded(conn: AsyncConnection, inspection: Row) -> bool:
    """The site has been inspected again (or an inspection is open) since this one, or its
    status no longer is this inspection's: a follow-up about it says nothing any more."""
    newer = await conn.scalar(
        select(func.count()).where(
            inspections.c.site_id == inspection.site_id,
            inspections.c.id > inspection.id,
            inspections.c.status != "cancelled",
        )
    )
    if newer:
        return True
    site = (await conn.execute(select(sites).where(sites.c.id == inspection.site_id))).first()
    return (
        site is None
        or site.safety_status != inspection.result
        or site.safety_valid_until != inspection.valid_until
    )
