"""The mediator's and staff's steps: escalating to staff, closing with an outcome, staff
assigning a monitor and a monitor taking a case nobody mediates."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, monitors
from storage.cases.common import (
    MEDIATOR_WAIT,
    NOTE_MAX,
    OUTCOMES,
    _add,
    _assigned_event,
    _clean,
    _tell,
)
from storage.cases.posting import _involved_staff
from storage.cases.reading import _lock, access, party_list
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.models import Role
from storage.tables import cases, sites, users
from storage.tables import monitors as monitor_rows
from storage.users import active_staff

# ----- the mediator's and staff's steps ------------------------------------------------------


async def _mediating(conn: AsyncConnection, case_id: int, user: Row) -> tuple[Row, str]:
    """The locked case if `user` mediates it (its monitor, or staff); else NotFound."""
    found = await _lock(conn, case_id)
    seen = await access(conn, found, user) if found is not None else None
    if seen not in ("mediator", "staff"):
        raise NotFound
    return found, seen


async def escalate(conn: AsyncConnection, case_id: int, user: Row, *, now: datetime) -> None:
    """The mediator hands the case to staff (escalation "mediator")."""
    found, seen = await _mediating(conn, case_id, user)
    if seen != "mediator":
        raise NotFound
    if found.status == "closed":
        raise Refused("closed")
    if not await _escalate(conn, found, "mediator", now, actor=user):
        raise AlreadyHandled


async def _escalate(conn, found: Row, why: str, now: datetime, *, actor: Row | None = None) -> bool:
    """open → escalated (a compare-and-swap on the status, and on the due step seen when the
    clock does it); staff are told. False when it was no longer open as seen."""
    where = [cases.c.id == found.id, cases.c.status == "open"]
    if actor is None:  # the clock: only the step it saw
        where += [cases.c.due_at == found.due_at, cases.c.due_step == found.due_step]
    swapped = await conn.execute(
        update(cases)
        .where(*where)
        .values(
            status="escalated",
            escalation=why,
            escalated_at=now,
            due_at=None,
            due_what=None,
            due_step=0,
        )
    )
    if swapped.rowcount != 1:
        return False
    role = "monitor" if actor is not None else None
    event = await _add(conn, found.id, now, "event", f"escalated:{why}", sender=actor, role=role)
    await _tell(conn, "case_escalated", found.id, event, await active_staff(conn), now)
    await audit.record(
        conn,
        actor.id if actor is not None else None,
        "case.escalate",
        "case",
        found.id,
        why=why,
        now=now,
    )
    return True


async def close(
    conn: AsyncConnection,
    case_id: int,
    user: Row,
    outcome: str,
    note: str | None = None,
    *,
    now: datetime,
) -> None:
    """The mediator (or staff) closes the case with an outcome and an optional note;
    everyone in it is told."""
    if outcome not in OUTCOMES:
        raise NotFound
    note = _clean(note)
    if note is not None and len(note) > NOTE_MAX:
        raise Refused("too_long")
    found, seen = await _mediating(conn, case_id, user)
    swapped = await conn.execute(
        update(cases)
        .where(cases.c.id == case_id, cases.c.status != "closed")
        .values(
            status="closed",
            outcome=outcome,
            closed_at=now,
            closed_by=user.id,
            due_at=None,
            due_what=None,
            due_step=0,
        )
    )
    if swapped.rowcount != 1:
        raise Refused("closed")
    role = "monitor" if seen == "mediator" else "staff"
    code = f"closed:{outcome}" + (f"\n{note}" if note else "")
    event = await _add(conn, case_id, now, "event", code, sender=user, role=role)
    people = [p.user_id for p in await party_list(conn, case_id)]
    watchers = [found.monitor_id, *await _involved_staff(conn, case_id)]
    told = [u for u in [*people, *watchers] if u and u != user.id]
    await _tell(conn, "case_closed", case_id, event, told, now)
    await audit.record(conn, user.id, "case.close", "case", case_id, outcome=outcome, now=now)


async def assign(
    conn: AsyncConnection,
    case_id: int,
    staff: Row,
    monitor_id: int,
    *,
    now: datetime,
    mediator_wait: timedelta = MEDIATOR_WAIT,
) -> None:
    """Staff give the case to a monitor (any district); the monitor is told. A case still
    waiting for its first mediator's word waits again from now."""
    if staff.role != Role.STAFF:
        raise NotFound
    found = await _lock(conn, case_id)
    if found is None:
        raise NotFound
    if found.status == "closed":
        raise Refused("closed")
    monitor = await _monitor(conn, monitor_id)
    if monitor is None:
        raise NotFound
    if found.monitor_id == monitor_id:
        raise AlreadyHandled
    await _give(conn, found, monitor_id, now, mediator_wait)
    await audit.record(conn, staff.id, "case.assign", "case", case_id, monitor=monitor_id, now=now)


async def take(
    conn: AsyncConnection,
    case_id: int,
    monitor_user: Row,
    *,
    now: datetime,
    mediator_wait: timedelta = MEDIATOR_WAIT,
) -> None:
    """A monitor of the site's district takes a case nobody mediates yet (from the reminder
    that it waits); the first to press gets it (a compare-and-swap on monitor_id)."""
    found = await _lock(conn, case_id)
    monitor = await _monitor(conn, monitor_user.id) if found is not None else None
    if monitor is None:
        raise NotFound
    district = await conn.scalar(select(sites.c.district).where(sites.c.id == found.site_id))
    if monitor.district != district:
        raise NotFound
    if found.status == "closed":
        raise Refused("closed")
    if found.monitor_id is not None:
        raise AlreadyHandled
    if not await _give(conn, found, monitor_user.id, now, mediator_wait, only_if_free=True):
        raise AlreadyHandled
    await audit.record(conn, monitor_user.id, "case.take", "case", case_id, now=now)


async def _monitor(conn: AsyncConnection, user_id: int) -> Row | None:
    """An active monitor with a district (their profile), or None."""
    return (
        await conn.execute(
            select(monitor_rows, users.c.name)
            .join(users, users.c.id == monitor_rows.c.user_id)
            .where(
                monitor_rows.c.user_id == user_id,
                users.c.role == Role.MONITOR,
                users.c.active.is_(True),
            )
        )
    ).first()


async def _give(conn, found: Row, monitor_id: int, now, wait, *, only_if_free=False) -> bool:
    values: dict = {"monitor_id": monitor_id, "assigned_at": now}
    if found.status == "open" and found.mediator_at is None:
        values.update(due_at=now + wait, due_what="mediator", due_step=0)
    where = [cases.c.id == found.id]
    if only_if_free:
        where.append(cases.c.monitor_id.is_(None))
    swapped = await conn.execute(update(cases).where(*where).values(**values))
    if swapped.rowcount != 1:
        return False
    await conn.execute(
        update(monitor_rows).where(monitor_rows.c.user_id == monitor_id).values(last_case_at=now)
    )
    event = await _assigned_event(conn, found.id, monitor_id, now)
    await _tell(conn, "case_assigned", found.id, event, [monitor_id], now)
    people = [p.user_id for p in await party_list(conn, found.id)]
    await _tell(conn, "case_mediator", found.id, event, people, now)
    return True


async def monitor_choices(conn: AsyncConnection, district: str | None) -> list[Row]:
    """Monitors staff may assign: the district's available ones, or (None) every active
    monitor with a district, paused ones too (marked), by district and name."""
    if district is not None:
        return await monitors.in_district(conn, district)
    found = await conn.execute(
        select(users.c.id, users.c.name, monitor_rows.c.district, monitor_rows.c.paused)
        .join(monitor_rows, monitor_rows.c.user_id == users.c.id)
        .where(users.c.role == Role.MONITOR, users.c.active.is_(True))
        .order_by(monitor_rows.c.district, users.c.name, users.c.id)
    )
    return list(found.all())
