"""python -m bench reminders: the reminder outbox drained through the sandbox by the real bot.

The bot runs as a separate process (`python -m bot run`, its clock ticking every 5 s) against
the sandbox served in this process, on a fresh database holding schools, sites, programmes,
sessions tomorrow and students with confirmed bookings, so that every reminder finds what it
talks about when it is composed. Reminder rows are inserted directly, each to a different chat
(so the one-a-second-per-chat rule never binds), as a mix of the kinds the bot sends: a
student's day-before and online reminders, a site's evening and morning rosters.

- burst: 10,000 reminders all due now, SEND_RATE=1000 (the limit lifted): unlimited_per_s
  (first to last message received), burst_p95_lateness_s.
- steady: 2,000 reminders falling due at 100 a second over 20 s, still unlimited:
  p95_lateness_s, from each one's due time to the sandbox receiving it. The 10,000 of the
  burst cannot all be on time at any rate; this is the lateness the clock and the sending
  add when the bot keeps up (the target: one tick, 5 s, plus 2 s).
- paced: the bot restarted with the default SEND_RATE (30), 600 reminders due now, the
  sandbox answering every call after 100 ms as Telegram does from afar: paced_per_s. (One
  message at a time, that round trip alone would hold sending to under 10 a second.)

`sent` counts rows marked sent; `lost` reminders whose chat got no message; `duplicates`
messages beyond the one each chat should get — over all phases. Runs on a fresh SQLite file
and, when TEST_POSTGRES_URL is set, also on that database (its public schema is dropped and
rebuilt), with the same keys prefixed `pg_`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.updates import start_process, stop_process
from sandbox.server import start_sandbox
from storage.db import Database
from storage.migrate import migrate
from storage.models import Booking, Program, Reminder, School, Session, Site, User, utcnow

TOKEN = "700000003:BENCH-reminders-token-for-the-sandbox"
SEATS = 40  # confirmed students per session: a roster of 40 lines fits one message
SESSIONS_PER_SITE = 3
SITE_SHARE = 0.15  # the share of reminders that are a site's roster
FIRST_USER = 5_000_000
WAIT_SECONDS = 180  # a phase that has not finished by then has lost something


# ----- the world the reminders talk about -----------------------------------------------------


def plan_recipients(total: int) -> tuple[int, int, int]:
    """(students, sessions, site users) for `total` reminders, one recipient each."""
    site_users = int(total * SITE_SHARE)
    students = total - site_users
    sessions = -(-students // SEATS)
    sessions += -sessions % SESSIONS_PER_SITE
    return students, sessions, site_users


async def build_world(db: Database, total: int) -> list[dict]:
    """Schools, sites, programmes, sessions tomorrow, students with confirmed bookings and
    site users; returns one reminder target per recipient, kinds interleaved."""
    students, session_count, site_user_count = plan_recipients(total)
    site_count = session_count // SESSIONS_PER_SITE
    now = utcnow()
    tomorrow = now + timedelta(days=1)
    school_rows = [{"id": n + 1, "name": f"벤치중학교{n}", "district": "덕양구"} for n in range(20)]
    site_rows = [
        {
            "id": n + 1,
            "name": f"벤치 체험처 {n}",
            "kind": "public",
            "district": "일산동구",
            "address": f"고양시 일산동구 중앙로 {n}",
            "directions": "3호선 정발산역 2번 출구",
            "safety_status": "passed",
        }
        for n in range(site_count)
    ]
    program_rows = [
        {
            "id": n + 1,
            "external_key": f"벤치 체험처 {n}|방송 체험",
            "site_id": n + 1,
            "title": f"방송 체험 {n}",
            "type": "job_practice",
            "field": "방송영상",
            "district": "일산동구",
            "online": n % 3 == 0,
            "capacity": SEATS,
            "bring": "필기도구",
        }
        for n in range(site_count)
    ]
    session_rows = []
    for n in range(session_count):
        program = n // SESSIONS_PER_SITE + 1
        starts = tomorrow + timedelta(hours=n % SESSIONS_PER_SITE)
        online = program_rows[program - 1]["online"]
        session_rows.append(
            {
                "id": n + 1,
                "program_id": program,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "capacity": SEATS,
                "booked": 0,
                "online_url": "https://meet.example/room" if online else None,
            }
        )
    user_rows, booking_rows, targets = [], [], []
    for n in range(students):
        user_id, session = FIRST_USER + n, session_rows[n // SEATS]
        online = program_rows[session["program_id"] - 1]["online"]
        user_rows.append(user_row(user_id, "student", f"학생{n}", school_id=n % 20 + 1))
        booking_rows.append(
            {
                "id": n + 1,
                "session_id": session["id"],
                "student_id": user_id,
                "school_id": n % 20 + 1,
                "booked_by": user_id,
                "status": "confirmed",
                "created_at": now,
            }
        )
        session["booked"] += 1
        kind = "student_online" if online else "student_day_before"
        targets.append(
            {"kind": kind, "user_id": user_id, "session_id": session["id"], "booking_id": n + 1}
        )
    site_targets = []
    for n in range(site_user_count):
        # Only sessions with students have a roster to send.
        session = session_rows[n % -(-students // SEATS)]
        user_id = FIRST_USER + students + n
        site_id = session["program_id"]  # one programme per site, same numbering
        user_rows.append(user_row(user_id, "site", f"담당{n}", site_id=site_id))
        kind = "site_roster_morning" if n % 2 else "site_roster_day_before"
        site_targets.append(
            {"kind": kind, "user_id": user_id, "session_id": session["id"], "booking_id": None}
        )
    async with db.write() as conn:
        for model, rows in (
            (School, school_rows),
            (Site, site_rows),
            (Program, program_rows),
            (Session, session_rows),
            (User, user_rows),
            (Booking, booking_rows),
        ):
            await conn.execute(insert(model), rows)
    return interleave(targets, site_targets)


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


def interleave(many: list, few: list) -> list:
    """Spread `few` evenly through `many`, so every slice of the result has the same mix."""
    result, taken = [], 0
    total = len(many) + len(few)
    for position in range(total):
        # Take one of `few` whenever it has fallen behind its share of the positions so far.
        if taken < len(few) and taken * total < (position + 1) * len(few) - total // 2:
            result.append(few[taken])
            taken += 1
        else:
            result.append(many[position - taken])
    return result


async def add_reminders(db: Database, targets: list[dict], due: list[datetime], phase: str):
    rows = [
        {
            **target,
            "due_at": at,
            "status": "pending",
            "attempts": 0,
            "key": f"bench:{phase}:{target['kind']}:{target['user_id']}",
            "created_at": utcnow(),
        }
        for target, at in zip(targets, due, strict=True)
    ]
    async with db.write() as conn:
        for start in range(0, len(rows), 2000):
            await conn.execute(insert(Reminder), rows[start : start + 2000])


# ----- watching the sandbox -------------------------------------------------------------------


class Watch:
    """Reads what the sandbox (in this process) received: successful sendMessage calls per
    chat, with wall-clock receive times."""

    def __init__(self, sandbox) -> None:
        self.bot = sandbox.sandbox.bot(TOKEN)
        # The sandbox stamps calls with time.monotonic(); this converts them to wall time.
        self.offset = time.time() - time.monotonic()

    def received(self, chats: set[int]) -> dict[int, list[float]]:
        found: dict[int, list[float]] = {}
        for call in self.bot.calls_by_method.get("sendMessage", []):
            chat = call["params"].get("chat_id")
            if call["ok"] and chat in chats:
                found.setdefault(chat, []).append(call["t"] + self.offset)
        return found

    async def until_all(self, chats: set[int], process, what: str) -> dict[int, list[float]]:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            found = self.received(chats)
            if len(found) == len(chats) or time.monotonic() > deadline:
                await asyncio.sleep(1.0)  # a duplicate, if any, would arrive meanwhile
                return self.received(chats)
            if process.poll() is not None:
                raise RuntimeError(f"the bot exited during {what}; see its log")
            await asyncio.sleep(0.2)


async def wait_for_polling(watch: Watch, process) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"the bot exited with code {process.returncode}; see its log")
        if watch.bot.calls_by_method.get("getUpdates"):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot never polled")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def rate(times: list[float]) -> float:
    first, last = min(times), max(times)
    return (len(times) - 1) / (last - first) if last > first else 0.0


async def run_phase(db, watch, process, targets, due, phase: str) -> dict:
    chats = {t["user_id"] for t in targets}
    await add_reminders(db, targets, due, phase)
    found = await watch.until_all(chats, process, phase)
    due_of = {t["user_id"]: at.timestamp() for t, at in zip(targets, due, strict=True)}
    firsts = [times[0] for times in found.values()]
    return {
        "reminders": len(targets),
        "lost": len(chats) - len(found),
        "duplicates": sum(len(times) - 1 for times in found.values()),
        "per_s": round(rate(firsts), 1) if firsts else 0.0,
        "p95_lateness_s": round(percentile([found[c][0] - due_of[c] for c in found], 95), 2),
    }


async def count_statuses(db: Database) -> Counter:
    async with db.read() as conn:
        found = await conn.execute(select(Reminder.status, func.count()).group_by(Reminder.status))
        return Counter(dict(found.all()))


# ----- one database ---------------------------------------------------------------------------


def bot_env(url: str, api_base: str, send_rate: int | None, token: str = TOKEN) -> dict:
    env = {
        "BOT_TOKEN": token,
        "BOT_API_URL": api_base,
        "DATABASE_URL": url,
        "WEBHOOK_URL": "",
        "ADMIN_IDS": "",
        "SEND_RATE": "" if send_rate is None else str(send_rate),
    }
    return env


async def measure(url: str, folder: Path, options) -> dict:
    await migrate(url)
    db = Database(url)
    sandbox = await start_sandbox(port=0, token=TOKEN)
    watch = Watch(sandbox)
    process = None
    total = options.reminders + options.steady + options.paced
    try:
        targets = await build_world(db, total)
        for target in targets:  # every recipient is a chat the sandbox knows
            sandbox.sandbox.register_user({"id": target["user_id"], "first_name": "벤치"})
        burst = targets[: options.reminders]
        steady = targets[options.reminders : options.reminders + options.steady]
        paced = targets[options.reminders + options.steady :]

        process = start_process(
            ["-m", "bot", "run"], bot_env(url, sandbox.api_base, 1000), folder / "unlimited.log"
        )
        await wait_for_polling(watch, process)
        now = utcnow()
        burst_result = await run_phase(db, watch, process, burst, [now] * len(burst), "burst")
        start = utcnow() + timedelta(seconds=1)
        steady_due = [
            start + timedelta(seconds=n / options.steady_rate) for n in range(len(steady))
        ]
        steady_result = await run_phase(db, watch, process, steady, steady_due, "steady")
        await stop_process(process)

        process = start_process(
            ["-m", "bot", "run"], bot_env(url, sandbox.api_base, None), folder / "paced.log"
        )
        await wait_for_polling(watch, process)
        sandbox.sandbox.delay_ms = options.paced_delay_ms
        now = utcnow()
        paced_result = await run_phase(db, watch, process, paced, [now] * len(paced), "paced")
        await stop_process(process)
        process = None
        statuses = await count_statuses(db)
    finally:
        if process is not None:
            await stop_process(process)
        await sandbox.stop()
        await db.dispose()
    phases = (burst_result, steady_result, paced_result)
    return {
        "reminders": total,
        "sent": statuses.get("sent", 0),
        "not_sent": sum(v for k, v in statuses.items() if k != "sent"),
        "duplicates": sum(p["duplicates"] for p in phases),
        "lost": sum(p["lost"] for p in phases),
        "unlimited_per_s": burst_result["per_s"],
        "paced_per_s": paced_result["per_s"],
        "paced_api_delay_ms": options.paced_delay_ms,
        "p95_lateness_s": steady_result["p95_lateness_s"],
        "burst_p95_lateness_s": burst_result["p95_lateness_s"],
    }


async def fresh_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def run(options) -> dict:
    return await on_both_databases(measure, options)


async def on_both_databases(measure, options) -> dict:
    """`measure(url, folder, options)` on a fresh SQLite file, then (unless --sqlite-only)
    on TEST_POSTGRES_URL's database made empty, its keys prefixed `pg_`."""
    result = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sqlite = await measure(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}", folder, options)
        result |= sqlite
        postgres = os.environ.get("TEST_POSTGRES_URL")
        if postgres and not options.sqlite_only:
            await fresh_postgres(postgres)
            pg = await measure(postgres, folder, options)
            result |= {f"pg_{key}": value for key, value in pg.items()}
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reminders")
    parser.add_argument("--reminders", type=int, default=10_000, help="due at once, unlimited")
    parser.add_argument("--steady", type=int, default=2_000, help="falling due one by one")
    parser.add_argument("--steady-rate", type=float, default=100.0, help="per second")
    parser.add_argument("--paced", type=int, default=600, help="due at once, SEND_RATE 30")
    parser.add_argument(
        "--paced-delay-ms", type=int, default=100, help="Bot API answer delay while paced"
    )
    parser.add_argument("--sqlite-only", action="store_true", help="skip TEST_POSTGRES_URL")
    options = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(options))))
    return 0
