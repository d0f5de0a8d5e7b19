"""python -m bench broadcast: a staff announcement delivered through the sandbox by the real bot.

The bot runs as a separate process (`python -m bot run`) against the sandbox served in this
process, on a fresh database of students, one chat each. Each phase's broadcast is confirmed
through storage.broadcasts exactly as the last button of /broadcast does (every delivery
written in one transaction, to the students of one school); the bot's outbox sends it. It
runs at 10:00 in Seoul, as every benchmark does (bench/clock.py), so the students' copies
are due at once: the broadcasts are ordinary ones, not urgent.

- unlimited: 10,000 recipients with SEND_RATE=1000 (the limit lifted): unlimited_per_s, from
  the first copy received to the last.
- paced: the bot restarted with the default SEND_RATE (30), 900 recipients, the sandbox
  answering every call after 100 ms as Telegram does from afar. Meanwhile a student who is
  not a recipient writes to the bot every half second: reply_p95_ms_during_broadcast, from
  the message reaching the sandbox to the bot's answer reaching it. The replies count
  against the same 30 a second (Telegram counts every message), so paced_per_s is every
  message the bot sent a second while the broadcast went out, and paced_copies_per_s the
  broadcast's share of it.

The yardstick: as many messages sent by bench/sink.py, a process that only sends (8 at a
time, as the bot's outbox): sink_per_s, and unlimited_ratio = unlimited_per_s / sink_per_s
(target 0.5).

`delivered` counts deliveries marked sent; `lost` recipients whose chat got no copy;
`duplicates` copies beyond the one each should get. Runs on a fresh SQLite file and, when
TEST_POSTGRES_URL is set, also on that database (its public schema is dropped and rebuilt),
with the same keys prefixed `pg_`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from bench import botrun
from bench.botrun import BotRun
from bench.common import insert_rows, main_on_both_databases, percentile, tally
from storage import broadcasts
from storage.db import Database
from storage.models import Reminder, School, User, utcnow

TOKEN = "700000004:BENCH-broadcast-token-for-the-sandbox"
STAFF_ID = 4_000_000
WRITER_ID = 4_000_001  # the student who keeps writing during the paced broadcast
FIRST_STUDENT = 4_100_000
SINK_CHATS = 9_000_000  # the yardstick's chats, apart from every recipient
WRITE_EVERY = 0.5


async def build_world(db: Database, unlimited: int, paced: int) -> dict[str, list[int]]:
    """Three schools: the unlimited phase's students, the paced phase's, and the writer's.
    Returns the recipients of each phase, and under "schools" the three schools' ids."""
    async with db.write() as conn:
        schools = [
            await conn.scalar(
                insert(School).values(name=f"벤치중학교{n}", district="덕양구").returning(School.id)
            )
            for n in (1, 2, 3)
        ]
    people = {"unlimited": [], "paced": [], "schools": schools}
    rows = [
        {"id": STAFF_ID, "role": "staff", "name": "시청 담당", "school_id": None, "grade": None},
        {"id": WRITER_ID, "role": "student", "name": "김민지", "school_id": schools[2], "grade": 2},
    ]
    user_id = FIRST_STUDENT
    phases = (("unlimited", unlimited), ("paced", paced))
    for school, (phase, count) in zip(schools, phases, strict=False):  # the third: the writer
        for n in range(count):
            rows.append(
                {"id": user_id, "role": "student", "name": f"학생{n}", "school_id": school}
                | {"grade": 1 + n % 3}
            )
            people[phase].append(user_id)
            user_id += 1
    await insert_rows(db, {User: [{**row, "under14": False} for row in rows]}, chunk=5000)
    return people


async def announce(db: Database, school_id: int) -> int:
    """Staff confirm a broadcast to every student of the school; its id."""
    async with db.write() as conn:
        author = (await conn.execute(select(User.__table__).where(User.id == STAFF_ID))).one()
        broadcast_id = await broadcasts.start_draft(
            conn,
            author,
            text="<b>진로체험 박람회</b> 안내: 12월 5일 고양 어울림누리",
            media_kind=None,
            media_file_id=None,
            now=utcnow(),
        )
        audience = broadcasts.Audience(roles=("student",), schools=(school_id,))
        await broadcasts.update_draft(conn, broadcast_id, author, audience=audience.to_json())
        await broadcasts.confirm(conn, broadcast_id, author, now=utcnow())
    return broadcast_id


# ----- watching the sandbox -------------------------------------------------------------------


class Watch(botrun.Watch):
    """What the sandbox (in this process) received, in its own monotonic stamps (the writer's
    replies are timed against them)."""

    def __init__(self, sandbox) -> None:
        super().__init__(sandbox)
        self.offset = 0.0

    def all_per_s(self, first: float, last: float) -> float:
        """Every message the bot sent between `first` and `last` (copies and replies), a
        second: what Telegram's limit counts."""
        sent = sum(
            1
            for call in self.bot.calls_by_method.get("sendMessage", [])
            if call["ok"] and first <= call["t"] <= last
        )
        return (sent - 1) / (last - first) if last > first else 0.0

    async def reply_ms(self, text: str) -> float:
        """The writer sends `text`; milliseconds until the bot's first answer to them."""
        profile = {"id": WRITER_ID, "first_name": "민지"}
        sent = time.monotonic()
        self.sandbox.user_message(self.bot, {"user": profile, "text": text})
        while True:
            answers = [
                call["t"]
                for call in self.bot.calls_by_method.get("sendMessage", [])
                if call["params"].get("chat_id") == WRITER_ID and call["t"] >= sent
            ]
            if answers:
                return (min(answers) - sent) * 1000
            if time.monotonic() - sent > 30:
                return 30_000.0  # counted as a very slow answer rather than hiding it
            await asyncio.sleep(0.005)


async def run_phase(db, watch, process, school_id: int, chats: list[int], phase: str) -> dict:
    await announce(db, school_id)
    found = await watch.until_all(set(chats), process, phase)
    firsts = [times[0] for times in found.values()]
    return {
        "recipients": len(chats),
        **tally(set(chats), found),
        "all_per_s": round(watch.all_per_s(min(firsts), max(firsts)), 1) if firsts else 0.0,
    }


async def keep_writing(watch: Watch, stop: asyncio.Event) -> list[float]:
    waits = []
    while not stop.is_set():
        waits.append(await watch.reply_ms("/help"))
        try:
            await asyncio.wait_for(stop.wait(), WRITE_EVERY)
        except TimeoutError:
            pass
    return waits


# ----- one database ---------------------------------------------------------------------------


async def measure(url: str, folder: Path, options) -> dict:
    async with BotRun(url, folder, TOKEN, Watch) as run:
        db, watch = run.db, run.watch
        people = await build_world(db, options.recipients, options.paced)
        run.add_users((*people["unlimited"], *people["paced"], WRITER_ID))
        process = await run.start_bot(1000, "unlimited.log")
        first, second, _ = people["schools"]
        unlimited = await run_phase(db, watch, process, first, people["unlimited"], "unlimited")
        await run.stop_bot()
        # The yardstick: as many messages from a process that only sends.
        count = len(people["unlimited"])
        sink_per_s = await run.sink(list(range(SINK_CHATS, SINK_CHATS + count)))

        process = await run.start_bot(None, "paced.log")
        run.sandbox.delay_ms = options.paced_delay_ms
        await watch.reply_ms("/help")  # the writer's first answer warms the bot's caches
        stop = asyncio.Event()
        writer = asyncio.create_task(keep_writing(watch, stop))
        paced = await run_phase(db, watch, process, second, people["paced"], "paced")
        stop.set()
        waits = await writer
        await run.stop_bot()
        async with db.read() as conn:
            delivered = await conn.scalar(
                select(func.count()).where(Reminder.kind == "broadcast", Reminder.status == "sent")
            )
    return {
        "recipients": unlimited["recipients"] + paced["recipients"],
        "delivered": delivered,
        "duplicates": unlimited["duplicates"] + paced["duplicates"],
        "lost": unlimited["lost"] + paced["lost"],
        "unlimited_per_s": unlimited["per_s"],
        "sink_per_s": sink_per_s,
        "unlimited_ratio": round(unlimited["per_s"] / sink_per_s, 3) if sink_per_s else None,
        "paced_per_s": paced["all_per_s"],
        "paced_copies_per_s": paced["per_s"],
        "paced_api_delay_ms": options.paced_delay_ms,
        "replies_during_broadcast": len(waits),
        "reply_p50_ms_during_broadcast": round(percentile(waits, 50), 1),
        "reply_p95_ms_during_broadcast": round(percentile(waits, 95), 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench broadcast")
    parser.add_argument("--recipients", type=int, default=10_000, help="sent unlimited")
    parser.add_argument("--paced", type=int, default=900, help="sent at SEND_RATE 30")
    parser.add_argument(
        "--paced-delay-ms", type=int, default=100, help="Bot API answer delay while paced"
    )
    return main_on_both_databases(parser, argv, measure)
