"""python -m bench search: programme search over 10,000 programmes and 100,000 sessions.

Builds the data in a fresh SQLite file (and, when TEST_POSTGRES_URL is set, in that
PostgreSQL database, whose public schema is dropped and rebuilt), then runs the same
mixed queries on each: Korean words of one to four syllables cut from real titles, two
words, Latin words with a typo, filters alone and filters with words, as the /search
buttons combine them. `naive_p95_ms` is the same searches done plainly on SQLite: every
word a LIKE scan over the programmes' text, the same filters, order and count.

`--slowest N` also prints, before the JSON line, the N slowest searches of each database
and the p95 of each kind of query.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, insert, literal, select, text

from bench.common import fresh_postgres, percentiles, print_result
from storage.db import Database, contains_pattern
from storage.demo_data import generate
from storage.migrate import migrate
from storage.models import Program, ProgramSearch, Session, Site, utcnow
from storage.search import Filters, index_programs, normalize, refresh_next, search

DISTRICTS = ("덕양구", "일산동구", "일산서구")
KST = ZoneInfo("Asia/Seoul")
# Staff titles repeat a programme across sites and terms with such marks around the name.
PREFIXES = ("", "", "", "", "[주말] ", "[방학특강] ", "찾아가는 ", "청소년 ")
SUFFIXES = ("", "", "", " (기초)", " (심화)", " 1기", " 2기", " 3기", " - 오전반", " - 오후반")


def program_row(n: int, base, site_id: int, district: str, rng, now, *, key="bench") -> dict:
    """Programme n + 1, made from a demo programme `base` with the marks staff add to titles."""
    return {
        "id": n + 1,
        "external_key": f"{key}|{n}",
        "site_id": site_id,
        "title": rng.choice(PREFIXES) + base.title + rng.choice(SUFFIXES),
        "description": base.description,
        "type": base.type,
        "field": base.field,
        "target_grades": "1,2,3",
        "school_level": "middle",
        "district": district,
        "online": base.online,
        "capacity": 30,
        "hours": 3,
        "fee": 0,
        "created_at": now,
    }


def build_rows(programs: int, sessions_each: int, seed: int = 7):
    """Programmes made from the demo data's own titles, fields and sites, shuffled."""
    rng = random.Random(seed)
    now = utcnow()
    demo = generate(seed=2026, today=now.astimezone(KST).date())
    site_rows = [
        {
            "id": i + 1,
            "name": f"{site.name} {i // len(demo.sites) + 1}호점",
            "kind": site.kind,
            "district": site.district,
            "safety_status": "passed",
        }
        for i, site in enumerate(demo.sites * max(1, programs // 50 // len(demo.sites) + 1))
    ]
    program_rows, session_rows = [], []
    for n in range(programs):
        base = rng.choice(demo.programs)
        site = rng.choice(site_rows)
        program_rows.append(program_row(n, base, site["id"], site["district"], rng, now))
        for _ in range(sessions_each):
            start = now + timedelta(days=rng.randrange(1, 56), hours=rng.choice((1, 3, 5)))
            capacity = rng.randrange(10, 40)
            session_rows.append(
                {
                    "program_id": n + 1,
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=2),
                    "capacity": capacity,
                    "booked": rng.randrange(0, capacity + 1),
                    "status": "scheduled",
                }
            )
    return site_rows, program_rows, session_rows, demo


def windows(now: datetime) -> list[tuple[datetime, datetime]]:
    """The "when" buttons in Seoul time: this week, next week, this month, a typed day."""
    today = now.astimezone(KST).date()
    monday = today - timedelta(days=today.weekday())

    def midnight(day):
        return datetime.combine(day, datetime.min.time(), KST).astimezone(UTC)

    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    spans = [
        (now, midnight(monday + timedelta(days=7))),
        (midnight(monday + timedelta(days=7)), midnight(monday + timedelta(days=14))),
        (now, midnight(next_month)),
    ]
    for ahead in (3, 10, 20):
        day = today + timedelta(days=ahead)
        spans.append((midnight(day), midnight(day + timedelta(days=1))))
    return spans


def make_queries(demo, count: int, seed: int = 11) -> list[tuple[str, str, Filters]]:
    """(kind, text, filters) as students send them, in a fixed mix."""
    rng = random.Random(seed)
    words = sorted({w for p in demo.programs for w in normalize(p.title).split() if w.isalpha()})
    korean = [w for w in words if "가" <= w[0] <= "힣"]
    latin = [w for w in words if w.isascii() and len(w) >= 4]
    fields = sorted({p.field for p in demo.programs})
    types = sorted({p.type for p in demo.programs})
    spans = windows(utcnow())

    def piece():  # a Korean piece of 1-4 syllables, from inside a word
        word = rng.choice(korean)
        size = min(len(word), rng.randint(1, 4))
        start = rng.randrange(0, len(word) - size + 1)
        return word[start : start + size]

    def some_filters() -> Filters:
        span = rng.choice(spans)
        return rng.choice(
            (
                Filters(district=rng.choice(DISTRICTS)),
                Filters(field=rng.choice(fields)),
                Filters(type=rng.choice(types)),
                Filters(online=rng.choice((True, False))),
                Filters(start=span[0], end=span[1]),
                Filters(free_seats=True),
                Filters(field=rng.choice(fields), district=rng.choice(DISTRICTS)),
                Filters(district=rng.choice(DISTRICTS), start=span[0], end=span[1]),
                Filters(
                    district=rng.choice(DISTRICTS), start=span[0], end=span[1], free_seats=True
                ),
                Filters(type=rng.choice(types), online=False, free_seats=True),
            )
        )

    queries = []
    for n in range(count):
        kind = n % 12
        if kind < 6:
            queries.append(("word", piece(), Filters()))
        elif kind == 6:
            queries.append(("two words", f"{piece()} {piece()}", Filters()))
        elif kind == 7:  # a Latin word with one typo
            word = rng.choice(latin) if latin else "robot"
            cut = rng.randrange(len(word))
            queries.append(("typo", word[:cut] + word[cut + 1 :], Filters()))
        elif kind in (8, 9):
            queries.append(("filters", "", some_filters()))
        else:
            queries.append(("word+filters", piece(), some_filters()))
    return queries


async def load(db: Database, sites, programs, sessions) -> None:
    async with db.write() as conn:
        await conn.execute(insert(Site.__table__), sites)
        for i in range(0, len(programs), 2000):
            await conn.execute(insert(Program.__table__), programs[i : i + 2000])
        for i in range(0, len(sessions), 10000):
            await conn.execute(insert(Session.__table__), sessions[i : i + 10000])
        for i in range(0, len(programs), 1000):
            await index_programs(conn, [p["id"] for p in programs[i : i + 1000]])
        await refresh_next(conn, now=utcnow())
    if not db.is_sqlite:
        # What autovacuum does after a bulk load in production: statistics for the planner
        # and a visibility map, without which no index-only scan is possible.
        async with db.writer.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))


async def timed(db: Database, queries, run_one) -> list[tuple[float, int, tuple]]:
    """(ms, total, query) for each query, after a warm-up round of the first 20."""
    results = []
    async with db.read() as conn:
        for _, query, filters in queries[:20]:  # warm caches and statement compilation
            await run_one(conn, query, filters)
        for item in queries:
            started = time.perf_counter()
            total = await run_one(conn, item[1], item[2])
            results.append(((time.perf_counter() - started) * 1000, total, item))
    return results


async def jinro(conn, query: str, filters: Filters) -> int:
    return (await search(conn, query, filters, now=utcnow())).total


async def naive(conn, query: str, filters: Filters) -> int:
    """The same search done plainly: a LIKE scan per word, the same filters and order."""
    programs, sites, docs = Program.__table__, Site.__table__, ProgramSearch.__table__
    sessions, now = Session.__table__, utcnow()
    terms = normalize(query).split()
    where = [docs.c.doc.like(contains_pattern(term), escape="\\") for term in terms]
    for column, value in (
        (programs.c.field, filters.field),
        (programs.c.type, filters.type),
        (programs.c.district, filters.district),
        (programs.c.online, filters.online),
    ):
        if value is not None:
            where.append(column == value)
    upcoming = and_(
        sessions.c.program_id == programs.c.id,
        sessions.c.status == "scheduled",
        sessions.c.starts_at > now,
    )
    if filters.start is not None:
        upcoming = and_(upcoming, sessions.c.starts_at >= filters.start)
    if filters.end is not None:
        upcoming = and_(upcoming, sessions.c.starts_at < filters.end)
    if filters.free_seats:
        upcoming = and_(upcoming, sessions.c.booked < sessions.c.capacity)
    if filters.start or filters.end or filters.free_seats:
        where.append(exists(select(sessions.c.id).where(upcoming)))
        next_start = select(func.min(sessions.c.starts_at)).where(upcoming).scalar_subquery()
    else:
        next_start = programs.c.next_start
    in_title = sum(
        (case((docs.c.title.like(contains_pattern(t), escape="\\"), 1), else_=0) for t in terms),
        literal(0),
    )
    matches = programs.join(docs, docs.c.program_id == programs.c.id)
    total = (await conn.execute(select(func.count()).select_from(matches).where(*where))).scalar()
    await conn.execute(
        select(programs.c.id, programs.c.title, sites.c.name, next_start)
        .select_from(matches.join(sites, sites.c.id == programs.c.site_id))
        .where(*where)
        .order_by(in_title.desc(), next_start.is_(None), next_start, programs.c.id)
        .limit(5)
    )
    return total


def report(name: str, results, slowest: int) -> None:
    by_kind = defaultdict(list)
    for ms, _, (kind, _, _) in results:
        by_kind[kind].append(ms)
    print(
        f"{name}: "
        + ", ".join(f"{k} p95 {percentiles(v)['p95_ms']} ms" for k, v in sorted(by_kind.items()))
    )
    for ms, total, (kind, query, filters) in sorted(results, key=lambda r: -r[0])[:slowest]:
        chosen = {k: v for k, v in vars(filters).items() if v not in (None, False)}
        print(f"  {ms:7.2f} ms  {total:5d} found  {kind}: {query!r} {chosen}")


async def run(options) -> dict:
    rows = build_rows(options.programs, options.sessions_each)
    queries = make_queries(rows[3], options.queries)
    result = {"programs": len(rows[1]), "sessions": len(rows[2]), "queries": len(queries)}
    with tempfile.TemporaryDirectory() as folder:
        databases = {"sqlite": f"sqlite+aiosqlite:///{Path(folder) / 'search.sqlite3'}"}
        if os.environ.get("TEST_POSTGRES_URL"):
            databases["postgresql"] = os.environ["TEST_POSTGRES_URL"]
            await fresh_postgres(databases["postgresql"])
        for url in databases.values():
            await migrate(url)
            db = Database(url)
            await load(db, *rows[:3])
            await db.dispose()
        # The generated rows now live in the databases only, as they would in production:
        # 100,000 dicts kept here would make each of Python's full collections a 30 ms pause.
        del rows
        gc.collect()
        for name, url in databases.items():
            db = Database(url)
            timings = await timed(db, queries, jinro)
            prefix = "" if name == "sqlite" else "pg_"
            result.update({prefix + k: v for k, v in percentiles([t[0] for t in timings]).items()})
            if options.slowest:
                report(name, timings, options.slowest)
            if name == "sqlite":
                plain = await timed(db, queries, naive)
                result["naive_p95_ms"] = percentiles([t[0] for t in plain])["p95_ms"]
                if options.slowest:
                    report("naive (sqlite)", plain, options.slowest)
            await db.dispose()
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench search")
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument("--sessions-each", type=int, default=10)
    parser.add_argument("--queries", type=int, default=1200)
    parser.add_argument("--slowest", type=int, default=0, help="print the N slowest per database")
    return print_result(parser, argv, run)
