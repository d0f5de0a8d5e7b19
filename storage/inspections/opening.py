"""Opening an inspection: staff assign a site to a monitor, a monitor picks a due site of
their district, staff cancel an open one. The site's row is locked before looking for an
open inspection, so a site has at most one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, monitors, reminders
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.inspections.common import OPEN, VIEW, due_for_inspection, get
from storage.models import Role
from storage.reminders import city_day
from storage.tables import inspections, sites, users
from storage.tables import reminders as outbox


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
    key = f"inspection_assigned:{inspection_id}:{monitor_id}"
    await reminders.notice(
        conn, "inspection_assigned", monitor_id, key, now=now, inspection_id=inspection_id
    )
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
        await reminders.notice(
            conn, "inspection_cancelled", row.monitor_id, key, now=now, inspection_id=inspection_id
        )
    return row
