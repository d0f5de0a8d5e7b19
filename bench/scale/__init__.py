"""python -m bench scale: a province on PostgreSQL and a whole city on the SQLite default.

Builds the world (bench/scale/world.py): on TEST_POSTGRES_URL (its public schema dropped and
rebuilt) a province's 300,000 students, 3,000 sites, 40,000 programmes, 800,000 sessions and
about 3,000,000 bookings, 40,000 of them tomorrow's; on a fresh SQLite file a city's 10,000
students, 500 sites, 2,000 programmes, 40,000 sessions and about 100,000 bookings, 1,500 of
them tomorrow's. On each it measures, in one run:

- search p95 over mixed queries (bench/search.py's), a student's /my and the /pending of a
  teacher of a 600-student school (bench/scale/reads.py): targets 10, 20 and 20 ms;
- a booking's rate against the bare seat-taking UPDATE on the same database
  (`booking_ratio`, target ≥ 0.5);
- the real bot (bench/scale/live.py): start-up to its first answer (≤ 3 s), tomorrow's
  day-before reminders planned into their evening and the busiest minute of them sent at 30 a
  second while students chat (chat p95), and its resident memory afterwards (≤ 300 MB).

Keys are prefixed `pg_` and `sqlite_`; `--sqlite-only` skips PostgreSQL, `--small` builds a
hundredth of each world (a quick check that everything runs).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import fresh_postgres, print_result
from bench.scale import live, reads
from bench.scale.world import CITY, PROVINCE, Size, build
from storage.db import Database
from storage.migrate import migrate
from storage.models import utcnow


async def measure(url: str, folder: Path, size: Size, options) -> dict:
    await migrate(url)
    db = Database(url)
    now = utcnow()
    try:
        started = time.perf_counter()
        built = await build(db, size, now)
        result = {
            "students": size.students,
            "sites": size.sites,
            "programs": size.programs,
            "sessions": size.sessions,
            "bookings": built.bookings,
            "build_s": round(time.perf_counter() - started, 1),
        }
        result |= await reads.searches(db, built, options.queries)
        result |= await reads.my_bookings(db, built, now)
        result |= await reads.teacher_pending(db)
        result |= await reads.booking(db, built, now)
    finally:
        await db.dispose()
    return result | await live.measure(url, folder, built, options.chat_rate)


def smaller(size: Size, by: int) -> Size:
    return replace(
        size,
        students=size.students // by,
        sites=max(10, size.sites // by),
        programs=max(20, size.programs // by),
        bookings=size.bookings // by,
        next_day=max(50, size.next_day // by),
    )


async def run(options) -> dict:
    by = 100 if options.small else 1
    result = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        postgres = os.environ.get("TEST_POSTGRES_URL")
        if postgres and not options.sqlite_only:
            await fresh_postgres(postgres)
            pg = await measure(postgres, folder, smaller(PROVINCE, by), options)
            result |= {f"pg_{key}": value for key, value in pg.items()}
        sqlite_url = f"sqlite+aiosqlite:///{folder / 'scale.sqlite3'}"
        city = await measure(sqlite_url, folder, smaller(CITY, by), options)
        result |= {f"sqlite_{key}": value for key, value in city.items()}
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale")
    parser.add_argument("--sqlite-only", action="store_true", help="skip TEST_POSTGRES_URL")
    parser.add_argument("--small", action="store_true", help="a hundredth of each world")
    parser.add_argument("--queries", type=int, default=600, help="searches timed")
    parser.add_argument("--chat-rate", type=float, default=10.0, help="updates/s while sending")
    return print_result(parser, argv, run)
