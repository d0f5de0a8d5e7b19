"""What the audience panel shows and picks from: schools, programmes, their sessions, and
an audience's ids in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.common import PARTICIPANTS
from storage.db import contains_pattern
from storage.models import Role
from storage.tables import bookings, programs, schools, sessions

if TYPE_CHECKING:  # audience.py reads programmes and sessions from here
    from storage.broadcasts.audience import Audience


async def schools_page(conn: AsyncConnection, offset: int, limit: int) -> tuple[list[Row], int]:
    total = await conn.scalar(select(func.count()).select_from(schools))
    rows = await conn.execute(
        select(schools.c.id, schools.c.name, schools.c.district)
        .order_by(schools.c.name, schools.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def find_programs(
    conn: AsyncConnection, author: Row, text: str = "", limit: int = 8
) -> list[Row]:
    """Programmes whose title contains `text` (spaces ignored); a site's own only."""
    stmt = select(programs.c.id, programs.c.title).order_by(programs.c.title, programs.c.id)
    if author.role == Role.SITE:
        stmt = stmt.where(programs.c.site_id == author.site_id)
    needle = "".join(text.split())
    if needle:
        title = func.replace(programs.c.title, " ", "")
        stmt = stmt.where(title.like(contains_pattern(needle), escape="\\"))
    return list((await conn.execute(stmt.limit(limit))).all())


async def program_for(conn: AsyncConnection, program_id: int, author: Row) -> Row | None:
    stmt = select(programs.c.id, programs.c.title, programs.c.site_id).where(
        programs.c.id == program_id
    )
    if author.role == Role.SITE:
        stmt = stmt.where(programs.c.site_id == author.site_id)
    return (await conn.execute(stmt)).first()


async def session_for(conn: AsyncConnection, session_id: int, author: Row) -> Row | None:
    stmt = (
        select(sessions.c.id, sessions.c.starts_at, sessions.c.program_id, programs.c.title)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(sessions.c.id == session_id)
    )
    if author.role == Role.SITE:
        stmt = stmt.where(programs.c.site_id == author.site_id)
    return (await conn.execute(stmt)).first()


async def program_sessions(
    conn: AsyncConnection, program_id: int, *, now: datetime, limit: int = 8
) -> list[Row]:
    """The programme's sessions from a week ago on, soonest first, with how many students
    each has booked (requested or confirmed)."""
    booked = (
        select(func.count())
        .where(bookings.c.session_id == sessions.c.id, bookings.c.status.in_(PARTICIPANTS))
        .scalar_subquery()
    )
    rows = await conn.execute(
        select(sessions.c.id, sessions.c.starts_at, booked.label("students"))
        .where(
            sessions.c.program_id == program_id,
            sessions.c.status == "scheduled",
            sessions.c.starts_at >= now - timedelta(days=7),
        )
        .order_by(sessions.c.starts_at, sessions.c.id)
        .limit(limit)
    )
    return list(rows.all())


@dataclass(frozen=True)
class Names:
    """What an audience's ids stand for, to show it in words: the first schools' names and
    how many more, the programme's title, the session (with starts_at)."""

    schools: list[str] = field(default_factory=list)
    more: int = 0
    program: str | None = None
    session: Row | None = None


async def names(conn: AsyncConnection, audience: Audience, author: Row, shown: int = 5) -> Names:
    found = []
    if audience.schools:
        rows = await conn.execute(
            select(schools.c.name).where(schools.c.id.in_(audience.schools)).order_by("name")
        )
        found = list(rows.scalars())
    session = await session_for(conn, audience.session, author) if audience.session else None
    program = await program_for(conn, audience.program, author) if audience.program else None
    title = session.title if session else program.title if program else None
    return Names(found[:shown], max(0, len(found) - shown), title, session)
