"""Figures for city staff: bookings by status, attendance and satisfaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import bookings, programs, sessions, users
from storage.tables import survey_answers as surveys


@dataclass
class Ranked:
    title: str
    answers: int
    average: float


@dataclass
class Figures:
    students: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    attended: int = 0
    no_show: int = 0
    answers: int = 0
    average: float | None = None
    # Best first; programmes with at least 3 answers.
    ranked: list[Ranked] = field(default_factory=list)


async def figures(conn: AsyncConnection, *, ranked: int = 5) -> Figures:
    found = Figures()
    found.students = await conn.scalar(
        select(func.count()).where(users.c.role == "student", users.c.active.is_(True))
    )
    rows = await conn.execute(select(bookings.c.status, func.count()).group_by(bookings.c.status))
    found.by_status = {status: count for status, count in rows.all()}
    attended = func.sum(case((bookings.c.attendance == "attended", 1), else_=0))
    absent = func.sum(case((bookings.c.attendance == "no_show", 1), else_=0))
    found.attended, found.no_show = (
        await conn.execute(select(func.coalesce(attended, 0), func.coalesce(absent, 0)))
    ).one()
    found.answers, average = (
        await conn.execute(select(func.count(), func.avg(surveys.c.score)))
    ).one()
    found.average = round(float(average), 2) if average is not None else None
    per_program = await conn.execute(
        select(programs.c.title, func.count(), func.avg(surveys.c.score))
        .select_from(surveys)
        .join(bookings, bookings.c.id == surveys.c.booking_id)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .group_by(programs.c.id, programs.c.title)
        .having(func.count() >= 3)
        .order_by(func.avg(surveys.c.score).desc(), programs.c.title)
        .limit(ranked)
    )
    found.ranked = [Ranked(t, n, round(float(a), 2)) for t, n, a in per_program.all()]
    return found
