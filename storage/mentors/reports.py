"""Mentoring figures for city staff (/mentors) and the mid-term evaluation per mentor (XLSX).

A term is a school semester: March to August, September to February. The evaluation counts,
for each mentor, what happened in the term so far: requests offered to them, accepted,
declined, left unanswered, meetings held and their minutes, and the requesters' ratings.
No student appears in it: only mentors, who are evaluated, and counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.mentors.choosing import FieldCount
from storage.mentors.common import CITY_TZ, ON_JINRO
from storage.spreadsheet import xlsx_file
from storage.tables import mentor_fields, mentors
from storage.tables import mentor_meetings as meetings
from storage.tables import mentor_offers as offers
from storage.tables import mentor_requests as requests

KINDS = {"professional": "직업인", "university": "대학생"}
FIELDS_SHOWN = 12  # the fields with most mentors, in /mentors
HEADERS = (
    "이름",
    "구분",
    "분야",
    "소속",
    "직함·전공",
    "받은 요청",
    "수락",
    "거절",
    "무응답",
    "진행",
    "진행 시간(분)",
    "평균 평점",
    "평점 수",
    "평균 응답(시간)",
)


def term_start(today: date) -> date:
    """The first day of the semester `today` is in (1 March or 1 September)."""
    if 3 <= today.month <= 8:
        return date(today.year, 3, 1)
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def _term(now: datetime, tz: tzinfo) -> tuple[date, datetime]:
    """The term's first day, and its first moment (midnight in the city)."""
    since = term_start(now.astimezone(tz).date())
    return since, datetime.combine(since, time(0), tzinfo=tz)


@dataclass
class Figures:
    since: date
    pool: dict[str, int] = field(default_factory=dict)  # kind -> profiles
    joined: dict[str, int] = field(default_factory=dict)  # kind -> on Jinro
    paused: int = 0
    fields: list[FieldCount] = field(default_factory=list)  # mentors per field, most first
    by_status: dict[str, int] = field(default_factory=dict)  # open requests by status
    priority: int = 0  # open requests marked priority
    held: int = 0  # meetings held this term
    not_held: int = 0
    minutes: int = 0
    ratings: int = 0
    average: float | None = None


async def figures(conn: AsyncConnection, *, now: datetime, tz: tzinfo = CITY_TZ) -> Figures:
    since, start = _term(now, tz)
    found = Figures(since)
    rows = await conn.execute(
        select(
            mentors.c.kind,
            func.count(),
            func.sum(case((mentors.c.id.in_(ON_JINRO), 1), else_=0)),
            func.sum(case((mentors.c.paused.is_(True), 1), else_=0)),
        ).group_by(mentors.c.kind)
    )
    for kind, total, joined, paused in rows.all():
        found.pool[kind] = total
        found.joined[kind] = int(joined or 0)
        found.paused += int(paused or 0)
    counts: dict[str, int] = {}
    for (name,) in (await conn.execute(select(mentors.c.field))).all():
        counts[name] = counts.get(name, 0) + 1
    extra = await conn.execute(
        select(mentor_fields.c.field, func.count()).group_by(mentor_fields.c.field)
    )
    for name, count in extra.all():
        counts[name] = counts.get(name, 0) + count
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    found.fields = [FieldCount(name, count) for name, count in ranked[:FIELDS_SHOWN]]
    status = await conn.execute(
        select(requests.c.status, func.count())
        .where(requests.c.status.in_(("waiting", "offered", "accepted", "scheduled")))
        .group_by(requests.c.status)
    )
    found.by_status = dict(status.all())
    found.priority = await conn.scalar(
        select(func.count()).where(
            requests.c.priority.is_(True), requests.c.status.in_(("waiting", "offered"))
        )
    )
    term = meetings.c.starts_at >= start
    logged = await conn.execute(
        select(meetings.c.status, func.count(), func.coalesce(func.sum(meetings.c.minutes), 0))
        .where(term, meetings.c.status.in_(("held", "not_held")))
        .group_by(meetings.c.status)
    )
    for status_name, count, minutes in logged.all():
        if status_name == "held":
            found.held, found.minutes = count, int(minutes)
        else:
            found.not_held = count
    rated = await conn.execute(
        select(func.count(), func.avg(requests.c.rating)).where(
            requests.c.rating.is_not(None), requests.c.rated_at >= start
        )
    )
    found.ratings, average = rated.one()
    found.average = round(float(average), 2) if average is not None else None
    return found


@dataclass(frozen=True)
class Evaluation:
    content: bytes
    mentors: int
    since: date


@dataclass(frozen=True)
class Words:
    """The file's words in its reader's language: the sheet's name, the headers (in HEADERS'
    order), the kinds of mentor (KINDS' keys) and a field's name."""

    sheet: str = "멘토 중간평가"
    headers: tuple[str, ...] = HEADERS
    kinds: Mapping[str, str] = field(default_factory=lambda: KINDS)
    field_name: Callable[[str], str] = str


async def evaluation(
    conn: AsyncConnection, *, now: datetime, tz: tzinfo = CITY_TZ, words: Words | None = None
) -> Evaluation:
    """One row per mentor profile: this term's requests, accepted, held, rating."""
    words = words or Words()
    since, start = _term(now, tz)

    def outcome(name: str):
        return func.sum(case((offers.c.outcome == name, 1), else_=0))

    offered = await _by_mentor(
        conn,
        select(
            offers.c.mentor_id,
            func.count().label("received"),
            outcome("accepted").label("accepted"),
            outcome("declined").label("declined"),
            outcome("timeout").label("timeout"),
            func.avg(offers.c.seconds).label("seconds"),
        )
        .where(offers.c.offered_at >= start)
        .group_by(offers.c.mentor_id),
    )
    held = await _by_mentor(
        conn,
        select(
            meetings.c.mentor_id,
            func.count().label("held"),
            func.coalesce(func.sum(meetings.c.minutes), 0).label("minutes"),
        )
        .where(meetings.c.starts_at >= start, meetings.c.status == "held")
        .group_by(meetings.c.mentor_id),
    )
    rated = await _by_mentor(
        conn,
        select(
            meetings.c.mentor_id,
            func.count(requests.c.rating).label("ratings"),
            func.avg(requests.c.rating).label("average"),
        )
        .select_from(requests.join(meetings, meetings.c.id == requests.c.meeting_id))
        .where(and_(meetings.c.starts_at >= start, requests.c.rating.is_not(None)))
        .group_by(meetings.c.mentor_id),
    )
    profiles = await conn.execute(select(mentors).order_by(mentors.c.kind, mentors.c.name))
    rows = []
    for mentor in profiles.all():
        got, met, score = offered.get(mentor.id), held.get(mentor.id), rated.get(mentor.id)
        rows.append(
            [
                mentor.name,
                words.kinds.get(mentor.kind, mentor.kind),
                words.field_name(mentor.field),
                mentor.organization or "",
                mentor.title or "",
                got.received if got else 0,
                int(got.accepted or 0) if got else 0,
                int(got.declined or 0) if got else 0,
                int(got.timeout or 0) if got else 0,
                met.held if met else 0,
                int(met.minutes) if met else 0,
                round(float(score.average), 2) if score and score.average is not None else None,
                score.ratings if score else 0,
                round(float(got.seconds) / 3600, 1) if got and got.seconds is not None else None,
            ]
        )
    return Evaluation(xlsx_file(words.sheet, list(words.headers), rows), len(rows), since)


async def _by_mentor(conn: AsyncConnection, query) -> dict[int, Row]:
    """A query's rows (grouped by mentor_id) by mentor id."""
    return {row.mentor_id: row for row in (await conn.execute(query)).all()}
