"""python -m bench search: programme search over 10,000 programmes and 100,000 sessions.

Builds the data in a fresh SQLite file (and, when TEST_POSTGRES_URL is set, in that
PostgreSQL database, whose public schema is dropped and rebuilt), then runs the same
mixed queries on each: Korean words of one to four syllables cut from real titles,
Latin words with a typo, filters alone and combined. `naive_p95_ms` is a plain LIKE
scan over title, site and field for the same text queries, on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, or_, select, text

from storage.db import Database
from storage.demo_data import generate
from storage.migrate import migrate
from storage.models import Program, Session, Site, utcnow
from storage.search import Filters, index_programs, normalize, refresh_next, search

DISTRICTS = ("덕양구", "일산동구", "일산서구")


def build_rows(programs: int, sessions_each: int, seed: int = 7):
    """Programmes made from the demo data's own titles, fields and sites, shuffled."""
    rng = random.Random(seed)
    demo = generate(seed=2026)
    now = utcnow()
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
        program_rows.append(
            {
                "id": n + 1,
                "external_key": f"bench|{n}",
                "site_id": site["id"],
                "title": f"{base.title} {n}",
                "description": base.description,
                "type": base.type,
                "field": base.field,
                "target_grades": "1,2,3",
                "school_level": "middle",
                "district": site["district"],
                "online": base.online,
                "capacity": 30,
                "hours": 3,
                "fee": 0,
                "created_at": now,
            }
        )
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


def make_queries(demo, count: int, seed: int = 11) -> list[tuple[str, Filters]]:
    rng = random.Random(seed)
    words = sorted({w for p in demo.programs for w in normalize(p.title).split() if w.isalpha()})
    korean = [w for w in words if "가" <= w[0] <= "힣"]
    latin = [w for w in words if w.isascii() and len(w) >= 4]
    fields = sorted({p.field for p in demo.programs})
    now = utcnow()
    queries = []
    for n in range(count):
        kind = n % 6
        if kind in (0, 1, 2):  # a Korean piece of 1-4 syllables, from inside a word
            word = rng.choice(korean)
            size = min(len(word), rng.randint(1, 4))
            start = rng.randrange(0, len(word) - size + 1)
            queries.append((word[start : start + size], Filters()))
        elif kind == 3:  # a Latin word with one typo
            word = rng.choice(latin) if latin else "robot"
            cut = rng.randrange(len(word))
            queries.append((word[:cut] + word[cut + 1 :], Filters()))
        elif kind == 4:  # filters alone
            queries.append(("", Filters(field=rng.choice(fields), district=rng.choice(DISTRICTS))))
        else:  # text and filters combined
            day = now + timedelta(days=rng.randrange(0, 50))
            queries.append(
                (
                    rng.choice(korean)[:2],
                    Filters(
                        district=rng.choice(DISTRICTS),
                        start=day,
                        end=day + timedelta(days=7),
                        free_seats=True,
                    ),
                )
            )
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
        await refresh_next(conn)
    if not db.is_sqlite:
        async with db.write() as conn:
            await conn.execute(text("ANALYZE"))


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)

    def at(p):
        return round(samples[min(len(samples) - 1, int(p / 100 * len(samples)))], 2)

    return {"p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99)}


async def timed_queries(db: Database, queries) -> dict:
    timings = []
    async with db.read() as conn:
        for query, filters in queries[:20]:  # warm caches and statement compilation
            await search(conn, query, filters)
        for query, filters in queries:
            started = time.perf_counter()
            await search(conn, query, filters)
            timings.append((time.perf_counter() - started) * 1000)
    return percentiles(timings)


async def naive(db: Database, queries) -> float:
    """A LIKE scan over title, site and field, for the text queries."""
    programs, sites = Program.__table__, Site.__table__
    timings = []
    async with db.read() as conn:
        for query, _ in queries:
            if not query:
                continue
            pattern = f"%{query}%"
            started = time.perf_counter()
            await conn.execute(
                select(programs.c.id)
                .join(sites, sites.c.id == programs.c.site_id)
                .where(
                    or_(
                        programs.c.title.like(pattern),
                        sites.c.name.like(pattern),
                        programs.c.field.like(pattern),
                    )
                )
                .order_by(programs.c.id)
                .limit(5)
            )
            await conn.execute(
                select(func.count()).select_from(programs).where(programs.c.title.like(pattern))
            )
            timings.append((time.perf_counter() - started) * 1000)
    return percentiles(timings)["p95_ms"]


async def run(options) -> dict:
    sites, programs, sessions, demo = build_rows(options.programs, options.sessions_each)
    queries = make_queries(demo, options.queries)
    result = {"programs": len(programs), "sessions": len(sessions), "queries": len(queries)}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'search.sqlite3'}"
        await migrate(url)
        db = Database(url)
        await load(db, sites, programs, sessions)
        result.update(await timed_queries(db, queries))
        result["naive_p95_ms"] = await naive(db, queries)
        await db.dispose()
    postgres = os.environ.get("TEST_POSTGRES_URL")
    if postgres:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(postgres)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        await migrate(postgres)
        db = Database(postgres)
        await load(db, sites, programs, sessions)
        result.update({f"pg_{k}": v for k, v in (await timed_queries(db, queries)).items()})
        await db.dispose()
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench search")
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument("--sessions-each", type=int, default=10)
    parser.add_argument("--queries", type=int, default=1200)
    options = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(options))))
    return 0
