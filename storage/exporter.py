"""Staff spreadsheet export: the current programmes as an XLSX file in the import's template.

One row per upcoming scheduled session; a programme without one is a single row with an
empty 운영일시. Importing the file again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.importer import KIND_NAMES, OFFLINE, ONLINE, SEOUL, TYPE_NAMES
from storage.spreadsheet import COLUMNS, write_xlsx
from storage.tables import programs, sessions, sites


@dataclass(frozen=True, slots=True)
class Export:
    content: bytes
    programs: int
    sessions: int


async def export_programs(conn: AsyncConnection, *, tz: ZoneInfo = SEOUL, now: datetime) -> Export:
    upcoming = and_(
        sessions.c.program_id == programs.c.id,
        sessions.c.status == "scheduled",
        sessions.c.starts_at > now,
    )
    query = (
        select(
            programs,
            sites.c.name.label("site_name"),
            sites.c.kind.label("site_kind"),
            sites.c.address.label("site_address"),
            sites.c.directions.label("site_directions"),
            sessions.c.starts_at,
            sessions.c.ends_at,
            sessions.c.capacity.label("session_capacity"),
            sessions.c.online_url,
        )
        .join(sites, sites.c.id == programs.c.site_id)
        .outerjoin(sessions, upcoming)
        .order_by(sites.c.name, programs.c.title, programs.c.id, sessions.c.starts_at)
    )
    rows = (await conn.execute(query)).all()
    cells = [[_cell(row, column.key, tz) for column in COLUMNS] for row in rows]
    return Export(
        content=write_xlsx(cells),
        programs=len({row.id for row in rows}),
        sessions=sum(1 for row in rows if row.starts_at is not None),
    )


def _cell(row, key: str, tz: ZoneInfo) -> object:
    match key:
        case "site":
            return row.site_name
        case "site_kind":
            return KIND_NAMES.get(row.site_kind, row.site_kind)
        case "type":
            return TYPE_NAMES.get(row.type, row.type)
        case "grades":
            return row.target_grades
        case "address":
            return row.site_address
        case "directions":
            return row.site_directions
        case "mode":
            return ONLINE if row.online else OFFLINE
        case "when":
            return when_text(row.starts_at, row.ends_at, tz) if row.starts_at else None
        case "session_capacity":
            # Blank when it is the programme's: editing 정원 then changes every session.
            capacity = row.session_capacity
            return capacity if capacity is not None and capacity != row.capacity else None
        case "fee":
            return row.fee or "무료"
        case _:
            return row._mapping[key]


def when_text(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> str:
    """ "2026-12-03 14:00~16:00", or with the end's date when it falls on another day."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}~{end_text}"
