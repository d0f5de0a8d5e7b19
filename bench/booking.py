"""python -m bench booking: many students applying for the same seats at the same moment.

Each round, 500 distinct students apply at once for one session of 30 seats through
storage.bookings.apply (the bot's own code, one write transaction per application). Runs
on a fresh SQLite file and, when TEST_POSTGRES_URL is set, on that PostgreSQL database
(whose public schema is dropped and rebuilt). The last line is JSON:

    sqlite_attempts, sqlite_seats, sqlite_held, sqlite_waitlisted, sqlite_oversold,
    sqlite_bookings_per_s, and the same with pg_

oversold counts, over all rounds, seats held beyond capacity plus any session whose
`booked` counter differs from the bookings actually holding a seat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from storage import bookings
from storage.db import Database
from storage.migrate import migrate
from storage.models import Booking, Program, School, Session, Site, User, utcnow

HOLD = timedelta(hours=48)


async def prepare(db: Database, students: int, rounds: int, seats: int) -> list[int]:
    """Students of ten schools, and one session per round; returns the session ids."""
    now = utcnow()
    async with db.write() as conn:
        schools = [
            (
                await conn.execute(
                    insert(School).values(name=f"벤치중{n}", district="덕양구").returning(School.id)
                )
            ).scalar_one()
            for n in range(10)
        ]
        site = (
            await conn.execute(
                insert(Site)
                .values(
                    name="벤치 체험처", kind="public", district="덕양구", safety_status="passed"
                )
                .returning(Site.id)
            )
        ).scalar_one()
        program = (
            await conn.execute(
                insert(Program)
                .values(
                    external_key="벤치|인기 체험",
                    site_id=site,
                    title="인기 체험",
                    type="job_practice",
                    field="방송영상",
                    district="덕양구",
                    capacity=seats,
                )
                .returning(Program.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(User),
            [
                {
                    "id": 1_000_000 + n,
                    "role": "student",
                    "name": f"학생{n}",
                    "school_id": schools[n % 10],
                    "grade": 1 + n % 3,
                    "under14": False,
                }
                for n in range(students)
            ],
        )
        sessions = []
        for n in range(rounds):
            starts = now + timedelta(days=7 + n)
            sessions.append(
                (
                    await conn.execute(
                        insert(Session)
                        .values(
                            program_id=program,
                            starts_at=starts,
                            ends_at=starts + timedelta(hours=2),
                            capacity=seats,
                        )
                        .returning(Session.id)
                    )
                ).scalar_one()
            )
    return sessions


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


async def measure(url: str, options) -> dict:
    db = Database(url)
    try:
        session_ids = await prepare(db, options.students, options.rounds, options.seats)
        async with db.read() as conn:
            students = list((await conn.execute(select(User.__table__))).all())
        elapsed = 0.0
        for session_id in session_ids:
            elapsed += await one_round(db, students, session_id)
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
    }


async def run(options) -> dict:
    result = {"rounds": options.rounds}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        await migrate(url)
        result |= {f"sqlite_{k}": v for k, v in (await measure(url, options)).items()}
    postgres = os.environ.get("TEST_POSTGRES_URL")
    if postgres:
        db = Database(postgres)
        async with db.write() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.dispose()
        await migrate(postgres)
        result |= {f"pg_{k}": v for k, v in (await measure(postgres, options)).items()}
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench booking")
    parser.add_argument("--students", type=int, default=500, help="applicants per round")
    parser.add_argument("--seats", type=int, default=30, help="seats per session")
    parser.add_argument("--rounds", type=int, default=5, help="sessions, one round each")
    options = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(options))))
    return 0
