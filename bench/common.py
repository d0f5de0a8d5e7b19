"""What the benchmarks share: the world they build, the databases they run on, and the
figures and JSON line they print (the real bot against the sandbox: bench/botrun.py).

- World rows (`school_rows`, `places`, `session_row`, `user_row`) carry explicit ids from 1
  (users: the benchmark's own range), for a fresh database; `insert_rows` writes them.
- `on_both_databases` measures on a fresh SQLite file and, when TEST_POSTGRES_URL is set, on
  that database made empty (`fresh_postgres`), its keys prefixed `pg_`.
- `percentile`, `percentiles`, `rate`, `tally`; `print_result` prints the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database

Measure = Callable[[str, Path, argparse.Namespace], Awaitable[dict]]


# ----- the world ------------------------------------------------------------------------------


def school_rows(count: int, district: str = "덕양구") -> list[dict]:
    return [{"id": n + 1, "name": f"벤치중학교{n}", "district": district} for n in range(count)]


def places(count: int, district: str, *, capacity: int) -> tuple[list[dict], list[dict]]:
    """`count` public sites that passed their safety check, each with one programme of
    broadcasting practice: site n and its programme both have the id n + 1."""
    sites = [
        {
            "id": n + 1,
            "name": f"벤치 체험처 {n}",
            "kind": "public",
            "district": district,
            "safety_status": "passed",
        }
        for n in range(count)
    ]
    programs = [
        {
            "id": n + 1,
            "external_key": f"벤치 체험처 {n}|방송 체험",
            "site_id": n + 1,
            "title": f"방송 체험 {n}",
            "type": "job_practice",
            "field": "방송영상",
            "district": district,
            "capacity": capacity,
        }
        for n in range(count)
    ]
    return sites, programs


def session_row(n: int, program_id: int, starts: datetime, capacity: int, **extra) -> dict:
    """The session of id n + 1, two hours from `starts`, no seat taken yet."""
    return {
        "id": n + 1,
        "program_id": program_id,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "capacity": capacity,
        "booked": 0,
        **extra,
    }


def user_row(user_id: int, role: str, name: str, *, school_id=None, site_id=None) -> dict:
    # One executemany needs the same keys in every row.
    student = role == "student"
    return {
        "id": user_id,
        "role": role,
        "name": name,
        "school_id": school_id,
        "site_id": site_id,
        "grade": 1 + user_id % 3 if student else None,
        "under14": False if student else None,
    }


async def insert_rows(db: Database, tables: dict[type, list[dict]], *, chunk: int = 0) -> None:
    """Each model's rows, in the order given, in one write transaction; `chunk` rows a
    statement (0: each model's rows in one)."""
    async with db.write() as conn:
        for model, rows in tables.items():
            step = chunk or len(rows) or 1
            for start in range(0, len(rows), step):
                await conn.execute(insert(model), rows[start : start + step])


# ----- the databases --------------------------------------------------------------------------


async def fresh_postgres(url: str) -> None:
    """That PostgreSQL database made empty: its public schema dropped and created again."""
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def on_both_databases(measure: Measure, options, *, sqlite_prefix: str = "") -> dict:
    """`measure(url, folder, options)` on a fresh SQLite file, its keys prefixed
    `sqlite_prefix`, then (unless options.sqlite_only, where the benchmark has that option)
    on TEST_POSTGRES_URL's database made empty, its keys prefixed `pg_`. `measure` migrates
    the database it is given; `folder` is a temporary folder for its files."""
    result = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sqlite = await measure(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}", folder, options)
        result |= {f"{sqlite_prefix}{key}": value for key, value in sqlite.items()}
        postgres = os.environ.get("TEST_POSTGRES_URL")
        if postgres and not getattr(options, "sqlite_only", False):
            await fresh_postgres(postgres)
            pg = await measure(postgres, folder, options)
            result |= {f"pg_{key}": value for key, value in pg.items()}
    return result


# ----- figures --------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def percentiles(samples: list[float], digits: int = 2) -> dict:
    return {f"p{p}_ms": round(percentile(samples, p), digits) for p in (50, 95, 99)}


def rate(times: list[float]) -> float:
    first, last = min(times), max(times)
    return (len(times) - 1) / (last - first) if last > first else 0.0


def tally(chats: set[int], found: dict[int, list[float]]) -> dict:
    """Of `found` (what arrived in each chat): chats that got nothing, messages beyond one a
    chat, and first messages a second."""
    firsts = [times[0] for times in found.values()]
    return {
        "lost": len(chats) - len(found),
        "duplicates": sum(len(times) - 1 for times in found.values()),
        "per_s": round(rate(firsts), 1) if firsts else 0.0,
    }


def print_result(parser: argparse.ArgumentParser, argv: list[str], run) -> int:
    """Parse argv, run `run(options)` and print its JSON: a benchmark's last line."""
    options = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(options))))
    return 0


def main_on_both_databases(parser: argparse.ArgumentParser, argv: list[str], measure) -> int:
    """A benchmark that measures on both databases (on_both_databases), --sqlite-only to skip
    TEST_POSTGRES_URL."""
    parser.add_argument("--sqlite-only", action="store_true", help="skip TEST_POSTGRES_URL")
    return print_result(parser, argv, lambda options: on_both_databases(measure, options))
