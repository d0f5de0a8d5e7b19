"""The real bot on the big world (bench/botrun.py): how long it takes to answer its first
update, whether tomorrow's day-before reminders fit their evening at Telegram's 30 a second,
how fast it chats while they go out, and how much memory it holds then.

- start-up: a student's /my waits in the sandbox before the bot starts; the time from
  starting the process to its answer.
- the reminders' plan: each of tomorrow's confirmed bookings gets its due time from the
  bot's own planner (storage.reminders.student_plan, spread over 18:00-19:00); sending them
  one after another at 30 a second from those times gives the last one's send time and the
  longest any waited (`plan_*`). Its yardstick: the same bookings all due at 18:00, as they
  were before the spread.
- the send: the plan's busiest minute, its rows written to the outbox due from now on with
  the same gaps, sent by the bot at its default SEND_RATE (30) while students chat at
  `chat_rate` updates a second (/my, a search word, /help): `send_p95_lateness_s` and the
  chat's p50/p95/p99 from the sandbox queuing each update to the bot's first answer.
- memory: the bot's resident set (VmRSS) after all of that.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select

from bench.botrun import BotRun
from bench.common import insert_rows, percentile
from bench.scale.world import Built, student_id
from bench.search import make_queries
from bench.updates import Driver, SimUser, Step, latencies, latency_phase
from storage import reminders
from storage.models import Booking, Reminder, Session, utcnow

TOKEN = "700000018:BENCH-scale-token-for-the-sandbox"
SEND_RATE = 30
WINDOW_SECONDS = 60
TZ = reminders.CITY_TZ


async def measure(url: str, folder: Path, built: Built, chat_rate: float) -> dict:
    async with BotRun(url, folder, TOKEN) as run:
        plan = await planned(run.db, built)
        result = plan_figures(plan)
        result |= await start_up(run, built)
        result |= await send_while_chatting(run, built, plan, chat_rate)
        result["rss_mb"] = resident_mb(run.process.pid)
    return result


# ----- start-up -------------------------------------------------------------------------------


async def start_up(run: BotRun, built: Built) -> dict:
    student = student_id(built.students - 1)
    async with Driver(run.server.url, TOKEN) as driver:
        answered = await driver.send(SimUser(student, [Step("text", "/my")]))
        started = time.monotonic()
        await run.start_bot(None, "bot.log")
        await asyncio.wait_for(answered, timeout=60)
        return {"start_to_first_answer_s": round(time.monotonic() - started, 2)}


# ----- the day-before reminders ---------------------------------------------------------------


async def planned(db, built: Built) -> list[tuple[datetime, int, int, int]]:
    """(due, booking, student, session) of tomorrow's confirmed bookings, as the bot plans."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(Booking.id, Booking.student_id, Booking.session_id, Session.starts_at)
            .join(Session, Session.id == Booking.session_id)
            .where(Session.id.in_(built.next_day_sessions), Booking.status == "confirmed")
        )
        found = rows.all()
    plan = []
    for row in found:
        session = SimpleNamespace(starts_at=row.starts_at, online=False)
        (day_before,) = [
            p
            for p in reminders.student_plan(row.id, row.student_id, session, TZ)
            if p.kind == "student_day_before"
        ]
        plan.append((day_before.due_at, row.id, row.student_id, row.session_id))
    return sorted(plan)


def paced(dues: list[datetime]) -> tuple[datetime, float]:
    """Sent one after another at SEND_RATE from their due times: the last send and the
    longest wait (seconds)."""
    gap = timedelta(seconds=1 / SEND_RATE)
    sent, longest = None, 0.0
    for due in sorted(dues):
        sent = due if sent is None or sent + gap < due else sent + gap
        longest = max(longest, (sent - due).total_seconds())
    return sent, longest


def plan_figures(plan: list[tuple[datetime, int, int, int]]) -> dict:
    dues = [p[0] for p in plan]
    evening = datetime.combine(dues[0].astimezone(TZ).date(), clock_time(18), TZ)
    last, longest = paced(dues)
    _, unspread = paced([evening] * len(dues))
    per_second = Counter(int((d - evening).total_seconds()) for d in dues)
    return {
        "reminders": len(plan),
        "plan_last_sent_after_18h_min": round((last - evening).total_seconds() / 60, 1),
        "plan_longest_wait_s": round(longest, 2),
        "plan_peak_due_per_s": max(per_second.values()),
        "unspread_longest_wait_s": round(unspread, 1),
    }


def busiest_minute(plan: list[tuple[datetime, int, int, int]]) -> list[tuple[float, int, int, int]]:
    """The plan's busiest WINDOW_SECONDS: (seconds from its start, booking, student, session)."""
    dues = [p[0] for p in plan]
    best, best_count, j = 0, 0, 0
    for i, due in enumerate(dues):
        while dues[j] < due - timedelta(seconds=WINDOW_SECONDS):
            j += 1
        if i - j + 1 > best_count:
            best, best_count = j, i - j + 1
    start = dues[best]
    return [((p[0] - start).total_seconds(), *p[1:]) for p in plan[best : best + best_count]]


async def send_while_chatting(run: BotRun, built: Built, plan, chat_rate: float) -> dict:
    window = busiest_minute(plan)
    run.add_users(student for _, _, student, _ in window)
    begin = utcnow() + timedelta(seconds=3)
    due = {student: begin + timedelta(seconds=offset) for offset, _, student, _ in window}
    rows = [
        {
            "kind": "student_day_before",
            "user_id": student,
            "booking_id": booking,
            "session_id": session,
            "due_at": due[student],
            "status": "pending",
            "attempts": 0,
            "key": f"student_day_before:{booking}",
            "created_at": utcnow(),
        }
        for _, booking, student, session in window
    ]
    await insert_rows(run.db, {Reminder: rows}, chunk=2_000)
    chatting = chatters(built, int(chat_rate * WINDOW_SECONDS) // 4, set(due))
    async with Driver(run.server.url, TOKEN) as driver:
        await latency_phase(driver, chatting, chat_rate)
        chat = await latencies(driver, chatting)
    found = await run.watch.until_all(set(due), run.process, "the reminders")
    late = [found[s][0] - due[s].timestamp() for s in found]
    return {
        "sent_window_s": WINDOW_SECONDS,
        "sent": len(found),
        "sent_lost": len(due) - len(found),
        "send_p95_lateness_s": round(percentile(late, 95), 2),
        "chat_per_s": chat_rate,
        "chat_p50_ms": chat["p50_ms"],
        "chat_p95_ms": chat["p95_ms"],
        "chat_p99_ms": chat["p99_ms"],
        "chat_unanswered": chat["unanswered"],
    }


def chatters(built: Built, count: int, busy: set[int]) -> list[SimUser]:
    """Students who get no reminder now (their ids from the top), four updates each."""
    words = [q[1] for q in make_queries(built.demo, count) if q[1]]
    others = (student_id(n) for n in range(built.students - 2, -1, -1))
    ids = [s for s in others if s not in busy][:count]
    texts = ("/my", None, "/help", "/my")  # None: a search word
    return [
        SimUser(student, [Step("text", t or words[n % len(words)]) for t in texts])
        for n, student in enumerate(ids)
    ]


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")
