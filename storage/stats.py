"""Figures for city staff: bookings by status, attendance and satisfaction.

Figures follow things as they are now: attendance and survey answers of a session the site
cancelled afterwards (marked, then called off) are not counted as having taken place.

Attended and no-show count people, as a city's figures need: only a named person's booking
can be marked (an unnamed class seat cannot, storage/bookings/attendance.py), so a class's
seats held without names are never counted as people who came."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import bookings, programs, schools, sessions, users
from storage.tables import survey_answers as surveys

# A booking with its session, and the condition that the session was not called off.
_TOOK_PLACE = bookings.join(sessions, sessions.c.id == bookings.c.session_id)
_NOT_CALLED_OFF = sessions.c.status != "cancelled"


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
        await conn.execute(
            select(func.coalesce(attended, 0), func.coalesce(absent, 0))
            .select_from(_TOOK_PLACE)
            .where(_NOT_CALLED_OFF)
        )
    ).one()
    found.answers, average = (
        await conn.execute(
            select(func.count(), func.avg(surveys.c.score))
            .select_from(surveys.join(_TOOK_PLACE, bookings.c.id == surveys.c.booking_id))
            .where(_NOT_CALLED_OFF)
        )
    ).one()
    found.average = round(float(average), 2) if average is not None else None
    per_program = await conn.execute(
        select(programs.c.title, func.count(), func.avg(surveys.c.score))
        .select_from(surveys)
        .join(bookings, bookings.c.id == surveys.c.booking_id)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(_NOT_CALLED_OFF)
        .group_by(programs.c.id, programs.c.title)
        .having(func.count() >= 3)
        .order_by(func.avg(surveys.c.score).desc(), programs.c.title)
        .limit(ranked)
    )
    found.ranked = [Ranked(t, n, round(float(a), 2)) for t, n, a in per_program.all()]
    return found


# ----- breakdowns -------------------------------------------------------------------------------

# What the figures are broken down by: the student's school and its district (where the
# regional gap shows), the programme, its field, and the month of the session (city time).
DIMENSIONS = ("school", "district", "program", "field", "month")


@dataclass
class Line:
    """One school's (district's, programme's, field's, month's) figures."""

    name: str
    applied: int = 0  # every booking, whatever became of it
    confirmed: int = 0
    attended: int = 0
    no_show: int = 0
    answers: int = 0
    score_sum: int = 0

    @property
    def average(self) -> float | None:
        return round(self.score_sum / self.answers, 2) if self.answers else None


async def breakdown(conn: AsyncConnection, by: str, *, tz: tzinfo) -> list[Line]:
    """The figures by one of DIMENSIONS, the most applied for first. Sessions are summed in
    SQL (the month is then the session's in `tz`, which both databases cannot compute alike)."""
    if by not in DIMENSIONS:
        raise ValueError(f"no breakdown by {by!r}")
    took_place = _NOT_CALLED_OFF
    counted = [
        func.count(bookings.c.id),
        func.sum(case((bookings.c.status == "confirmed", 1), else_=0)),
        func.sum(case((and_(took_place, bookings.c.attendance == "attended"), 1), else_=0)),
        func.sum(case((and_(took_place, bookings.c.attendance == "no_show"), 1), else_=0)),
        func.sum(case((and_(took_place, surveys.c.score.is_not(None)), 1), else_=0)),
        func.sum(case((took_place, surveys.c.score), else_=0)),
    ]
    key = {
        "school": (schools.c.id, schools.c.name),
        "district": (schools.c.district,),
        "program": (programs.c.id, programs.c.title),
        "field": (programs.c.field,),
        "month": (sessions.c.id, sessions.c.starts_at),
    }[by]
    source = (
        _TOOK_PLACE.join(programs, programs.c.id == sessions.c.program_id)
        .join(schools, schools.c.id == bookings.c.school_id)
        .outerjoin(surveys, surveys.c.booking_id == bookings.c.id)
    )
    rows = await conn.execute(select(*key, *counted).select_from(source).group_by(*key))
    lines: dict[str, Line] = {}
    for row in rows.all():
        name = _name_of(by, row, tz, len(key))
        line = lines.setdefault(name, Line(name))
        for attribute, value in zip(_SUMMED, row[len(key) :], strict=True):
            setattr(line, attribute, getattr(line, attribute) + int(value or 0))
    return sorted(lines.values(), key=lambda line: (-line.applied, line.name))


_SUMMED = ("applied", "confirmed", "attended", "no_show", "answers", "score_sum")


def _name_of(by: str, row, tz: tzinfo, key_width: int) -> str:
    """The line's name: the key's last column (a name, a district, a field, a start)."""
    value = row[key_width - 1]
    return value.astimezone(tz).strftime("%Y-%m") if by == "month" else str(value)
