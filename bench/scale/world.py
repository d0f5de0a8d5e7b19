"""The world `bench scale` measures: a province's (or a city's) students, sites, programmes,
sessions and bookings, generated with the shapes that make a database work hard.

- Students sit in schools of 600 (school 1 is the one whose teacher's /pending is timed),
  one teacher each, in 30 districts; sites and their programmes spread over the districts.
- Programme titles, fields and types are the demo data's, with the marks staff add.
- Sessions: 20 per programme over a school year (150 days back, 120 ahead), weekdays five
  times as busy as weekends and one week in four three times as busy (the free-year weeks).
- Bookings follow popularity: a programme's pull falls with its (shuffled) rank, so a few
  fill every session and most have a handful; the past ones attended (or not), the coming
  ones mostly confirmed, a few (3 %) waiting for a teacher's answer, some in line or
  cancelled. Each session's `booked` is its seat-holding bookings.
- Tomorrow: `next_day` confirmed bookings, 25 to a session, the day-before reminders'
  evening (bench/scale/live.py); no other session falls on tomorrow.

Rows are generated a chunk at a time and written by executemany in one transaction per
table: 3,000,000 bookings never sit in memory at once.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate, islice

from sqlalchemy import insert, text

from bench.search import program_row
from storage.db import Database
from storage.demo_data import KST, generate
from storage.models import Booking, Program, School, Session, Site, User
from storage.search import index_programs, refresh_next

CHUNK = 5_000
SCHOOL_SIZE = 600
FIRST_STUDENT = 10_000_000
FIRST_TEACHER = 20_000_000
SESSIONS_EACH = 20
PER_NEXT_DAY_SESSION = 25
STRIDE = 7_919  # a prime: the students of one session, (start + i * STRIDE) mod N, are distinct
KINDS = ("public", "company", "small_business", "university", "nonprofit")
SYLLABLES = "가나다라마바사아자차카타파하강남동서북중신한새솔빛별"


@dataclass(frozen=True)
class Size:
    students: int
    sites: int
    programs: int
    bookings: int
    next_day: int

    @property
    def sessions(self) -> int:
        return self.programs * SESSIONS_EACH

    @property
    def schools(self) -> int:
        return -(-self.students // SCHOOL_SIZE)


# What issue 18 asks of a province on PostgreSQL, and a whole city on the SQLite default.
PROVINCE = Size(students=300_000, sites=3_000, programs=40_000, bookings=3_000_000, next_day=40_000)
CITY = Size(students=10_000, sites=500, programs=2_000, bookings=100_000, next_day=1_500)


@dataclass
class Built:
    """What the measures need to know of the world: who, and what is where."""

    size: Size
    demo: object  # storage.demo_data.DemoData: titles and fields for the queries
    bookings: int
    next_day_sessions: list[int]
    students: int


def districts() -> list[str]:
    made_up = [f"{SYLLABLES[n % 26]}{SYLLABLES[(n * 7 + 3) % 26]}시" for n in range(27)]
    return ["덕양구", "일산동구", "일산서구", *made_up]


def student_id(n: int) -> int:
    return FIRST_STUDENT + n


def school_of(n: int) -> int:
    return n // SCHOOL_SIZE + 1


def _people(size: Size, now: datetime) -> Iterator[tuple[type, dict]]:
    places = districts()
    for s in range(size.schools):
        yield School, {"id": s + 1, "name": f"규모중학교{s + 1}", "district": places[s % 30]}
    for s in range(size.schools):
        yield User, _user(FIRST_TEACHER + s + 1, "teacher", f"교사{s + 1}", s + 1, None, now)
    for n in range(size.students):
        yield User, _user(student_id(n), "student", f"학생{n}", school_of(n), 1 + n % 3, now)


def _user(user_id, role, name, school_id, grade, now) -> dict:
    return {
        "id": user_id,
        "role": role,
        "name": name,
        "school_id": school_id,
        "grade": grade,
        "under14": False if role == "student" else None,
        "lang": "ko",
        "active": True,
        "flow_data": {},
        "created_at": now,
    }


def _places(size: Size, demo, rng: random.Random, now: datetime) -> Iterator[tuple[type, dict]]:
    places = districts()
    for n in range(size.sites):
        yield (
            Site,
            {
                "id": n + 1,
                "name": f"규모 체험처 {n + 1}",
                "kind": KINDS[n % len(KINDS)],
                "district": places[n % 30],
                "safety_status": "passed",
            },
        )
    for n in range(size.programs):
        base = rng.choice(demo.programs)
        site = n % size.sites + 1
        district = places[(site - 1) % 30]
        yield Program, program_row(n, base, site, district, rng, now, key="scale")


def _days(rng: random.Random, now: datetime) -> tuple[list[int], list[float]]:
    """Day offsets a session may fall on (never tomorrow), with their cumulative weights."""
    today = now.astimezone(KST).date()
    offsets = [d for d in range(-150, 121) if d != 1]
    weights = []
    for d in offsets:
        day = today + timedelta(days=d)
        busy = 3 if (day.isocalendar().week % 4 == 0) else 1
        weights.append((5 if day.weekday() < 5 else 1) * busy)
    return offsets, list(accumulate(weights))


def _starts(now: datetime, offset: int, hour: int) -> datetime:
    day = now.astimezone(KST).date() + timedelta(days=offset)
    return datetime.combine(day, datetime.min.time(), KST).replace(hour=hour)


class Sessions:
    """Every session's programme, start and capacity, and how many bookings it gets."""

    def __init__(self, size: Size, rng: random.Random, now: datetime) -> None:
        self.size, self.now = size, now
        offsets, cumulative = _days(rng, now)
        pull = list(range(1, size.programs + 1))
        rng.shuffle(pull)  # programme n's popularity rank
        weight = [1 / (pull[s // SESSIONS_EACH] + 10) ** 0.8 for s in range(size.sessions)]
        # Half again as many asked for as wanted: full sessions turn the rest away.
        scale = (size.bookings - size.next_day) * 1.5 / sum(weight)
        tomorrow = -(-size.next_day // PER_NEXT_DAY_SESSION)
        self.rows: list[tuple[int, datetime, int, int]] = []  # program, starts, capacity, wanted
        for s in range(size.sessions):
            capacity = rng.randrange(15, 41)
            if s < tomorrow:  # the first sessions are tomorrow's, each 25 confirmed
                starts = _starts(now, 1, 10 + s % 6)
                wanted = min(PER_NEXT_DAY_SESSION, size.next_day - s * PER_NEXT_DAY_SESSION)
                capacity = max(capacity, wanted)
            else:
                day = rng.choices(offsets, cum_weights=cumulative)[0]
                starts = _starts(now, day, rng.choice((9, 10, 13, 14, 15)))
                wanted = min(capacity, int(weight[s] * scale * rng.uniform(0.5, 1.5)))
            self.rows.append((s // SESSIONS_EACH + 1, starts, capacity, wanted))
        self.tomorrow = list(range(1, tomorrow + 1))

    def session_rows(self) -> Iterator[tuple[type, dict]]:
        for s, (program, starts, capacity, wanted) in enumerate(self.rows):
            yield (
                Session,
                {
                    "id": s + 1,
                    "program_id": program,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "capacity": capacity,
                    "booked": self.holding(s, starts, wanted),
                    "status": "scheduled",
                },
            )

    def statuses(self, s: int, starts: datetime, wanted: int) -> list[str]:
        if s < len(self.tomorrow):
            return ["confirmed"] * wanted
        mix = random.Random(s)
        if starts < self.now:
            past = ("attended", "no_show", "cancelled"), (85, 10, 5)
            return [mix.choices(*past)[0] for _ in range(wanted)]
        return [
            mix.choices(("confirmed", "requested", "waitlisted", "cancelled"), (84, 3, 5, 8))[0]
            for _ in range(wanted)
        ]

    def holding(self, s: int, starts: datetime, wanted: int) -> int:
        held = ("confirmed", "requested", "attended", "no_show")
        return sum(status in held for status in self.statuses(s, starts, wanted))

    def booking_rows(self) -> Iterator[tuple[type, dict]]:
        n = 0
        for s, (_, starts, _, wanted) in enumerate(self.rows):
            first = (s * 104_729) % self.size.students
            for i, status in enumerate(self.statuses(s, starts, wanted)):
                student = (first + i * STRIDE) % self.size.students
                n += 1
                yield Booking, _booking(n, s + 1, student, status, starts, self.now)


def _booking(n: int, session: int, student: int, status: str, starts: datetime, now) -> dict:
    attended = status in ("attended", "no_show")
    return {
        "id": n,
        "session_id": session,
        "student_id": student_id(student),
        "school_id": school_of(student),
        "booked_by": student_id(student),
        "status": "confirmed" if attended else status,
        "attendance": status if attended else None,
        "created_at": min(now, starts) - timedelta(days=10),
        "expires_at": now + timedelta(hours=48) if status == "requested" else None,
    }


async def write(db: Database, rows: Iterator[tuple[type, dict]]) -> int:
    """Rows of (model, values), consecutive ones of a model together, CHUNK at a time."""
    written = 0
    async with db.write() as conn:
        while chunk := list(islice(rows, CHUNK)):
            start = 0
            for end in range(1, len(chunk) + 1):
                if end == len(chunk) or chunk[end][0] is not chunk[start][0]:
                    table = chunk[start][0].__table__
                    await conn.execute(insert(table), [values for _, values in chunk[start:end]])
                    start = end
            written += len(chunk)
    return written


async def build(db: Database, size: Size, now: datetime) -> Built:
    rng = random.Random(18)
    demo = generate(seed=2026, today=now.astimezone(KST).date())
    await write(db, _people(size, now))
    await write(db, _places(size, demo, rng, now))
    sessions = Sessions(size, rng, now)
    await write(db, sessions.session_rows())
    bookings = await write(db, sessions.booking_rows())
    async with db.write() as conn:
        for start in range(1, size.programs + 1, 1_000):
            await index_programs(conn, list(range(start, min(start + 1_000, size.programs + 1))))
        await refresh_next(conn, now=now)
    if not db.is_sqlite:
        async with db.write() as conn:  # ids were given: the next ones follow them
            for table in ("schools", "sites", "programs", "sessions", "bookings"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                await conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))
        # What autovacuum does after a bulk load: statistics and a visibility map.
        async with db.writer.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    return Built(size, demo, bookings, sessions.tomorrow, size.students)
