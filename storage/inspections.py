"""Site safety inspections by parent monitors (학부모 지원단): the checklist staff keep, an
inspection from assignment to result, what a result does to the site and who hears of it,
and the figures staff follow (handlers/inspections.py is the chat side).

assigned → in_progress → done (or cancelled). A site has one open inspection (assigned or
in progress) at a time: assigning and picking lock the site's row first (PostgreSQL; SQLite
has one writer), then look, so two at once cannot both open one. Only the inspection's
monitor fills it: every change checks the monitor and the status it expects, and a loser
gets NotFound or AlreadyHandled.

Starting copies each active checklist item's key and text into the inspection, so a later
change of the checklist leaves past inspections as they were.

A result (`finish`) sets the site's safety status (passed | needs_fix | failed), the day it
was checked and the day it holds until, in one transaction with its news in the outbox:
- inspection_result: the site's people, their result, at once;
- failed: inspection_failed_staff to every active staff member and
  inspection_failed_teacher to every teacher of students booked on the site's upcoming
  sessions (covering teachers and class-booking teachers, as bookings.teachers_to_tell),
  at once;
- needs_fix: inspection_recheck to the monitor and inspection_recheck_staff to staff,
  30 days later at 09:00;
- passed or needs_fix: inspection_expiry to the site's people and inspection_expiry_staff
  to staff, 30 days before it runs out, at 09:00.
The follow-ups are skipped when sent if the site has been inspected again since. A failed
or expired site takes no new bookings (bookings.bookable_site); bookings already made stay
as they are: staff decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, monitors, reminders
from storage import bookings as bookings_store
from storage import users as users_store
from storage.catalogue import DISTRICTS
from storage.db import dialect_insert
from storage.errors import AlreadyHandled, DomainError, NotFound
from storage.models import (
    ACTIVE_STATUSES,
    Booking,
    ChecklistItem,
    Inspection,
    InspectionItem,
    Program,
    Reminder,
    Role,
    Session,
    Site,
    User,
)
from storage.reminders import CITY_TZ, Planned, city_day

checklist = ChecklistItem.__table__
inspections = Inspection.__table__
items = InspectionItem.__table__
sites = Site.__table__
users = User.__table__
bookings = Booking.__table__
sessions = Session.__table__
programs = Program.__table__
outbox = Reminder.__table__

# The default checklist, from the national experience-site certification; their words are
# translated in handlers/inspections.py (ITEM_NAMES), by key. Migration 0013 seeds them.
DEFAULT_ITEMS = (
    "exits",
    "first_aid",
    "insurance",
    "hazards",
    "briefing",
    "rest_area",
    "supervisor",
    "as_described",
)
ITEM_RESULTS = ("pass", "fix", "fail")
RESULTS = ("passed", "needs_fix", "failed")
OPEN = ("assigned", "in_progress")
ITEM_TEXT_MAX = 200
NOTE_MAX = 500
RECHECK_AFTER = timedelta(days=30)  # needs_fix: look again this long after
EXPIRY_WARNING = timedelta(days=30)  # the site and staff hear this long before it runs out
FOLLOW_UP_AT = time(9, 0)  # follow-ups arrive at this hour of their day
DUE_SOON = timedelta(days=30)  # "expiring": within this many days, or already expired
FOLLOW_UPS = (
    "inspection_recheck",
    "inspection_recheck_staff",
    "inspection_expiry",
    "inspection_expiry_staff",
)


class Refused(DomainError):
    """The inspection cannot be opened or finished; `reason` names why (a message key):
    open (the site has an open inspection), empty (no active checklist item), unanswered
    (items left), not_due (not a site a monitor may pick)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def suggested(results: list[str | None]) -> str:
    """The overall result the answers suggest: any fail → failed, else any fix → needs
    fixing, else passed. The monitor decides."""
    if "fail" in results:
        return "failed"
    if "fix" in results:
        return "needs_fix"
    return "passed"


# ----- the checklist --------------------------------------------------------------------------


async def seed_checklist(conn: AsyncConnection) -> int:
    """Add the default items that are missing (after the others); returns how many. Safe to
    call any time: an item staff turned off stays off."""
    present = set(
        (await conn.execute(select(checklist.c.key).where(checklist.c.key.is_not(None))))
        .scalars()
        .all()
    )
    top = await conn.scalar(select(func.max(checklist.c.position))) or 0
    rows = []
    for key in DEFAULT_ITEMS:
        if key not in present:
            top += 1
            rows.append({"position": top, "key": key, "text": None, "active": True})
    if rows:
        stmt = dialect_insert(conn)(checklist).on_conflict_do_nothing(index_elements=["key"])
        await conn.execute(stmt, rows)
    return len(rows)


async def checklist_items(conn: AsyncConnection, *, active_only: bool = False) -> list[Row]:
    stmt = select(checklist).order_by(checklist.c.position, checklist.c.id)
    if active_only:
        stmt = stmt.where(checklist.c.active.is_(True))
    return list((await conn.execute(stmt)).all())


async def toggle_item(conn: AsyncConnection, item_id: int, actor: int, *, now: datetime) -> bool:
    """Turn an item on or off; returns whether it is now on. The last active item stays on
    (an inspection needs something to check): Refused("last_item")."""
    item = (await conn.execute(select(checklist).where(checklist.c.id == item_id))).first()
    if item is None:
        raise NotFound
    if item.active:
        left = await conn.scalar(
            select(func.count()).where(checklist.c.active.is_(True), checklist.c.id != item_id)
        )
        if not left:
            raise Refused("last_item")
    await conn.execute(
        update(checklist).where(checklist.c.id == item_id).values(active=not item.active)
    )
    await audit.record(
        conn, actor, "checklist.toggle", "checklist_item", item_id, now=now, active=not item.active
    )
    return not item.active


async def add_item(conn: AsyncConnection, text: str, actor: int, *, now: datetime) -> int:
    """A new item as staff typed it (shown as written in every language), last in order."""
    text = " ".join(text.split())
    if not 1 <= len(text) <= ITEM_TEXT_MAX:
        raise ValueError("an item is 1-200 characters")
    top = await conn.scalar(select(func.max(checklist.c.position))) or 0
    item_id = await conn.scalar(
        insert(checklist)
        .values(position=top + 1, key=None, text=text, active=True)
        .returning(checklist.c.id)
    )
    await audit.record(conn, actor, "checklist.add", "checklist_item", item_id, now=now)
    return item_id


# ----- opening an inspection ------------------------------------------------------------------


async def _lock_site(conn: AsyncConnection, site_id: int) -> Row | None:
    """The site, its row locked until the commit (PostgreSQL): opening an inspection looks
    for an open one only after this, so two openings of one site take turns. NO KEY UPDATE
    leaves rows that merely reference the site (programmes, bookings) free to be written."""
    stmt = select(sites).where(sites.c.id == site_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    return (await conn.execute(stmt)).first()


async def open_of_site(conn: AsyncConnection, site_id: int) -> Row | None:
    """The site's open inspection (assigned or in progress), with its monitor's name."""
    return (
        await conn.execute(
            VIEW.where(inspections.c.site_id == site_id, inspections.c.status.in_(OPEN))
        )
    ).first()


def due_for_inspection(site: Row, today: date) -> bool:
    """A site a monitor may pick: never checked, needing fixes, failed, or its check
    running out within DUE_SOON (or run out)."""
    if site.safety_checked_on is None or site.safety_status in ("needs_fix", "failed"):
        return True
    return site.safety_valid_until is not None and site.safety_valid_until <= today + DUE_SOON


def _due_condition(today: date):
    return or_(
        sites.c.safety_checked_on.is_(None),
        sites.c.safety_status.in_(("needs_fix", "failed")),
        and_(
            sites.c.safety_valid_until.is_not(None),
            sites.c.safety_valid_until <= today + DUE_SOON,
        ),
    )


async def _open(
    conn: AsyncConnection, site_id: int, monitor_id: int, assigned_by: int | None, now: datetime
) -> int:
    if await open_of_site(conn, site_id) is not None:
        raise Refused("open")
    inspection_id = await conn.scalar(
        insert(inspections)
        .values(
            site_id=site_id,
            monitor_id=monitor_id,
            assigned_by=assigned_by,
            assigned_at=now,
            status="assigned",
        )
        .returning(inspections.c.id)
    )
    return inspection_id


async def _monitor(conn: AsyncConnection, user_id: int) -> Row | None:
    """An active parent monitor's user row."""
    return (
        await conn.execute(
            select(users).where(
                users.c.id == user_id, users.c.role == Role.MONITOR, users.c.active.is_(True)
            )
        )
    ).first()


async def assign(
    conn: AsyncConnection, site_id: int, monitor_id: int, staff_id: int, *, now: datetime
) -> int:
    """Staff give a site to a monitor; the monitor hears at once (inspection_assigned)."""
    if await _lock_site(conn, site_id) is None or await _monitor(conn, monitor_id) is None:
        raise NotFound
    inspection_id = await _open(conn, site_id, monitor_id, staff_id, now)
    await audit.record(
        conn,
        staff_id,
        "inspection.assign",
        "inspection",
        inspection_id,
        site_id=site_id,
        monitor_id=monitor_id,
        now=now,
    )
    plan = Planned(
        "inspection_assigned", monitor_id, now, f"inspection_assigned:{inspection_id}:{monitor_id}"
    )
    await reminders.write(conn, [plan], now, inspection_id=inspection_id)
    return inspection_id


async def pick(conn: AsyncConnection, site_id: int, monitor_id: int, *, now: datetime) -> int:
    """A monitor takes a site of their own district that is due (never checked, to fix,
    failed, or running out) for themselves."""
    profile = await monitors.get(conn, monitor_id)
    if profile is None or await _monitor(conn, monitor_id) is None:
        raise NotFound
    site = await _lock_site(conn, site_id)
    if site is None or site.district != profile.district:
        raise NotFound
    if not due_for_inspection(site, city_day(now)):
        raise Refused("not_due")
    inspection_id = await _open(conn, site_id, monitor_id, None, now)
    await audit.record(
        conn,
        monitor_id,
        "inspection.pick",
        "inspection",
        inspection_id,
        site_id=site_id,
        now=now,
    )
    return inspection_id


async def cancel(conn: AsyncConnection, inspection_id: int, staff_id: int, *, now: datetime) -> Row:
    """Staff call off an open inspection (what was filled in is kept, unused); its monitor
    hears at once."""
    done = await conn.execute(
        update(inspections)
        .where(inspections.c.id == inspection_id, inspections.c.status.in_(OPEN))
        .values(status="cancelled", finished_at=now)
        .returning(inspections.c.monitor_id, inspections.c.site_id)
    )
    row = done.first()
    if row is None:
        if await get(conn, inspection_id) is None:
            raise NotFound
        raise AlreadyHandled
    await audit.record(conn, staff_id, "inspection.cancel", "inspection", inspection_id, now=now)
    # The news of the assignment, if it has not gone yet, goes no more.
    await conn.execute(
        delete(outbox).where(
            outbox.c.inspection_id == inspection_id,
            outbox.c.kind == "inspection_assigned",
            outbox.c.status == "pending",
        )
    )
    if row.monitor_id is not None:
        key = f"inspection_cancelled:{inspection_id}:{row.monitor_id}"
        plan = Planned("inspection_cancelled", row.monitor_id, now, key)
        await reminders.write(conn, [plan], now, inspection_id=inspection_id)
    return row


# ----- filling it in --------------------------------------------------------------------------


async def get(conn: AsyncConnection, inspection_id: int) -> Row | None:
    return (
        await conn.execute(select(inspections).where(inspections.c.id == inspection_id))
    ).first()


async def mine(conn: AsyncConnection, inspection_id: int, monitor_id: int, statuses=OPEN) -> Row:
    """The inspection if it is this monitor's and in one of `statuses`; else NotFound (the
    same for another monitor's and for a missing one)."""
    found = await get(conn, inspection_id)
    if found is None or found.monitor_id != monitor_id or found.status not in statuses:
        raise NotFound
    return found


async def start(
    conn: AsyncConnection, inspection_id: int, monitor_id: int, *, now: datetime
) -> Row:
    """The monitor begins (assigned → in_progress, the active checklist copied in), or
    carries on with one already begun."""
    begun = await conn.execute(
        update(inspections)
        .where(
            inspections.c.id == inspection_id,
            inspections.c.monitor_id == monitor_id,
            inspections.c.status == "assigned",
        )
        .values(status="in_progress", started_at=now)
    )
    if begun.rowcount:
        active = await checklist_items(conn, active_only=True)
        if not active:
            raise Refused("empty")
        await conn.execute(
            insert(items),
            [
                {"inspection_id": inspection_id, "position": n, "key": i.key, "text": i.text}
                for n, i in enumerate(active, start=1)
            ],
        )
        await audit.record(
            conn, monitor_id, "inspection.start", "inspection", inspection_id, now=now
        )
    return await mine(conn, inspection_id, monitor_id, ("in_progress",))


async def inspection_items(conn: AsyncConnection, inspection_id: int) -> list[Row]:
    return list(
        (
            await conn.execute(
                select(items)
                .where(items.c.inspection_id == inspection_id)
                .order_by(items.c.position)
            )
        ).all()
    )


async def next_position(conn: AsyncConnection, inspection_id: int, after: int = 0) -> int | None:
    """The first unanswered item after `after`, else the first unanswered at all; None when
    every item has its answer."""
    unanswered = select(func.min(items.c.position)).where(
        items.c.inspection_id == inspection_id, items.c.result.is_(None)
    )
    later = await conn.scalar(unanswered.where(items.c.position > after))
    return later if later is not None else await conn.scalar(unanswered)


async def answer(
    conn: AsyncConnection, inspection_id: int, monitor_id: int, position: int, result: str
) -> int | None:
    """One item's answer (pass | fix | fail; again to change it); returns the item to go
    to next, or None when all are answered."""
    if result not in ITEM_RESULTS:
        raise NotFound
    await mine(conn, inspection_id, monitor_id, ("in_progress",))
    done = await conn.execute(
        update(items)
        .where(items.c.inspection_id == inspection_id, items.c.position == position)
        .values(result=result)
    )
    if not done.rowcount:
        raise NotFound
    return await next_position(conn, inspection_id, position)


async def attach(
    conn: AsyncConnection,
    inspection_id: int,
    monitor_id: int,
    position: int,
    *,
    note: str | None = None,
    photo: str | None = None,
) -> Row:
    """A note (≤ 500 characters) or a photo (its Telegram file_id, never the file) on one
    item; a second one of a kind replaces the first. Returns the item."""
    await mine(conn, inspection_id, monitor_id, ("in_progress",))
    values = {}
    if note is not None:
        values["note"] = " ".join(note.split())[:NOTE_MAX] or None
    if photo is not None:
        values["photo"] = photo
    where = and_(items.c.inspection_id == inspection_id, items.c.position == position)
    if values:
        await conn.execute(update(items).where(where).values(**values))
    found = (await conn.execute(select(items).where(where))).first()
    if found is None:
        raise NotFound
    return found


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
    dates, the audit entry, and everyone's news in the outbox (see the module's docstring)."""
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
    checked_on = city_day(now, tz)
    valid_until = checked_on + timedelta(days=valid_days)
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
        for teacher, _ in await bookings_store.teachers_to_tell(
            conn, await booked_at_site(conn, site_id, now)
        ):
            kind = "inspection_failed_teacher"
            at_once.append(Planned(kind, teacher.id, now, key(kind, teacher.id)))
    await reminders.write(conn, at_once, now, inspection_id=inspection_id)
    later = []
    if result == "needs_fix":
        due = datetime.combine(checked_on + RECHECK_AFTER, FOLLOW_UP_AT, tzinfo=tz)
        later.append(
            Planned("inspection_recheck", monitor_id, due, key("inspection_recheck", monitor_id))
        )
        later += [
            Planned("inspection_recheck_staff", u, due, key("inspection_recheck_staff", u))
            for u in staff
        ]
    if result in ("passed", "needs_fix"):
        due = datetime.combine(valid_until - EXPIRY_WARNING, FOLLOW_UP_AT, tzinfo=tz)
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
    stmt = bookings_store.PEOPLE.where(
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
            for teacher, found in await bookings_store.teachers_to_tell(conn, people)
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


# ----- views ----------------------------------------------------------------------------------

VIEW = (
    select(
        inspections,
        sites.c.name.label("site_name"),
        sites.c.district,
        sites.c.safety_status,
        sites.c.safety_valid_until.label("site_valid_until"),
        users.c.name.label("monitor_name"),
    )
    .join(sites, sites.c.id == inspections.c.site_id)
    .outerjoin(users, users.c.id == inspections.c.monitor_id)
)


async def view(conn: AsyncConnection, inspection_id: int) -> Row | None:
    return (await conn.execute(VIEW.where(inspections.c.id == inspection_id))).first()


async def for_viewer(conn: AsyncConnection, inspection_id: int, user: Row) -> Row:
    """The inspection for someone who may see it: staff any, a monitor their own, a site's
    people their own site's; else NotFound (the same answer for every other case)."""
    found = await view(conn, inspection_id)
    if found is None or user is None:
        raise NotFound
    if user.role == Role.STAFF:
        return found
    if user.role == Role.MONITOR and found.monitor_id == user.id:
        return found
    if user.role == Role.SITE and user.site_id is not None and found.site_id == user.site_id:
        return found
    raise NotFound


def _counts():
    """(answered, total) items of the inspection in the row, as scalar subqueries."""
    answered = (
        select(func.count())
        .where(items.c.inspection_id == inspections.c.id, items.c.result.is_not(None))
        .scalar_subquery()
    )
    total = select(func.count()).where(items.c.inspection_id == inspections.c.id).scalar_subquery()
    return answered.label("answered"), total.label("total")


async def monitor_desk(conn: AsyncConnection, monitor_id: int, *, recent: int = 5):
    """A monitor's open inspections (in progress first) and their last done ones."""
    open_ones = await conn.execute(
        VIEW.add_columns(*_counts())
        .where(inspections.c.monitor_id == monitor_id, inspections.c.status.in_(OPEN))
        .order_by(
            case((inspections.c.status == "in_progress", 0), else_=1),
            inspections.c.started_at.desc(),
            inspections.c.assigned_at,
            inspections.c.id,
        )
    )
    done = await conn.execute(
        VIEW.where(inspections.c.monitor_id == monitor_id, inspections.c.status == "done")
        .order_by(inspections.c.finished_at.desc(), inspections.c.id.desc())
        .limit(recent)
    )
    return list(open_ones.all()), list(done.all())


# An open inspection per site, for the lists (at most one, see _open).
_OPEN_NOW = (
    select(
        inspections.c.site_id,
        inspections.c.id.label("open_id"),
        users.c.name.label("open_monitor"),
    )
    .outerjoin(users, users.c.id == inspections.c.monitor_id)
    .where(inspections.c.status.in_(OPEN))
    .subquery()
)
SITE_LINE = select(
    sites.c.id,
    sites.c.name,
    sites.c.district,
    sites.c.safety_status,
    sites.c.safety_checked_on,
    sites.c.safety_valid_until,
    _OPEN_NOW.c.open_id,
    _OPEN_NOW.c.open_monitor,
).select_from(sites.outerjoin(_OPEN_NOW, _OPEN_NOW.c.site_id == sites.c.id))


async def _paged(conn: AsyncConnection, where, order, offset: int, limit: int):
    total = await conn.scalar(
        select(func.count())
        .select_from(sites.outerjoin(_OPEN_NOW, _OPEN_NOW.c.site_id == sites.c.id))
        .where(*where)
    )
    rows = await conn.execute(SITE_LINE.where(*where).order_by(*order).offset(offset).limit(limit))
    return list(rows.all()), total


async def to_pick(
    conn: AsyncConnection, district: str, today: date, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """The district's sites a monitor may pick (due, none open), never checked first, then
    failed, to fix, and running out soonest."""
    where = [sites.c.district == district, _due_condition(today), _OPEN_NOW.c.open_id.is_(None)]
    rank = case(
        (sites.c.safety_checked_on.is_(None), 0),
        (sites.c.safety_status == "failed", 1),
        (sites.c.safety_status == "needs_fix", 2),
        else_=3,
    )
    order = [rank, sites.c.safety_valid_until, sites.c.name, sites.c.id]
    return await _paged(conn, where, order, offset, limit)


async def never_inspected(
    conn: AsyncConnection, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Sites never checked, by district and name (with their open inspection, if any)."""
    where = [sites.c.safety_checked_on.is_(None)]
    return await _paged(conn, where, [sites.c.district, sites.c.name, sites.c.id], offset, limit)


async def expiring(
    conn: AsyncConnection, today: date, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Sites whose check runs out within DUE_SOON, or has run out, soonest first."""
    where = [
        sites.c.safety_status.in_(("passed", "needs_fix")),
        sites.c.safety_valid_until.is_not(None),
        sites.c.safety_valid_until <= today + DUE_SOON,
    ]
    order = [sites.c.safety_valid_until, sites.c.name, sites.c.id]
    return await _paged(conn, where, order, offset, limit)


async def open_list(
    conn: AsyncConnection, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Open inspections (assigned or in progress), oldest first."""
    where = inspections.c.status.in_(OPEN)
    total = await conn.scalar(select(func.count()).where(where))
    rows = await conn.execute(
        VIEW.add_columns(*_counts())
        .where(where)
        .order_by(inspections.c.assigned_at, inspections.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def recent(conn: AsyncConnection, *, limit: int = 10) -> list[Row]:
    """The last results, newest first."""
    rows = await conn.execute(
        VIEW.where(inspections.c.status == "done")
        .order_by(inspections.c.finished_at.desc(), inspections.c.id.desc())
        .limit(limit)
    )
    return list(rows.all())


@dataclass(frozen=True)
class DistrictProgress:
    district: str
    checked: int  # sites checked this year
    total: int  # sites


@dataclass(frozen=True)
class Progress:
    year: int
    districts: list[DistrictProgress]
    checked: int
    total: int
    never: int
    expiring: int
    open: int


async def progress(conn: AsyncConnection, today: date) -> Progress:
    """This calendar year's figures (the city's year, `today` being its day): sites checked
    this year (their last check's day, whether an inspection here or one recorded before)
    out of all sites, by district; sites never checked; running out; open inspections."""
    first, next_first = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    this_year = and_(sites.c.safety_checked_on >= first, sites.c.safety_checked_on < next_first)
    found = await conn.execute(
        select(
            sites.c.district,
            func.count().label("total"),
            func.sum(case((this_year, 1), else_=0)).label("checked"),
        ).group_by(sites.c.district)
    )
    by_district = {row.district: (int(row.checked or 0), row.total) for row in found.all()}
    order = [*DISTRICTS, *sorted(set(by_district) - set(DISTRICTS))]
    districts = [DistrictProgress(d, *by_district.get(d, (0, 0))) for d in order]
    never = await conn.scalar(select(func.count()).where(sites.c.safety_checked_on.is_(None)))
    _, soon = await expiring(conn, today, limit=0)
    open_now = await conn.scalar(select(func.count()).where(inspections.c.status.in_(OPEN)))
    return Progress(
        today.year,
        districts,
        sum(d.checked for d in districts),
        sum(d.total for d in districts),
        never,
        soon,
        open_now,
    )


async def monitors_for(conn: AsyncConnection, site_id: int) -> tuple[Row | None, list[Row]]:
    """The site, and the monitors who may inspect it: available ones of its district first
    (monitors.in_district), then those of the other districts."""
    site = (await conn.execute(select(sites).where(sites.c.id == site_id))).first()
    if site is None:
        return None, []
    found = list(await monitors.in_district(conn, site.district))
    for district in DISTRICTS:
        if district != site.district:
            found += await monitors.in_district(conn, district)
    return site, found


async def site_row(conn: AsyncConnection, site_id: int) -> Row | None:
    return (await conn.execute(select(sites).where(sites.c.id == site_id))).first()
