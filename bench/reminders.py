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

- yardstick: the same number of messages sent by bench/sink.py, a process that only sends
  (8 at a time, as the bot's outbox): sink_per_s, and unlimited_ratio = unlimited_per_s /
  sink_per_s (target 0.5).

`sent` counts rows marked sent; `lost` reminders whose chat got no message; `duplicates`
messages beyond the one each chat should get — over all phases. Runs on a fresh SQLite file
and, when TEST_POSTGRES_URL is set, also on that database (its public schema is dropped and
rebuilt), with the same keys prefixed `pg_`.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

# bench.cases imports bot_env, on_both_databases, Watch and wait_for_polling from here.
from bench.botrun import BotRun
from bench.botrun import Watch as Watch
from bench.botrun import bot_env as bot_env
from bench.botrun import wait_for_polling as wait_for_polling
from bench.common import (
    insert_rows,
    main_on_both_databases,
    percentile,
    places,
    school_rows,
    session_row,
    tally,
    user_row,
)
from bench.common import on_both_databases as on_both_databases
from storage.db import Database
from storage.models import Booking, Program, Reminder, School, Session, Site, User, utcnow

TOKEN = "700000003:BENCH-reminders-token-for-the-sandbox"
SEATS = 40  # confirmed students per session: a roster of 40 lines fits one message
SESSIONS_PER_SITE = 3
SITE_SHARE = 0.15  # the share of reminders that are a site's roster
FIRST_USER = 5_000_000
SINK_CHATS = 9_000_000  # the yardstick's chats, apart from every recipient


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
    site_rows, program_rows = places(site_count, "일산동구", capacity=SEATS)
    for n, (site, program) in enumerate(zip(site_rows, program_rows, strict=True)):
        site |= {"address": f"고양시 일산동구 중앙로 {n}", "directions": "3호선 정발산역 2번 출구"}
        program |= {"online": n % 3 == 0, "bring": "필기도구"}
    session_rows = []
    for n in range(session_count):
        program = n // SESSIONS_PER_SITE + 1
        starts = tomorrow + timedelta(hours=n % SESSIONS_PER_SITE)
        online = program_rows[program - 1]["online"]
        url = "https://meet.example/room" if online else None
        session_rows.append(session_row(n, program, starts, SEATS, online_url=url))
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
    tables = {
        School: school_rows(20),
        Site: site_rows,
        Program: program_rows,
        Session: session_rows,
        User: user_rows,
        Booking: booking_rows,
    }
    await insert_rows(db, tables)
    return interleave(targets, site_targets)


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


async def add_reminders(
    db: Database, targets: list[dict], due: list[datetime], phase: str, *, keys: bool = False
):
    """One outbox row per target; `keys`: numbered keys, so a person may have several."""
    rows = [
        {
            **target,
            "due_at": at,
            "status": "pending",
            "attempts": 0,
            "key": f"bench:{phase}:{target['kind']}:{target['user_id']}"
            + (f":{n}" if keys else ""),
            "created_at": utcnow(),
        }
        for n, (target, at) in enumerate(zip(targets, due, strict=True))
    ]
    await insert_rows(db, {Reminder: rows}, chunk=2000)


# ----- the phases -----------------------------------------------------------------------------


async def run_phase(db, watch, process, targets, due, phase: str) -> dict:
    chats = {t["user_id"] for t in targets}
    await add_reminders(db, targets, due, phase)
    found = await watch.until_all(chats, process, phase)
    due_of = {t["user_id"]: at.timestamp() for t, at in zip(targets, due, strict=True)}
    return {
        "reminders": len(targets),
        **tally(chats, found),
        "p95_lateness_s": round(percentile([found[c][0] - due_of[c] for c in found], 95), 2),
    }


async def count_statuses(db: Database) -> Counter:
    async with db.read() as conn:
        found = await conn.execute(select(Reminder.status, func.count()).group_by(Reminder.status))
        return Counter(dict(found.all()))


# ----- one database ---------------------------------------------------------------------------


async def measure(url: str, folder: Path, options) -> dict:
    total = options.reminders + options.steady + options.paced
    async with BotRun(url, folder, TOKEN) as run:
        db, watch = run.db, run.watch
        targets = await build_world(db, total)
        run.add_users(target["user_id"] for target in targets)  # every recipient's chat
        burst = targets[: options.reminders]
        steady = targets[options.reminders : options.reminders + options.steady]
        paced = targets[options.reminders + options.steady :]

        process = await run.start_bot(1000, "unlimited.log")
        now = utcnow()
        burst_result = await run_phase(db, watch, process, burst, [now] * len(burst), "burst")
        start = utcnow() + timedelta(seconds=1)
        steady_due = [
            start + timedelta(seconds=n / options.steady_rate) for n in range(len(steady))
        ]
        steady_result = await run_phase(db, watch, process, steady, steady_due, "steady")
        await run.stop_bot()
        # The yardstick: as many messages from a process that only sends.
        sink_per_s = await run.sink(list(range(SINK_CHATS, SINK_CHATS + options.reminders)))

        process = await run.start_bot(None, "paced.log")
        run.sandbox.delay_ms = options.paced_delay_ms
        now = utcnow()
        paced_result = await run_phase(db, watch, process, paced, [now] * len(paced), "paced")
        await run.stop_bot()
        statuses = await count_statuses(db)
    phases = (burst_result, steady_result, paced_result)
    return {
        "reminders": total,
        "sent": statuses.get("sent", 0),
        "not_sent": sum(v for k, v in statuses.items() if k != "sent"),
        "duplicates": sum(p["duplicates"] for p in phases),
        "lost": sum(p["lost"] for p in phases),
        "unlimited_per_s": burst_result["per_s"],
        "sink_per_s": sink_per_s,
        "unlimited_ratio": round(burst_result["per_s"] / sink_per_s, 3) if sink_per_s else None,
        "paced_per_s": paced_result["per_s"],
        "paced_api_delay_ms": options.paced_delay_ms,
        "p95_lateness_s": steady_result["p95_lateness_s"],
        "burst_p95_lateness_s": burst_result["p95_lateness_s"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reminders")
    parser.add_argument("--reminders", type=int, default=10_000, help="due at once, unlimited")
    parser.add_argument("--steady", type=int, default=2_000, help="falling due one by one")
    parser.add_argument("--steady-rate", type=float, default=100.0, help="per second")
    parser.add_argument("--paced", type=int, default=600, help="due at once, SEND_RATE 30")
    parser.add_argument(
        "--paced-delay-ms", type=int, default=100, help="Bot API answer delay while paced"
    )
    return main_on_both_databases(parser, argv, measure)
