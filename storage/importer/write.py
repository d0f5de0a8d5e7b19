"""Writing a plan: the upsert of sites, programmes and sessions in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.importer.common import HEADER, ImportRejected, Problem, Sheet, Summary
from storage.importer.plan import Plan, _plan, _rows_where
from storage.search import index_programs, refresh_next
from storage.tables import programs, sessions, sites

# Same lock number in every process: PostgreSQL imports run one at a time.
IMPORT_LOCK = 3_0301


async def apply(
    conn: AsyncConnection,
    sheet: Sheet,
    *,
    actor_id: int | None = None,
    now: datetime,
) -> Summary:
    """Upsert the sheet in the caller's (write) transaction; raises ImportRejected, and then
    the caller's transaction must roll back."""
    if conn.dialect.name == "postgresql":
        # Two imports at once would both plan the same new rows; one waits for the other.
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
    plan = await _plan(conn, sheet, now)
    if plan.problems:
        raise ImportRejected(plan.problems)
    await _write(conn, plan, now=now)
    counts = {
        f"{name}_{kind}": getattr(getattr(plan.summary, name), kind)
        for name in ("sites", "programs", "sessions")
        for kind in ("new", "changed", "unchanged")
    }
    await audit.record(conn, actor_id, "programs.import", "file", None, **counts, now=now)
    return plan.summary


async def _write(conn: AsyncConnection, plan: Plan, *, now: datetime) -> None:
    if plan.new_sites:
        await conn.execute(insert(sites), plan.new_sites)
    for site_id, values in plan.site_updates:
        await conn.execute(update(sites).where(sites.c.id == site_id).values(**values))
    site_ids = {
        row.name: row.id
        for row in await _rows_where(
            conn, sites, sites.c.name, sorted({p["site"] for p in plan.new_programs})
        )
    }
    if plan.new_programs:
        rows = [
            {**{k: v for k, v in p.items() if k != "site"}, "site_id": site_ids[p["site"]]}
            for p in plan.new_programs
        ]
        await conn.execute(insert(programs), rows)
    for program_id, values in plan.program_updates:
        await conn.execute(update(programs).where(programs.c.id == program_id).values(**values))
    new_keys = [p["external_key"] for p in plan.new_programs]
    program_ids = {
        row.external_key: row.id
        for row in await _rows_where(conn, programs, programs.c.external_key, new_keys)
    }
    await _write_sessions(conn, plan, program_ids)
    await index_programs(
        conn, sorted({*program_ids.values(), *(pid for pid, _ in plan.program_updates)})
    )
    moved = {program_id for _, program_id, _ in plan.session_updates}
    moved |= {program_id for _, program_id, _ in plan.new_sessions if program_id is not None}
    await refresh_next(conn, sorted(moved | set(program_ids.values())), now=now)


async def _write_sessions(conn: AsyncConnection, plan: Plan, new_program_ids: dict) -> None:
    if plan.new_sessions:
        defaults = {"booked": 0, "status": "scheduled", "online_url": None}
        rows = [
            {**defaults, **values, "program_id": program_id or new_program_ids[key]}
            for key, program_id, values in plan.new_sessions
        ]
        await conn.execute(insert(sessions), rows)
    for session_id, _, values in plan.session_updates:
        # Booked seats may have grown since the plan (PostgreSQL runs bookings alongside):
        # the condition keeps the no-overbooking rule, and a miss rejects the whole import.
        stmt = update(sessions).where(sessions.c.id == session_id).values(**values)
        if "capacity" in values:
            stmt = stmt.where(sessions.c.booked <= values["capacity"])
        if (await conn.execute(stmt)).rowcount != 1:
            raise ImportRejected([Problem(None, HEADER["capacity"], "booked_meanwhile")])
