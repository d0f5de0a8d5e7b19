"""python -m bench booking: many students applying for the same seats at the same moment.

Each round, 500 distinct students apply at once for one session of 30 seats through
storage.bookings.apply (the bot's own code, one write transaction per application). Runs
on a fresh SQLite file and, when TEST_POSTGRES_URL is set, on that PostgreSQL database
(whose public schema is dropped and rebuilt). The last line is JSON:

    sqlite_attempts, sqlite_seats, sqlite_held, sqlite_waitlisted, sqlite_oversold,
    sqlite_bookings_per_s, and the same with pg_

oversold counts, over all rounds, seats held beyond capacity plus any session whose
`booked` counter differs from the bookings actually holding a seat.

The yardstick, measured in the same run on the same database: the same attempts, each only
the conditional UPDATE that takes a seat in its own write transaction (no booking row, no
checks, no audit): sqlite_bare_per_s, and sqlite_ratio = bookings_per_s / bare_per_s (the
share of the database's bare pace the whole booking keeps); the same with pg_.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from bench.common import (
    insert_rows,
    on_both_databases,
    places,
    print_result,
    school_rows,
    session_row,
    user_row,
)
from storage import bookings
from storage.db import Database
from storage.migrate import migrate
from storage.models import Booking, Program, School, Session, Site, User, utcnow

HOLD = timedelta(hours=48)


async def prepare(db: Database, students: int, rounds: int, seats: int) -> list[int]:
    """Students of ten schools, and one session per round; returns the session ids."""
    now = utcnow()
    sites, programs = places(1, "덕양구", capacity=seats)
    users = [
        user_row(1_000_000 + n, "student", f"학생{n}", school_id=n % 10 + 1)
        for n in range(students)
    ]
    sessions = [session_row(n, 1, now + timedelta(days=7 + n), seats) for n in range(rounds)]
    tables = {
        School: school_rows(10),
        Site: sites,
        Program: programs,
        User: users,
        Session: sessions,
    }
    await insert_rows(db, tables)
    return [session["id"] for session in sessions]


async def one_round(db: Database, students: list, session_id: int) -> float:
    async def attempt(student) -> None:
        async with db.write() as conn:
            await bookings.apply(conn, student, session_id, hold=HOLD, now=utcnow())

    started = time.perf_counter()
    results = await asyncio.gather(*(attempt(s) for s in students), return_exceptions=True)
    elapsed = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        raise RuntimeError(f"{len(errors)} applications failed, e.g. {errors[0]!r}")
    return elapsed


async def bare_round(db: Database, students: list, session_id: int) -> float:
    """The yardstick: as many attempts at once, each only taking a seat if one is left."""
    take = (
        update(Session)
        .where(Session.id == session_id, Session.booked < Session.capacity)
        .values(booked=Session.booked + 1)
    )

    async def attempt() -> None:
        async with db.write() as conn:
            await conn.execute(take)

    started = time.perf_counter()
    await asyncio.gather(*(attempt() for _ in students))
    return time.perf_counter() - started


async def measure(url: str, folder: Path, options) -> dict:
    await migrate(url)
    db = Database(url)
    try:
        all_ids = await prepare(db, options.students, options.rounds * 2, options.seats)
        session_ids, bare_ids = all_ids[: options.rounds], all_ids[options.rounds :]
        async with db.read() as conn:
            students = list((await conn.execute(select(User.__table__))).all())
        elapsed = bare = 0.0
        for session_id, bare_id in zip(session_ids, bare_ids, strict=True):
            # Alternating rounds: the machine's noise falls on both alike.
            elapsed += await one_round(db, students, session_id)
            bare += await bare_round(db, students, bare_id)
        held = waitlisted = oversold = 0
        async with db.read() as conn:
            for session_id in session_ids:
                booked, capacity = (
                    await conn.execute(
                        select(Session.booked, Session.capacity).where(Session.id == session_id)
                    )
                ).one()
                holding = await bookings.seats_held(conn, session_id)
                waiting = await conn.scalar(
                    select(func.count()).where(
                        Booking.session_id == session_id, Booking.status == "waitlisted"
                    )
                )
                held += holding
                waitlisted += waiting
                oversold += max(0, holding - capacity) + (booked != holding)
    finally:
        await db.dispose()
    attempts = options.students * options.rounds
    return {
        "attempts": attempts,
        "seats": options.seats * options.rounds,
        "held": held,
        "waitlisted": waitlisted,
        "oversold": oversold,
        "bookings_per_s": round(attempts / elapsed, 1),
        "bare_per_s": round(attempts / bare, 1),
        "ratio": round(bare / elapsed, 3),
    }


async def run(options) -> dict:
    measured = await on_both_databases(measure, options, sqlite_prefix="sqlite_")
    return {"rounds": options.rounds} | measured


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench booking")
    parser.add_argument("--students", type=int, default=500, help="applicants per round")
    parser.add_argument("--seats", type=int, default=30, help="seats per session")
    parser.add_argument("--rounds", type=int, default=5, help="sessions, one round each")
    return print_result(parser, argv, run)
