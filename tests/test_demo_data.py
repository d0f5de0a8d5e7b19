"""Demo data: deterministic, shaped like Goyang's programme, and loadable twice without change."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from storage import demo_data
from storage.catalogue import DISTRICTS
from storage.db import Database
from storage.demo_data import (
    KST,
    PERSONA_MENTOR,
    PERSONA_SCHOOL,
    PERSONA_SITE,
    DemoCounts,
    generate,
    load_demo_data,
)
from storage.inspections.result import recheck_by
from storage.models import Mentor, Program, School, Session, Site, utcnow

TODAY = date(2026, 3, 4)  # a Wednesday
TYPES = {"job_practice", "field_job", "department", "talk", "field_trip", "camp", "online"}
SITE_KINDS = {"public", "company", "small_business", "university", "nonprofit"}


@pytest.fixture(scope="module")
def data() -> demo_data.DemoData:
    return generate(seed=2026, today=TODAY)


def test_same_seed_and_day_give_the_same_data() -> None:
    assert generate(7, today=TODAY) == generate(7, today=TODAY)


def test_another_seed_or_day_gives_other_data(data) -> None:
    other = generate(8, today=TODAY)
    assert other != data
    assert [s.starts_at for s in other.sessions] != [s.starts_at for s in data.sessions]
    later = generate(2026, today=TODAY + timedelta(days=7))
    assert min(s.starts_at for s in later.sessions).date() > TODAY + timedelta(days=7)


def test_the_sessions_fall_in_the_eight_weeks_after_the_day(data) -> None:
    starts = [s.starts_at.astimezone(KST).date() for s in data.sessions]
    assert TODAY < min(starts) and max(starts) <= TODAY + timedelta(days=56)


async def test_loading_without_data_takes_the_city_day_of_now(db) -> None:
    """Just after midnight in Seoul it is still the day before in UTC: the demo's sessions
    start after Seoul's day, never on it."""
    now = datetime(2026, 3, 3, 15, 30, tzinfo=UTC)  # 2026-03-04 00:30 in Seoul
    await demo_data.load_demo_data(db, now=now)
    async with db.read() as conn:
        first = await conn.scalar(select(func.min(Session.starts_at)))
    assert first.astimezone(KST).date() == TODAY + timedelta(days=1)


def test_schools(data) -> None:
    middle = [s for s in data.schools if s.kind == "middle"]
    alternative = [s for s in data.schools if s.kind == "alternative"]
    assert len(middle) >= 12 and len(alternative) == 1
    assert {s.district for s in middle} == set(DISTRICTS)
    assert all(s.name.endswith("중학교") and s.address.startswith("경기도 고양시") for s in middle)
    assert len({s.name for s in data.schools}) == len(data.schools)


def test_sites(data) -> None:
    sites = data.sites
    assert len(sites) >= 30 and len({s.name for s in sites}) == len(sites)
    assert {s.kind for s in sites} == SITE_KINDS
    assert {s.district for s in sites} == set(DISTRICTS)
    assert sum(s.kind == "small_business" for s in sites) >= 10
    assert all(s.address and re.search(r"역|버스", s.directions) for s in sites)
    status = Counter(s.safety_status for s in sites)
    assert status["failed"] == 1 and status["pending"] in (2, 3) and status["needs_fix"] == 1
    others = sum(status[s] for s in ("failed", "pending", "needs_fix"))
    assert status["passed"] == len(sites) - others
    for site in sites:
        if site.safety_status in ("passed", "needs_fix"):
            assert site.safety_checked_on <= TODAY < site.safety_valid_until
        if site.safety_status == "passed":
            assert site.safety_valid_until == site.safety_checked_on.replace(
                year=site.safety_checked_on.year + 1
            )
        elif site.safety_status == "needs_fix":  # it holds until its re-inspection
            assert site.safety_valid_until == recheck_by(site.safety_checked_on)
        elif site.safety_status == "failed":
            assert site.safety_checked_on <= TODAY and site.safety_valid_until is None
        else:
            assert site.safety_checked_on is None and site.safety_valid_until is None


def test_programs(data) -> None:
    programs, sites = data.programs, {s.name: s for s in data.sites}
    assert len(programs) >= 60
    assert len({p.external_key for p in programs}) == len(programs)
    fields = {p.field for p in programs}
    assert len(fields) >= 10 and {"K-바이오", "스마트시티", "화훼", "방송영상"} <= fields
    assert {p.type for p in programs} == TYPES
    assert set(sites) == {p.site_name for p in programs}, "every site offers something"
    for p in programs:
        site = sites[p.site_name]
        assert p.external_key == f"{p.site_name}|{p.title}"
        assert p.district == site.district
        assert p.target_grades in ("1,2,3", "2,3", "1,2")
        assert 2 <= p.hours <= 6 and 10 <= p.capacity <= 40
        assert p.fee == 0 or 3000 <= p.fee <= 10000
        assert p.bring and p.notes and p.schedule_note.startswith("매주 ")
        assert 2 <= p.description.count(".") + p.description.count("?") <= 4
        if p.online:
            assert p.place is None and p.directions is None and p.type in ("online", "talk")
        else:
            assert site.name in p.place and p.directions == site.directions
    assert sum(p.fee == 0 for p in programs) > len(programs) * 3 // 4
    assert sum(p.online for p in programs) >= 5


def test_titles_contain_the_words_students_type(data) -> None:
    def titles(field):
        return [p.title for p in data.programs if p.field == field]

    assert any("꽃" in t for t in titles("화훼"))
    assert any("방송" in t for t in titles("방송영상"))
    assert any("바이오" in t for t in titles("K-바이오"))
    assert any("로봇(Robot)" in p.title for p in data.programs)


def test_sessions(data) -> None:
    programs = {p.external_key: p for p in data.programs}
    assert 300 <= len(data.sessions) <= 700
    per_program = Counter(s.program_key for s in data.sessions)
    assert set(per_program) == set(programs)
    assert all(8 <= n <= 16 for n in per_program.values())
    assert len({(s.program_key, s.starts_at) for s in data.sessions}) == len(data.sessions)
    for s in data.sessions:
        program = programs[s.program_key]
        local = s.starts_at.astimezone(KST)
        assert s.starts_at.tzinfo is not None and s.starts_at.utcoffset() == timedelta(hours=9)
        assert TODAY < local.date() <= TODAY + timedelta(days=56)
        assert local.weekday() < 5 or (local.weekday() == 5 and program.type == "camp")
        assert time(9) <= local.time() and s.ends_at.astimezone(KST).time() <= time(18)
        assert timedelta(minutes=90) <= s.ends_at - s.starts_at <= timedelta(hours=4)
        assert s.capacity == program.capacity > 0
        deadline = datetime.combine(local.date() - timedelta(days=2), time(18), KST)
        assert s.cancel_deadline == deadline
        assert (s.online_url is not None) == program.online


def test_mentors(data) -> None:
    kinds = Counter(m.kind for m in data.mentors)
    assert len(data.mentors) >= 8 and kinds["professional"] >= 4 and kinds["university"] >= 4
    assert {m.online for m in data.mentors} == {True, False}
    assert all(m.organization and m.bio and m.field for m in data.mentors)
    assert len({(m.kind, m.name) for m in data.mentors}) == len(data.mentors)


def test_personas_exist(data) -> None:
    assert PERSONA_SCHOOL in {s.name for s in data.schools}
    site = next(s for s in data.sites if s.name == PERSONA_SITE)
    assert site.kind == "company" and site.safety_status == "passed"
    assert ("professional", PERSONA_MENTOR) in {(m.kind, m.name) for m in data.mentors}


# ---------------------------------------------------------------- loading


# `db` comes from conftest: migrated with Alembic, on SQLite and PostgreSQL.


async def _count(db: Database, model) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(model.__table__))).scalar()


async def test_load_twice_inserts_once(db, data) -> None:
    first = await load_demo_data(db, data, now=utcnow())
    expected = DemoCounts(
        schools=len(data.schools),
        sites=len(data.sites),
        programs=len(data.programs),
        sessions=len(data.sessions),
        mentors=len(data.mentors),
    )
    assert first == expected
    assert await load_demo_data(db, data, now=utcnow()) == DemoCounts()
    for model, n in [
        (School, expected.schools),
        (Site, expected.sites),
        (Program, expected.programs),
        (Session, expected.sessions),
        (Mentor, expected.mentors),
    ]:
        assert await _count(db, model) == n, model.__tablename__


async def test_loaded_rows_keep_their_values(db, data) -> None:
    await load_demo_data(db, data, now=utcnow())
    sessions, programs, sites = Session.__table__, Program.__table__, Site.__table__
    first = data.sessions[0]
    title = first.program_key.split("|", 1)[1]
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(sessions, programs.c.title, programs.c.district, sites.c.name)
                .join(programs, programs.c.id == sessions.c.program_id)
                .join(sites, sites.c.id == programs.c.site_id)
                .where(programs.c.external_key == first.program_key)
                .order_by(sessions.c.starts_at)
            )
        ).first()
    assert row.starts_at == first.starts_at and row.cancel_deadline == first.cancel_deadline
    assert row.booked == 0 and row.status == "scheduled" and row.title == title
    assert row.name == first.program_key.split("|", 1)[0]


async def test_a_later_day_adds_only_new_sessions(db, data) -> None:
    await load_demo_data(db, data, now=utcnow())
    later = generate(seed=2026, today=TODAY + timedelta(days=7))
    counts = await load_demo_data(db, later, now=utcnow())
    assert (counts.schools, counts.sites, counts.programs, counts.mentors) == (0, 0, 0, 0)
    old = {(s.program_key, s.starts_at) for s in data.sessions}
    assert counts.sessions == sum((s.program_key, s.starts_at) not in old for s in later.sessions)
    assert await _count(db, Session) == len(data.sessions) + counts.sessions
