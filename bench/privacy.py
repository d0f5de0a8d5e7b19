"""python -m bench privacy: erasing one person, and the retention sweep, at a city's scale.

The world: USERS students (a third in each grade) of 100 schools, each with BOOKINGS_EACH
bookings over 20,000 sessions of the school year 2026 (the benchmark's clock is 1 December
2026: bench/clock.py), most attended with a survey answer and comment, some still to come
(a confirmed seat, a request, a place in line), some decided by a teacher with a reason;
cases with their lines, consent requests, and two years of audit entries.

- erase: ERASE students picked across the world erased one at a time through
  storage/erasure.py `erase`, each in its own write transaction, as /deleteme does:
  erase_p50_ms, erase_max_ms (commit included). The target is under 1 s.
- sweep: the clock moved to 1 April 2027, a month after the school year ended: the
  third-graders have left, the year's survey comments and reasons are due to go, so are the
  audit entries older than two years. storage/retention.py `sweep` runs once to the end:
  sweep_s, sweep_rows (rows per rule), sweep_transactions and sweep_longest_hold_ms, the
  longest any one transaction held the database (on SQLite: the one writer), and
  sweep_hold_ms_by_rule, each rule's longest. Targets: the
  sweep under 60 s, no hold over 200 ms. Then the programme's figures (/stats) are compared
  with those before the sweep: figures_kept must be true.

Runs on a fresh SQLite file and, when TEST_POSTGRES_URL is set, also on that database (its
public schema is dropped and rebuilt), with the same keys prefixed `pg_`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from bench.clock import MOMENT
from bench.common import insert_rows, main_on_both_databases, places, school_rows, session_row
from storage import erasure, retention, school_year, stats
from storage.db import Database
from storage.migrate import migrate
from storage.models import (
    SEAT_STATUSES,
    AuditEntry,
    Booking,
    Case,
    CaseMessage,
    CaseParty,
    ConsentRequest,
    Program,
    School,
    Session,
    Site,
    SurveyAnswer,
    User,
)

CITY = ZoneInfo("Asia/Seoul")
SCHOOLS, SITES, SESSIONS = 100, 2_000, 20_000
FIRST_STUDENT = 5_000_000
TEACHER = 4_999_999
SWEEP_AT = datetime(2027, 4, 1, 3, 0, tzinfo=CITY)
CHUNK = 5_000


def _now() -> datetime:
    return MOMENT.astimezone(UTC)


def people(count: int) -> list[dict]:
    joined = date(2026, 3, 10)
    rows = [
        {
            "id": TEACHER, "role": "teacher", "name": "박선생", "school_id": 1, "grade": None,
            "under14": None, "seen_on": joined, "leaves_on": None,
        }
    ]  # fmt: skip
    for n in range(count):
        grade = 1 + n % 3
        rows.append(
            {
                "id": FIRST_STUDENT + n, "role": "student", "name": f"학생{n}",
                "school_id": 1 + n % SCHOOLS, "grade": grade, "under14": grade == 1,
                "seen_on": date(2026, 11, 20), "leaves_on": school_year.leaves_on(joined, grade),
            }
        )  # fmt: skip
    return rows


def sessions() -> list[dict]:
    """Sessions every few hours from March to February; those after the clock still to come."""
    first = datetime(2026, 3, 16, 10, 0, tzinfo=CITY)
    step = (datetime(2027, 2, 20, tzinfo=CITY) - first) / SESSIONS
    return [session_row(n, 1 + n % SITES, first + n * step, 100) for n in range(SESSIONS)]


def bookings(count: int, each: int, schedule: list[dict]) -> tuple[list[dict], list[dict]]:
    """Each student's bookings on sessions spread over the year; past ones attended with a
    survey answer, a few to come (confirmed, requested, waitlisted), their seats counted in
    the session; one in ten decided by the teacher with a reason."""
    rows, answers = [], []
    now = _now()
    pick = random.Random(7)
    for n in range(count):
        student = FIRST_STUDENT + n
        for k, place in enumerate(pick.sample(range(SESSIONS), each)):
            session = schedule[place]
            future = session["starts_at"] > now
            status = (
                pick.choice(("confirmed", "requested", "waitlisted")) if future else "confirmed"
            )
            session["booked"] += status in SEAT_STATUSES
            booking_id = len(rows) + 1
            rows.append(
                {
                    "id": booking_id, "session_id": session["id"], "student_id": student,
                    "student_name": f"학생{n}", "school_id": 1 + n % SCHOOLS,
                    "booked_by": student, "status": status,
                    "created_at": session["starts_at"] - timedelta(days=10),
                    "decided_by": TEACHER if k == 0 else None,
                    "reason": "학부모 요청" if k == 0 and n % 10 == 0 else None,
                    "attendance": None if future else "attended",
                }
            )  # fmt: skip
            if not future:
                answers.append(
                    {
                        "booking_id": booking_id, "score": 1 + (n + k) % 5,
                        "comment": f"학생{n}의 소감", "answered_at": session["ends_at"],
                    }
                )  # fmt: skip
    return rows, answers


def cases_of(count: int) -> tuple[list[dict], list[dict], list[dict]]:
    """One case per hundred students, closed in the autumn, three lines each."""
    cases, parties, lines = [], [], []
    closed = datetime(2026, 10, 20, tzinfo=CITY)
    for case_id in range(1, count // 100 + 1):
        student = FIRST_STUDENT + case_id * 97 % count
        cases.append(
            {
                "id": case_id, "booking_id": None, "session_id": 1, "site_id": 1,
                "school_id": 1, "student_id": student, "kind": "schedule", "status": "closed",
                "opened_by": student, "opened_role": "student", "opened_at": closed,
                "closed_at": closed, "outcome": "resolved",
            }
        )  # fmt: skip
        parties.append({"case_id": case_id, "user_id": student, "role": "student"})
        for k in range(3):
            lines.append(
                {
                    "case_id": case_id, "at": closed, "sender_id": student,
                    "sender_role": "student", "sender_name": "학생", "kind": "message",
                    "to_user_id": None, "text": f"질문 {k}", "photo": None,
                }
            )  # fmt: skip
    return cases, parties, lines


def consents(count: int) -> list[dict]:
    asked = datetime(2026, 3, 20, tzinfo=CITY)
    return [
        {
            "token": f"c{n}", "student_id": FIRST_STUDENT + n, "created_at": asked,
            "expires_at": asked + timedelta(days=7), "status": "given" if n % 2 else "declined",
            "guardian_phone": f"+8210{55550000 + n}", "method": "contact",
            "answered_by": 9_000_000 + n if n % 2 else None, "answered_at": asked,
        }
        for n in range(0, count, 3)  # first-graders
    ]  # fmt: skip


def audit(count: int) -> list[dict]:
    """Two and a half years of entries, evenly spread."""
    first = datetime(2024, 10, 1, tzinfo=CITY)
    step = (_now() - first) / count
    return [
        {"at": first + n * step, "actor_id": TEACHER, "action": "read", "object_type": "roster",
         "object_id": str(1 + n % SESSIONS), "detail": {"rows": 20}}
        for n in range(count)
    ]  # fmt: skip


async def build(db: Database, options) -> None:
    schedule = sessions()
    sites, programs = places(SITES, "덕양구", capacity=100)
    booking_rows, answers = bookings(options.users, options.bookings_each, schedule)
    case_rows, parties, lines = cases_of(options.users)
    await insert_rows(
        db,
        {
            School: school_rows(SCHOOLS),
            Site: sites,
            Program: programs,
            Session: schedule,
            User: people(options.users),
            Booking: booking_rows,
            SurveyAnswer: answers,
            Case: case_rows,
            CaseParty: parties,
            CaseMessage: lines,
            ConsentRequest: consents(options.users),
            AuditEntry: audit(options.audit),
        },
        chunk=CHUNK,
    )


async def erase_some(db: Database, count: int, users: int) -> list[float]:
    """`count` students spread over the world erased one by one; each one's milliseconds."""
    took = []
    for k in range(count):
        student = FIRST_STUDENT + (k * users) // count + 1
        started = time.perf_counter()
        async with db.write() as conn:
            person = (await conn.execute(select(User.__table__).where(User.id == student))).one()
            await erasure.erase(
                conn, person, actor_id=student, reason="self", now=_now(), offer=timedelta(hours=12)
            )
        took.append((time.perf_counter() - started) * 1000)
    return took


async def figures(db: Database) -> tuple:
    async with db.read() as conn:
        found = await stats.figures(conn)
    return found.by_status, found.attended, found.answers, found.average


async def measure(url: str, folder: Path, options) -> dict:
    await migrate(url)
    db = Database(url)
    try:
        await build(db, options)
        if url.startswith("postgresql"):
            async with db.write() as conn:  # as autovacuum would after a bulk load
                await conn.execute(text("ANALYZE"))
        erased = await erase_some(db, options.erase, options.users)
        before = await figures(db)
        started = time.perf_counter()
        swept = await retention.sweep(db, now=SWEEP_AT, tz=CITY, limits=retention.Limits())
        sweep_s = time.perf_counter() - started
        kept = await figures(db) == before
    finally:
        await db.dispose()
    return {
        "users": options.users,
        "bookings": options.users * options.bookings_each,
        "erase_p50_ms": round(statistics.median(erased), 1),
        "erase_max_ms": round(max(erased), 1),
        "sweep_s": round(sweep_s, 2),
        "sweep_rows": {rule: rows for rule, rows in swept.done.items() if rows},
        "sweep_transactions": swept.transactions,
        "sweep_longest_hold_ms": round(swept.longest_hold * 1000, 1),
        "sweep_hold_ms_by_rule": {rule: round(s * 1000, 1) for rule, s in swept.held.items()},
        "figures_kept": kept,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench privacy")
    parser.add_argument("--users", type=int, default=100_000, help="students")
    parser.add_argument("--bookings-each", type=int, default=5, help="bookings a student")
    parser.add_argument("--audit", type=int, default=300_000, help="audit entries")
    parser.add_argument("--erase", type=int, default=20, help="students erased one by one")
    return main_on_both_databases(parser, argv, measure)
