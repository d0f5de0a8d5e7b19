"""What one person's screen costs on the big world, timed in this process against the
database the bot would use: a search, a student's /my, a teacher's /pending, and a booking
with its yardstick (bench/booking.py) on fresh sessions of the world's busiest programme."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from bench.booking import bare_round, one_round
from bench.common import percentiles
from bench.scale.world import FIRST_TEACHER, Built, student_id
from bench.search import jinro, make_queries, timed
from storage import pending
from storage.bookings import student_bookings
from storage.db import Database
from storage.models import Session, User

SAMPLES = 400


async def searches(db: Database, built: Built, count: int) -> dict:
    timings = await timed(db, make_queries(built.demo, count), jinro)
    return _p(timings_ms=[t[0] for t in timings], name="search")


async def my_bookings(db: Database, built: Built, now: datetime) -> dict:
    """A student's /my: their coming bookings and the last five, for students drawn at
    random (each has about ten bookings over the year)."""
    rng = random.Random(5)
    ids = [student_id(rng.randrange(built.students)) for _ in range(SAMPLES)]
    samples = []
    async with db.read() as conn:
        for student in ids[:20]:  # warm caches and statement compilation
            await student_bookings(conn, student, now=now)
        for student in ids:
            started = time.perf_counter()
            await student_bookings(conn, student, now=now)
            samples.append((time.perf_counter() - started) * 1000)
    return _p(samples, "my")


async def teacher_pending(db: Database) -> dict:
    """The teacher of school 1 (600 students) pages through /pending: 8 requests a page."""
    samples = []
    async with db.read() as conn:
        teacher = (
            await conn.execute(select(User.__table__).where(User.id == FIRST_TEACHER + 1))
        ).one()
        _, total = await pending.pending_for_teacher(conn, teacher)
        pages = max(1, -(-total // 8))
        for n in range(SAMPLES + 20):
            started = time.perf_counter()
            await pending.pending_for_teacher(conn, teacher, offset=(n % pages) * 8, limit=8)
            if n >= 20:
                samples.append((time.perf_counter() - started) * 1000)
    return _p(samples, "pending") | {"pending_requests": total}


async def booking(db: Database, built: Built, now: datetime, rounds: int = 3) -> dict:
    """Rounds of 500 students applying at once for 30 seats, against the bare seat-taking
    UPDATE, alternating (bench/booking.py), on sessions added to programme 1."""
    async with db.write() as conn:
        first = await conn.scalar(select(Session.id).order_by(Session.id.desc()).limit(1))
        starts = now + timedelta(days=40)
        for n in range(rounds * 2):
            await conn.execute(
                Session.__table__.insert().values(
                    id=first + n + 1,
                    program_id=1,
                    starts_at=starts + timedelta(hours=n),
                    ends_at=starts + timedelta(hours=n + 2),
                    capacity=30,
                    booked=0,
                    status="scheduled",
                )
            )
    ids = [first + n + 1 for n in range(rounds * 2)]
    rng = random.Random(9)
    wanted = {student_id(n) for n in rng.sample(range(built.students), min(500, built.students))}
    async with db.read() as conn:
        found = await conn.execute(select(User.__table__).where(User.id.in_(wanted)))
        students = list(found.all())
    elapsed = bare = 0.0
    for session_id, bare_id in zip(ids[:rounds], ids[rounds:], strict=True):
        elapsed += await one_round(db, students, session_id)
        bare += await bare_round(db, students, bare_id)
    attempts = len(students) * rounds
    return {
        "bookings_per_s": round(attempts / elapsed, 1),
        "bare_per_s": round(attempts / bare, 1),
        "booking_ratio": round(bare / elapsed, 3),
    }


def _p(timings_ms: list[float], name: str) -> dict:
    return {f"{name}_{key}": value for key, value in percentiles(timings_ms).items()}
