"""What people see: one inspection (for whom may see it), a monitor's desk, staff's lists
of sites and inspections, the year's progress, and the monitors a site may go to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import monitors
from storage.catalogue import DISTRICTS
from storage.errors import NotFound
from storage.inspections.common import DUE_SOON, OPEN, VIEW, _due_condition
from storage.models import Role
from storage.tables import inspection_items as items
from storage.tables import inspections, sites, users


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


# An open inspection per site, for the lists (at most one, see opening._open).
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
