"""Programme search in storage: the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import search
from storage.demo_data import KST, generate
from storage.models import utcnow
from storage.search import Filters, normalize, short_grams

# Queries a student types, and a fragment every hit's title or site or field must show.
QUERIES = [
    "꽃",
    "방송",
    "바이오",
    "K-바이오",
    "ＭＢＣ",
    "mbc",
    "코딩",
    "로봇",
    "robt",
    "꽃 체험",
    "소방",
    "제과",
    "스마트",
    "원",
    "이",
    "없는말입니다",
]


def test_normalising_and_short_pieces():
    assert normalize("  ＭＢＣ  방송  ") == "mbc 방송"
    assert short_grams("꽃다발") == {"꽃", "다", "발", "꽃다", "다발"}
    assert "k" in short_grams("K-바이오") and "바이" in short_grams("K-바이오")


def test_one_edit():
    assert search._one_edit("robt", "robot") and search._one_edit("robto", "robot")
    assert search._one_edit("rboot", "robot") and not search._one_edit("rbt", "robot")


async def ids_for(db, query, filters: Filters | None = None, **kw):
    async with db.read() as conn:
        kw.setdefault("now", utcnow())
        page = await search.search(conn, query, filters or Filters(), limit=100, **kw)
    return [hit.program_id for hit in page.hits], page


async def test_korean_from_one_syllable_inside_words(demo):
    data = generate(today=utcnow().astimezone(KST).date())
    titles = {p.title for p in data.programs}
    flowers, page = await ids_for(demo, "꽃")
    assert page.total == len(flowers) >= 2
    assert all("꽃" in h.title or "꽃" in h.site for h in page.hits)
    assert sum("꽃" in t for t in titles) <= page.total
    _, bio = await ids_for(demo, "바이오")
    assert bio.total >= 1 and any("바이오" in h.title for h in bio.hits)
    _, broadcast = await ids_for(demo, "방송")
    assert any("방송" in h.title for h in broadcast.hits)
    _, wide = await ids_for(demo, "ＭＢＣ")
    _, narrow = await ids_for(demo, "mbc")
    assert wide.total == narrow.total >= 1
    _, typo = await ids_for(demo, "robt")
    assert typo.total >= 1 and any("robot" in normalize(h.title) for h in typo.hits)
    _, nothing = await ids_for(demo, "없는말입니다")
    assert nothing.total == 0


async def test_filters_combine_and_titles_rank_first(demo):
    _, online = await ids_for(demo, "", Filters(online=True))
    assert online.total >= 5
    _, district = await ids_for(demo, "", Filters(district="덕양구", online=False))
    assert district.total >= 1 and all(h.district == "덕양구" for h in district.hits)
    everything = (await ids_for(demo, ""))[1]
    soon = everything.hits[0].next_start
    week = await ids_for(demo, "", Filters(start=soon, end=soon + timedelta(days=7)))
    assert 0 < week[1].total <= everything.total
    page_one = (await ids_for(demo, "체험"))[1]
    titles_first = [("체험" in h.title) for h in page_one.hits]
    assert titles_first == sorted(titles_first, reverse=True)


@pytest.mark.parametrize("query", QUERIES)
async def test_every_query_answers_with_matching_programmes(demo, query):
    ids, page = await ids_for(demo, query)
    assert page.total == len(ids)
    for term in normalize(query).split():
        for hit in page.hits:
            haystack = normalize(f"{hit.title} {hit.site}")
            assert term in haystack or query == "robt" or await _in_doc(demo, hit, term)


async def _in_doc(db, hit, term):
    from sqlalchemy import select

    from storage.models import ProgramSearch

    async with db.read() as conn:
        doc = (
            await conn.execute(
                select(ProgramSearch.__table__.c.doc).where(
                    ProgramSearch.__table__.c.program_id == hit.program_id
                )
            )
        ).scalar_one()
    return term in doc


@pytest.mark.postgres
async def test_sqlite_and_postgresql_give_the_same_answers(tmp_path):
    from storage.db import Database
    from storage.demo_data import load_demo_data
    from tests.conftest import POSTGRES_URL, postgres_database, sqlite_database

    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    answers = []
    for url in (await sqlite_database(tmp_path), await postgres_database()):
        db = Database(url)
        await load_demo_data(db, now=utcnow())
        per_query = []
        for query in QUERIES:
            _, page = await ids_for(db, query)
            per_query.append((query, page.total, [(h.title, h.next_start) for h in page.hits]))
        answers.append(per_query)
        await db.dispose()
    assert answers[0] == answers[1]


async def test_the_stored_next_session_follows_cancellations_and_time(demo):
    from sqlalchemy import select, update

    from storage.models import Program, ProgramGram, ProgramSearch, Session

    programs, sessions = Program.__table__, Session.__table__
    async with demo.write() as conn:
        program = (await conn.execute(select(programs).order_by(programs.c.id).limit(1))).one()
        dates = (
            await conn.execute(
                select(sessions.c.id, sessions.c.starts_at)
                .where(sessions.c.program_id == program.id)
                .order_by(sessions.c.starts_at)
            )
        ).all()
        assert program.next_start == dates[0].starts_at
        await conn.execute(
            update(sessions).where(sessions.c.id == dates[0].id).values(status="cancelled")
        )
        await search.refresh_next(conn, [program.id], now=utcnow())
        moved = (
            await conn.execute(select(programs.c.next_start).where(programs.c.id == program.id))
        ).scalar_one()
        assert moved == dates[1].starts_at
        # The clock: once that session has begun, the one after it is next.
        await search.refresh_started(conn, now=dates[1].starts_at)
        later = (
            await conn.execute(select(programs.c.next_start).where(programs.c.id == program.id))
        ).scalar_one()
        assert later == dates[2].starts_at
        # The search rows keep the same date, which a longer word's matches are ranked by.
        copies = await conn.execute(
            select(ProgramSearch.sort_start).where(ProgramSearch.program_id == program.id)
        )
        assert copies.scalar_one() == dates[2].starts_at
        grams = await conn.execute(
            select(ProgramGram.sort_start).where(ProgramGram.program_id == program.id)
        )
        assert set(grams.scalars()) == {dates[2].starts_at}


# ----- every query shape against a plain reading of the rules ---------------------------------


async def _reference(conn, query: str, f: Filters, now) -> list[tuple]:
    """What search must answer, computed in Python from the tables: every match with its
    (id, next start shown, seats shown), in order."""
    from sqlalchemy import select

    from storage.models import Program, SearchWord, Session, Site

    p, s, ss = Program.__table__, Site.__table__, Session.__table__
    rows = (await conn.execute(select(p, s.c.name.label("site")).join(s))).all()
    times = (await conn.execute(select(ss).order_by(ss.c.starts_at, ss.c.id))).all()
    vocabulary = list((await conn.execute(select(SearchWord.__table__.c.word))).scalars())
    docs = {r.id: normalize(f"{r.title} {r.site} {r.field} {r.description}") for r in rows}

    def found(word, r):
        if len(word) <= 2:
            return word in short_grams(f"{r.title} {r.site} {r.field}")
        return word in docs[r.id]

    terms = []
    for term in normalize(query).split():
        words = [term]
        if len(term) > 2 and term.isascii() and term.isalpha():
            if not any(term in d for d in docs.values()):
                words = sorted(w for w in vocabulary if search._one_edit(term, w)) or [term]
        terms.append(words)
    by_session = f.free_seats or f.end is not None or (f.start is not None and f.start > now)
    answer = []
    for r in rows:
        if not all(any(found(w, r) for w in words) for words in terms):
            continue
        if any(
            v is not None and getattr(r, k) != v
            for k, v in (("field", f.field), ("type", f.type), ("district", f.district))
        ) or (f.online is not None and r.online != f.online):
            continue
        shown = (r.next_start, r.next_seats)
        if by_session:
            fitting = [
                t
                for t in times
                if t.program_id == r.id
                and t.status == "scheduled"
                and t.starts_at > now
                and (f.start is None or t.starts_at >= f.start)
                and (f.end is None or t.starts_at < f.end)
                and (not f.free_seats or t.booked < t.capacity)
            ]
            if not fitting:
                continue
            shown = (fitting[0].starts_at, fitting[0].capacity - fitting[0].booked)
        title = normalize(r.title)
        rank = sum(any(w in title for w in words) for words in terms)
        answer.append((-rank, shown[0] is None, shown[0], r.id, shown))
    return [(key[3], *key[4]) for key in sorted(answer, key=lambda k: k[:4])]


@pytest.mark.parametrize("query", ["", "체험", "꽃", "방송", "바이오", "꽃 체험", "체 험", "robt"])
async def test_every_query_shape_answers_as_the_rules_say(demo, query):
    from sqlalchemy import select, update

    from storage.models import Program, Session

    programs, sessions = Program.__table__, Session.__table__
    now = utcnow()
    async with demo.write() as conn:
        # Some full and cancelled sessions, so the free-seat filter and the next session differ.
        ids = list((await conn.execute(select(sessions.c.id).order_by(sessions.c.id))).scalars())
        full = update(sessions).values(booked=sessions.c.capacity)
        await conn.execute(full.where(sessions.c.id.in_(ids[::3])))
        cancel = update(sessions).values(status="cancelled")
        await conn.execute(cancel.where(sessions.c.id.in_(ids[1::7])))
        await search.refresh_next(conn, now=now)
        first = (await conn.execute(select(programs).order_by(programs.c.id).limit(1))).one()
    later = now + timedelta(days=3)
    choices = [
        Filters(),
        Filters(district=first.district),
        Filters(field=first.field, online=False),
        Filters(type=first.type),
        Filters(free_seats=True),
        Filters(start=now - timedelta(hours=1), end=now + timedelta(days=7)),
        Filters(end=now + timedelta(days=5), free_seats=True, district=first.district),
        Filters(start=later, end=later + timedelta(days=7)),
        Filters(start=later, end=later + timedelta(days=1), free_seats=True),
        Filters(start=later, district=first.district, free_seats=True),
    ]
    async with demo.read() as conn:
        for filters in choices:
            expected = await _reference(conn, query, filters, now)
            page = await search.search(conn, query, filters, limit=100, now=now)
            got = [(h.program_id, h.next_start, h.seats_left) for h in page.hits]
            assert (got, page.total) == (expected, len(expected)), (query, filters)
            middle = await search.search(conn, query, filters, offset=3, limit=4, now=now)
            assert [h.program_id for h in middle.hits] == [e[0] for e in expected[3:7]]
            assert middle.total == len(expected)
            counted = await search.search(conn, query, filters, limit=0, now=now)
            assert (counted.hits, counted.total) == ([], len(expected))
