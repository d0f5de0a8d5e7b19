"""Filter choices and "for you" in storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from storage import discover
from storage.catalogue import DISTRICTS, FIELD_FAMILIES, NEIGHBOURS, related_fields
from storage.models import Program, Site, User, utcnow


async def _student(db, user_id: int = 7001) -> int:
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=user_id, role="student", grade=1))
    return user_id


async def test_fields_are_every_programme_field_sorted(demo):
    async with demo.read() as conn:
        fields = await discover.program_fields(conn)
        stored = set((await conn.execute(select(Program.field))).scalars())
    assert fields == sorted(stored) and "화훼" in fields


async def test_interest_counts_grow_and_rank(demo):
    user_id = await _student(demo)
    async with demo.write() as conn:
        for field in ("화훼", "방송영상", "방송영상", "환경", "방송영상", "화훼"):
            await discover.note_interest(conn, user_id, field)
    async with demo.read() as conn:
        assert await discover.top_interests(conn, user_id) == ["방송영상", "화훼", "환경"]
        assert await discover.top_interests(conn, user_id, limit=1) == ["방송영상"]
        assert await discover.top_interests(conn, 424242) == []


async def test_for_you_ranks_interests_then_district_and_keeps_grade(demo):
    async with demo.read() as conn:
        page = await discover.for_you(
            conn,
            grade=1,
            district="덕양구",
            fields=["방송영상"],
            limit=200,
            now=utcnow(),
        )
        rows = {
            p.id: p
            for p in (await conn.execute(select(Program))).all()
            if p.id in {h.program_id for h in page.hits}
        }
    assert page.total == len(page.hits) > 0
    programs = [rows[h.program_id] for h in page.hits]
    assert all("1" in p.target_grades for p in programs)
    assert all(p.district == "덕양구" or p.online or p.field == "방송영상" for p in programs)
    # Interest first, then the student's district, then the rest.
    ranks = [0 if p.field == "방송영상" else 1 if p.district == "덕양구" else 2 for p in programs]
    assert ranks == sorted(ranks) and ranks[0] == 0 and 2 in ranks


async def test_for_you_leaves_out_sites_that_failed_their_safety_check(demo):
    async with demo.write() as conn:
        await conn.execute(update(Site).values(safety_status="failed"))
    async with demo.read() as conn:
        page = await discover.for_you(conn, grade=2, district="덕양구", fields=[], now=utcnow())
    assert page.total == 0 and page.hits == []


def test_every_district_has_neighbours_and_families_are_symmetric():
    assert set(DISTRICTS) == {"덕양구", "일산동구", "일산서구"}
    for district, near in NEIGHBOURS.items():
        assert district not in near and set(near) == set(DISTRICTS) - {district}
    for family in FIELD_FAMILIES:
        for field in family:
            assert set(family) - {field} <= set(related_fields(field))
            for other in related_fields(field):
                assert field in related_fields(other)
    assert related_fields("없는 분야") == []
