"""python -m bench cases: mediation cases relayed by the real bot through the sandbox.

The bot runs as a separate process (`python -m bot run`) against the sandbox served in this
process, on a fresh database of schools (one teacher each), sites (one person each) in one
district with sessions tomorrow, parent monitors of that district and students with
confirmed bookings. Every person has a Telegram username in the sandbox.

- open: OPEN cases opened at once through storage.cases.open_case, exactly as the last
  button of the /cases flow does (a student's question about the schedule), each told to
  its teacher, site and mediator through the outbox, the send rate lifted: open_told_s,
  from the commit to the last notice received. (It runs at 10:00 in Seoul, as every
  benchmark does: bench/clock.py; students' quiet hours hold nothing back.)
  Every person has several cases and Telegram's one-a-second per chat holds them: the floor
  is open_busiest_chat (the most notices one chat got) in seconds, plus up to one 5-second
  tick of the clock (this process writes; the bot's own handlers would wake it at once).
- conversation: the bot restarted with the default SEND_RATE (30), the sandbox answering
  every call after 100 ms as Telegram does from afar. The mediator writes to every case;
  then REPLIES students answer the relayed message with Telegram's reply, 5 a second:
  relay_p50_ms / relay_p95_ms, from a student's message reaching the sandbox to its copy
  reaching the mediator (the update handled, the post committed with its outbox rows, the
  sender woken, the copy paced and sent).
- privacy: every text, caption and button the bot sent to a chat, checked for any other
  person's user id or username: leaks (must be 0).
- clock: CLOCK open cases with their service level ahead and 1% of them due:
  sla_tick_ms, one tick of storage.cases.check_service_levels reminding the due ones (the
  median of five, each on fresh due cases), and sla_idle_tick_ms with nothing due.

`lost` and `duplicates` compare each chat's messages with the outbox rows written for it.
Runs on a fresh SQLite file and, when TEST_POSTGRES_URL is set, also on that database (its
public schema is dropped and rebuilt), with the same keys prefixed `pg_`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

from bench import reminders
from bench.reminders import bot_env, on_both_databases, percentile, user_row
from bench.updates import start_process, stop_process
from handlers.cases import buttons as case_buttons
from sandbox.server import start_sandbox
from storage import cases
from storage.db import Database
from storage.migrate import migrate
from storage.models import (
    Booking,
    Case,
    Monitor,
    Program,
    Reminder,
    School,
    Session,
    Site,
    User,
    utcnow,
)

TOKEN = "700000005:BENCH-cases-token-for-the-sandbox"
FIRST_ID = 6_000_000  # user ids: 7 digits, never found by chance in a text
DISTRICT = "덕양구"
SCHOOLS = 20
SITES = 20
MONITORS = 10
REPLY_EVERY = 0.2
WAIT_SECONDS = 180


def _replies_to_case(markup: dict | None) -> bool:
    """The message carries a case's reply button: Telegram's reply to it goes to the case."""
    rows = (markup or {}).get("inline_keyboard", [])
    return any(
        case_buttons.REPLY.match(button.get("callback_data") or "") is not None
        for row in rows
        for button in row
    )


class World:
    """Who is who: ids by role, each student's booking, and every person's username."""

    def __init__(self) -> None:
        self.students: list[int] = []
        self.teachers: list[int] = []
        self.site_people: list[int] = []
        self.monitors: list[int] = []
        self.booking_of: dict[int, int] = {}

    @property
    def everyone(self) -> list[int]:
        return [*self.students, *self.teachers, *self.site_people, *self.monitors]

    @staticmethod
    def username(user_id: int) -> str:
        return f"bench_user_{user_id}"


async def build_world(db: Database, students: int) -> World:
    now = utcnow()
    world = World()
    next_id = iter(range(FIRST_ID, FIRST_ID + 1_000_000))
    school_rows = [
        {"id": n + 1, "name": f"벤치중학교{n}", "district": DISTRICT} for n in range(SCHOOLS)
    ]
    site_rows = [
        {"id": n + 1, "name": f"벤치 체험처 {n}", "kind": "public", "district": DISTRICT}
        | {"safety_status": "passed"}
        for n in range(SITES)
    ]
    program_rows = [
        {"id": n + 1, "external_key": f"벤치 체험처 {n}|방송 체험", "site_id": n + 1}
        | {"title": f"방송 체험 {n}", "type": "job_practice", "field": "방송영상"}
        | {"district": DISTRICT, "online": False, "capacity": 1000}
        for n in range(SITES)
    ]
    starts = now + timedelta(days=1)
    session_rows = [
        {
            "id": n + 1,
            "program_id": n + 1,
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
        }
        | {"capacity": 1000, "booked": 0}
        for n in range(SITES)
    ]
    user_rows, booking_rows, monitor_rows = [], [], []
    for n in range(SCHOOLS):
        world.teachers.append(next(next_id))
        user_rows.append(user_row(world.teachers[-1], "teacher", f"박선생{n}", school_id=n + 1))
    for n in range(SITES):
        world.site_people.append(next(next_id))
        user_rows.append(user_row(world.site_people[-1], "site", f"김담당{n}", site_id=n + 1))
    for n in range(MONITORS):
        world.monitors.append(next(next_id))
        user_rows.append(user_row(world.monitors[-1], "monitor", f"최지원{n}"))
        monitor_rows.append({"user_id": world.monitors[-1], "district": DISTRICT})
    for n in range(students):
        student = next(next_id)
        world.students.append(student)
        user_rows.append(user_row(student, "student", f"이학생{n}", school_id=n % SCHOOLS + 1))
        session = session_rows[n % SITES]
        session["booked"] += 1
        booking_rows.append(
            {"id": n + 1, "session_id": session["id"], "student_id": student}
            | {"school_id": n % SCHOOLS + 1, "booked_by": student, "status": "confirmed"}
            | {"created_at": now}
        )
        world.booking_of[student] = n + 1
    for row in user_rows:  # teachers cover every grade
        row["grades"] = "" if row["role"] == "teacher" else None
    async with db.write() as conn:
        for model, rows in (
            (School, school_rows),
            (Site, site_rows),
            (Program, program_rows),
            (Session, session_rows),
            (User, user_rows),
            (Monitor, monitor_rows),
            (Booking, booking_rows),
        ):
            await conn.execute(insert(model), rows)
    return world


async def person(conn, user_id: int):
    return (await conn.execute(select(User.__table__).where(User.id == user_id))).one()


# ----- watching the sandbox -------------------------------------------------------------------


class Watch(reminders.Watch):
    def __init__(self, sandbox) -> None:
        super().__init__(sandbox)
        self.sandbox = sandbox.sandbox
        self.bot = sandbox.sandbox.bot(TOKEN)

    def sent(self):
        """Every successful message the bot sent: (chat id, sandbox time, call)."""
        for method in ("sendMessage", "sendPhoto"):
            for call in self.bot.calls_by_method.get(method, []):
                if call["ok"]:
                    yield call["params"].get("chat_id"), call["t"], call

    def per_chat(self) -> Counter:
        return Counter(chat for chat, _, _ in self.sent())

    def relay_target(self, student: int) -> int | None:
        """The message id of the last relayed case message in the student's chat."""
        chat = self.bot.chats.get(student)
        if chat is None:
            return None
        for message_id, message in reversed(chat.messages.items()):
            if message.from_bot and _replies_to_case(message.reply_markup):
                return message_id
        return None

    async def reply_ms(self, student: int, target: int, marker: str, mediator: int) -> float:
        """The student answers `target` with Telegram's reply; milliseconds until the copy
        carrying `marker` reaches the mediator."""
        profile = {"id": student, "first_name": "학생", "username": World.username(student)}
        body = {"user": profile, "text": f"네, 알겠어요 {marker}", "reply_to_message_id": target}
        began = time.monotonic()
        self.sandbox.user_message(self.bot, body)
        while time.monotonic() - began < 60:
            for chat, at, call in self.sent():
                if chat == mediator and at >= began and marker in call["params"].get("text", ""):
                    return (at - began) * 1000
            await asyncio.sleep(0.005)
        return 60_000.0  # counted as very slow rather than hidden


def leaks(watch: Watch, world: World) -> int:
    """Messages to a chat that carry another person's user id or username anywhere."""
    marks = {user_id: (str(user_id), World.username(user_id)) for user_id in world.everyone}
    found = 0
    for chat, _, call in watch.sent():
        params = call["params"]
        shown = " ".join(str(params.get(key) or "") for key in ("text", "caption", "reply_markup"))
        for user_id, (number, name) in marks.items():
            if user_id != chat and (number in shown or name in shown):
                found += 1
    return found


async def outbox_per_chat(db: Database) -> Counter:
    async with db.read() as conn:
        rows = await conn.execute(
            select(Reminder.user_id, func.count())
            .where(Reminder.case_id.is_not(None), Reminder.status == "sent")
            .group_by(Reminder.user_id)
        )
        return Counter(dict(rows.all()))


async def until_settled(db: Database, process, what: str) -> None:
    """Until no case notice is left to send."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        async with db.read() as conn:
            waiting = await conn.scalar(
                select(func.count()).where(
                    Reminder.case_id.is_not(None), Reminder.status.in_(("pending", "sending"))
                )
            )
        if not waiting:
            await asyncio.sleep(1.0)  # a duplicate, if any, would arrive meanwhile
            return
        if process.poll() is not None:
            raise RuntimeError(f"the bot exited during {what}; see its log")
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{what}: case notices still waiting after {WAIT_SECONDS} s")


# ----- the phases -----------------------------------------------------------------------------


async def open_cases(db: Database, world: World, count: int) -> list[int]:
    async with db.write() as conn:
        opened = []
        for student in world.students[:count]:
            opener = await person(conn, student)
            done = await cases.open_case(
                conn,
                world.booking_of[student],
                opener,
                "schedule",
                "체험 시간을 바꿀 수 있을까요?",
                now=utcnow(),
            )
            opened.append(done.case_id)
    return opened


async def mediators_write(db: Database, case_ids: list[int]) -> dict[int, int]:
    """The mediator of each case writes to everyone; case id -> mediator."""
    mediator_of = {}
    async with db.write() as conn:
        for case_id in case_ids:
            found = await cases.get(conn, case_id)
            mediator = await person(conn, found.monitor_id)
            await cases.post(
                conn, case_id, mediator, "내일 오후 3시로 옮기면 어떨까요?", now=utcnow()
            )
            mediator_of[case_id] = found.monitor_id
    return mediator_of


async def clock(db: Database, world: World, count: int) -> dict:
    """CLOCK open cases, due in a day; each measured tick first makes 1% of them due."""
    now = utcnow()
    rows = [
        {"booking_id": None, "session_id": 1, "site_id": 1, "school_id": 1}
        | {"student_id": None, "kind": "other", "status": "open", "opened_role": "site"}
        | {"opened_at": now, "monitor_id": world.monitors[n % MONITORS], "assigned_at": now}
        | {"due_at": now + timedelta(days=1), "due_what": "mediator", "due_step": 0}
        for n in range(count)
    ]
    async with db.write() as conn:
        for start in range(0, len(rows), 2000):
            await conn.execute(insert(Case), rows[start : start + 2000])
        first = await conn.scalar(select(func.min(Case.id)).where(Case.kind == "other"))
    due = max(1, count // 100)
    ticks, idle = [], []
    for round_ in range(5):
        async with db.write() as conn:  # 1% fall due, as time would make them
            ids = range(first + round_ * due, first + (round_ + 1) * due)
            await conn.execute(
                update(Case).where(Case.id.in_(list(ids))).values(due_at=now - timedelta(seconds=1))
            )
        for _ in range(-(-due // 50)):  # one tick reminds at most 50
            began = time.perf_counter()
            async with db.write() as conn:
                await cases.check_service_levels(conn, now=utcnow())
            ticks.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        async with db.write() as conn:
            acted = await cases.check_service_levels(conn, now=utcnow())
        idle.append((time.perf_counter() - began) * 1000)
        assert not acted, "a due case was left for the idle tick"
    return {
        "clock_open_cases": count,
        "sla_tick_ms": round(statistics.median(ticks), 1),
        "sla_idle_tick_ms": round(statistics.median(idle), 1),
    }


# ----- one database ---------------------------------------------------------------------------


async def measure(url: str, folder: Path, options) -> dict:
    await migrate(url)
    db = Database(url)
    sandbox = await start_sandbox(port=0, token=TOKEN)
    watch = Watch(sandbox)
    process = None
    try:
        world = await build_world(db, options.open)
        for user_id in world.everyone:
            sandbox.sandbox.register_user(
                {"id": user_id, "first_name": "벤치", "username": World.username(user_id)}
            )
        env = bot_env(url, sandbox.api_base, 1000, TOKEN)
        process = start_process(["-m", "bot", "run"], env, folder / "cases-open.log")
        await reminders.wait_for_polling(watch, process)
        began = time.monotonic()
        case_ids = await open_cases(db, world, options.open)
        await until_settled(db, process, "open")
        open_told_s = max(t for _, t, _ in watch.sent()) - began
        open_busiest = max(watch.per_chat().values())
        await stop_process(process)

        process = start_process(
            ["-m", "bot", "run"], bot_env(url, sandbox.api_base, None, TOKEN), folder / "cases.log"
        )
        await reminders.wait_for_polling(watch, process)
        sandbox.sandbox.delay_ms = options.delay_ms
        mediator_of = await mediators_write(db, case_ids)
        await until_settled(db, process, "the mediators' messages")
        waits = []
        for n, (student, case_id) in enumerate(zip(world.students, case_ids, strict=False)):
            if n >= options.replies:
                break
            target = watch.relay_target(student)
            if target is None:
                raise RuntimeError(f"student {n} got no relayed message to answer")
            reply = asyncio.create_task(
                watch.reply_ms(student, target, f"#r{n}#", mediator_of[case_id])
            )
            waits.append(reply)
            await asyncio.sleep(REPLY_EVERY)
        waits = await asyncio.gather(*waits)
        await until_settled(db, process, "the replies")
        await stop_process(process)
        process = None

        expected, got = await outbox_per_chat(db), watch.per_chat()
        # The bot also answered each student's reply in their own chat ("sent"): not outbox.
        for student in world.students[: options.replies]:
            got[student] -= 1
        figures = {
            "cases": len(case_ids),
            "notices": sum(expected.values()),
            "lost": sum(max(0, expected[c] - got[c]) for c in expected),
            "duplicates": sum(max(0, got[c] - expected[c]) for c in got if c in expected),
            "leaks": leaks(watch, world),
            "open_told_s": round(open_told_s, 2),
            "open_busiest_chat": open_busiest,
            "replies": len(waits),
            "paced_api_delay_ms": options.delay_ms,
            "relay_p50_ms": round(percentile(waits, 50), 1),
            "relay_p95_ms": round(percentile(waits, 95), 1),
        }
        figures |= await clock(db, world, options.clock)
    finally:
        if process is not None:
            await stop_process(process)
        await sandbox.stop()
        await db.dispose()
    return figures


async def run(options) -> dict:
    return await on_both_databases(measure, options)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cases")
    parser.add_argument("--open", type=int, default=200, help="cases opened at once")
    parser.add_argument("--replies", type=int, default=60, help="students answering, paced")
    parser.add_argument("--clock", type=int, default=10_000, help="open cases for the clock")
    parser.add_argument("--delay-ms", type=int, default=100, help="Bot API answer delay, paced")
    parser.add_argument("--sqlite-only", action="store_true", help="skip TEST_POSTGRES_URL")
    options = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(options))))
    return 0
