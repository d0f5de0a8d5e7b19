"""A Sheet -> what it would change: the plan worked out from the database as it is now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.importer.common import HEADER, Counts, ImportRejected, Problem, Sheet, Summary, _same
from storage.importer.fields import settle as settle_fields
from storage.tables import programs, sessions, sites


@dataclass(slots=True)
class Plan:
    """What a Sheet would change, worked out from the database as it is now."""

    summary: Summary = field(default_factory=Summary)
    problems: list[Problem] = field(default_factory=list)
    new_sites: list[dict] = field(default_factory=list)
    site_updates: list[tuple[int, dict]] = field(default_factory=list)
    new_programs: list[dict] = field(default_factory=list)
    program_updates: list[tuple[int, dict]] = field(default_factory=list)
    # (programme key, its id when it exists already, row)
    new_sessions: list[tuple[str, int | None, dict]] = field(default_factory=list)
    session_updates: list[tuple[int, int, dict]] = field(default_factory=list)  # (id, prog, row)


async def preview(conn: AsyncConnection, sheet: Sheet, *, now: datetime) -> Summary:
    """What `apply` would do, without writing; raises ImportRejected like it."""
    plan = await _plan(conn, sheet, now)
    if plan.problems:
        raise ImportRejected(plan.problems)
    return plan.summary


async def _plan(conn: AsyncConnection, sheet: Sheet, now: datetime) -> Plan:
    plan = Plan()
    await _plan_sites(conn, sheet, plan)
    known = await _plan_programs(conn, sheet, plan)
    await _plan_sessions(conn, sheet, plan, known, now)
    return plan


async def _plan_sites(conn: AsyncConnection, sheet: Sheet, plan: Plan) -> None:
    rows = await _rows_where(conn, sites, sites.c.name, list(sheet.sites))
    existing = {row.name: row for row in rows}
    for name, record in sheet.sites.items():
        row = existing.get(name)
        if row is None:
            defaults = {"kind": "other", "address": None, "directions": None}
            plan.new_sites.append({**defaults, **record.fields, "name": name})
            plan.summary.sites.new += 1
        else:
            _plan_update(row, record.fields, plan.site_updates, plan.summary.sites)


async def _plan_programs(conn: AsyncConnection, sheet: Sheet, plan: Plan) -> dict[str, int]:
    """Returns the ids of the file's programmes that exist already, by key."""
    rows = await _rows_where(conn, programs, programs.c.external_key, list(sheet.programs))
    existing = {row.external_key: row for row in rows}
    spellings = {r.fields["field"] for r in sheet.programs.values() if r.fields.get("field")}
    as_known, plan.summary.fields_new = settle_fields(spellings, await _fields_in_use(conn))
    plan.summary.fields_as_known = as_known
    for key, record in sheet.programs.items():
        fields = {name: value for name, value in record.fields.items() if name != "site"}
        if fields.get("field") in as_known:
            fields["field"] = as_known[fields["field"]]
        row = existing.get(key)
        if row is None:
            plan.new_programs.append({**_program_defaults(fields), **fields, "external_key": key})
            plan.new_programs[-1]["site"] = record.fields["site"]
            plan.summary.programs.new += 1
        else:
            _plan_update(row, fields, plan.program_updates, plan.summary.programs)
    return {key: row.id for key, row in existing.items()}


async def _fields_in_use(conn: AsyncConnection) -> list[str]:
    """The programmes' fields, the most used first (a new spelling reads as the commoner)."""
    count = func.count()
    found = await conn.execute(
        select(programs.c.field).group_by(programs.c.field).order_by(count.desc(), programs.c.field)
    )
    return list(found.scalars())


def _program_defaults(fields: dict) -> dict:
    return {
        "description": "",
        "target_grades": "1,2,3",
        "school_level": "middle",
        "place": None,
        "directions": None,
        "online": fields["type"] == "online",
        "schedule_note": None,
        "hours": 2,
        "fee": 0,
        "bring": None,
        "notes": None,
    }


async def _plan_sessions(
    conn: AsyncConnection, sheet: Sheet, plan: Plan, known: dict[str, int], now: datetime
) -> None:
    rows = await _rows_where(conn, sessions, sessions.c.program_id, list(known.values()))
    existing = {(row.program_id, row.starts_at): row for row in rows}
    for (key, starts_at), record in sheet.sessions.items():
        program_id = known.get(key)
        row = existing.get((program_id, starts_at)) if program_id is not None else None
        if row is None:
            if starts_at <= now:
                # Likely a typo in the year; a past session can never be booked anyway.
                plan.problems.append(Problem(record.row, HEADER["when"], "in_past"))
                continue
            row = {**record.fields, "starts_at": starts_at}
            plan.new_sessions.append((key, program_id, row))
            plan.summary.sessions.new += 1
            continue
        if record.fields["capacity"] < row.booked:
            values = {"capacity": record.fields["capacity"], "booked": row.booked}
            column = "session_capacity" if "session_capacity" in sheet.columns else "capacity"
            plan.problems.append(Problem(record.row, HEADER[column], "below_booked", values))
            continue
        changed = _changed_fields(row, record.fields)
        if changed:
            plan.session_updates.append((row.id, row.program_id, changed))
            plan.summary.sessions.changed += 1
        else:
            plan.summary.sessions.unchanged += 1


def _plan_update(row, fields: dict, updates: list, counts: Counts) -> None:
    changed = _changed_fields(row, fields)
    if changed:
        updates.append((row.id, changed))
        counts.changed += 1
    else:
        counts.unchanged += 1


def _changed_fields(row, fields: dict) -> dict:
    return {name: value for name, value in fields.items() if not _same(row._mapping[name], value)}


async def _rows_where(conn: AsyncConnection, table, column, values: list) -> list:
    """Rows whose `column` is one of `values`, asked in chunks to stay under parameter limits."""
    found = []
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        found += (await conn.execute(select(table).where(column.in_(chunk)))).all()
    return found
