"""python -m bench updates: how fast the bot answers, and whether one user's answers stay in order.

Simulated users talk to the real bot (a separate process) through the sandbox over HTTP:
they join as students (7 updates), send two texts at once without waiting (a double tap:
the bot must answer them in order), open /settings, switch the language and ask for /help
— 11 updates each.

- latency phase: updates offered at a fixed rate (100/s) while the sandbox answers every
  Bot API call after 30 ms, as Telegram's network does; p50/p95/p99 from the sandbox queuing
  an update to the bot's first answer to it.
- saturation phase: no delay, every user at once; handled_per_s.
- the same two phases against a bare python-telegram-bot echo bot in the same run, and
  against the echo bot making Jinro's calls (a press answered and its message edited).
- out_of_order: bursts whose answers came back in another order than the texts were sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench import clock
from bench.common import fresh_postgres
from handlers.general import LANGUAGE
from handlers.onboarding.buttons import AGE, GRADE, ROLE, SCHOOL
from sandbox.server import start_sandbox
from storage import users as users_store
from storage.db import Database
from storage.demo_data import PERSONA_SCHOOL, load_demo_data
from storage.migrate import migrate
from storage.models import utcnow

JINRO_TOKEN = "700000001:BENCH-jinro-token-for-the-sandbox"
ECHO_TOKEN = "700000002:BENCH-echo-token-for-the-sandbox"
SAME_CALLS_TOKEN = "700000003:BENCH-same-calls-token-for-the-sandbox"
FAMILY = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지하준도윤우현수영예은시아채원주연"
BURST = 2


@dataclass
class Step:
    kind: str  # "text" or "press"
    value: str  # the text, or the callback data
    press_on: int | None = None  # index of the earlier step whose answer holds the button
    burst: bool = False  # sent without waiting for the previous step's answer


def script(user_number: int, school_id: int) -> list[Step]:
    name = (
        FAMILY[user_number % len(FAMILY)]
        + GIVEN[user_number % len(GIVEN)]
        + GIVEN[(user_number // len(GIVEN)) % len(GIVEN)]
    )
    return [
        Step("text", "/start"),
        Step("press", ROLE.pack("student"), press_on=0),
        Step("text", "정발"),
        Step("press", SCHOOL.pack(school_id), press_on=2),
        Step("press", GRADE.pack(2), press_on=2),
        Step("text", name),
        Step("press", AGE.pack("n"), press_on=5),
        *(Step("text", f"메모{user_number}-{i}", burst=i > 0) for i in range(BURST)),
        Step("text", "/settings"),
        Step("press", LANGUAGE.pack("en"), press_on=7 + BURST),
        Step("text", "/help"),
    ]


@dataclass
class SimUser:
    id: int
    steps: list[Step]
    next_step: int = 0
    update_ids: list[int] = field(default_factory=list)
    answer_message: dict[int, int] = field(default_factory=dict)  # step -> bot message id


class Driver:
    """Sends users' updates through the sandbox's test API and follows the bot's answers."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.http: aiohttp.ClientSession | None = None
        # update id -> (future resolved on the bot's first answer, user, step index)
        self.waiters: dict[int, tuple[asyncio.Future, SimUser, int]] = {}
        self.bot_texts: dict[int, list[str]] = {}
        self.seq = 0
        self.follower: asyncio.Task | None = None

    async def __aenter__(self) -> Driver:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        self.follower = asyncio.create_task(self.follow())
        return self

    async def __aexit__(self, *exc) -> None:
        self.follower.cancel()
        await self.http.close()

    async def follow(self) -> None:
        """One long poll over all chats resolves whoever waits for an update's answer."""
        while True:
            async with self.http.get(
                f"{self.url}/sandbox/events",
                params={"after": self.seq, "timeout": 5, "token": self.token},
            ) as response:
                batch = await response.json()
            self.seq = batch["last_seq"]
            for event in batch["events"]:
                if event.get("actor") != "bot":
                    continue
                if event.get("text") is not None and event["method"] == "sendMessage":
                    self.bot_texts.setdefault(event["chat_id"], []).append(event["text"])
                update_id = event.get("update_id")
                waiting = self.waiters.pop(update_id, None)
                if waiting is None:
                    continue
                waiter, user, step = waiting
                if event.get("message_id"):
                    # Recorded before the waiter resolves: the next step may press on it.
                    user.answer_message[step] = event["message_id"]
                waiter.set_result(None)
            # Gather events for a moment: one poll per event would cost the sandbox (same
            # process) more than the bot. Latency is timed by the sandbox, not here.
            await asyncio.sleep(0.005)

    async def send(self, user: SimUser) -> asyncio.Future:
        """Send the user's next step; returns a future resolved when the bot answers it."""
        index = user.next_step
        step = user.steps[index]
        user.next_step += 1
        profile = {"id": user.id, "first_name": "Bench", "language_code": "ko"}
        if step.kind == "text":
            path, body = "/sandbox/message", {"user": profile, "text": step.value}
        else:
            message_id = user.answer_message[step.press_on]
            path, body = (
                "/sandbox/callback",
                {"user": profile, "message_id": message_id, "data": step.value},
            )
        async with self.http.post(
            f"{self.url}{path}", json=body, params={"token": self.token}
        ) as response:
            answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"sandbox refused {path}: {answer}")
        update_id = answer["update_id"]
        user.update_ids.append(update_id)
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[update_id] = (waiter, user, index)
        return waiter


async def run_user_closed_loop(driver: Driver, user: SimUser) -> None:
    pending: list[asyncio.Future] = []
    while user.next_step < len(user.steps):
        step = user.steps[user.next_step]
        if not step.burst and pending:
            await asyncio.gather(*pending)
            pending = []
        pending.append(await driver.send(user))
    await asyncio.gather(*pending)


async def latency_phase(driver: Driver, users: list[SimUser], rate: float) -> None:
    """Open loop: one update every 1/rate seconds, from users whose earlier step is answered."""
    waiting: dict[int, list[asyncio.Future]] = {u.id: [] for u in users}
    interval = 1 / rate
    start = time.monotonic()
    sent = 0
    remaining = list(users)
    cursor = 0
    while remaining:
        cursor %= len(remaining)
        user = remaining[cursor]
        step = user.steps[user.next_step]
        ready = step.burst or all(f.done() for f in waiting[user.id])
        if not ready:
            cursor += 1
            if cursor >= len(remaining):
                await asyncio.sleep(0.001)
            continue
        due = start + sent * interval
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if not step.burst:
            waiting[user.id] = []
        waiting[user.id].append(await driver.send(user))
        sent += 1
        if user.next_step >= len(user.steps):
            remaining.remove(user)
        elif not user.steps[user.next_step].burst:
            cursor += 1
    await asyncio.gather(*(f for fs in waiting.values() for f in fs))


async def saturation_phase(driver: Driver, users: list[SimUser]) -> float:
    start = time.monotonic()
    await asyncio.gather(*(run_user_closed_loop(driver, u) for u in users))
    return sum(len(u.update_ids) for u in users) / (time.monotonic() - start)


async def latencies(driver: Driver, users: list[SimUser]) -> dict:
    wanted = {uid for u in users for uid in u.update_ids}
    async with driver.http.get(
        f"{driver.url}/sandbox/updates/stats", params={"token": driver.token}
    ) as response:
        stats = await response.json()
    rows = stats["updates"] if isinstance(stats, dict) else stats
    ms = sorted(
        (r["answered_at"] - r["queued_at"]) * 1000
        for r in rows
        if r["update_id"] in wanted and r["answered_at"] is not None
    )
    unanswered = len(wanted) - len(ms)

    def pct(p):
        return round(ms[min(len(ms) - 1, int(p / 100 * len(ms)))], 1)

    return {"p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "unanswered": unanswered}


def out_of_order(driver: Driver, users: list[SimUser]) -> int:
    """Bursts whose answers did not come back in the order the texts were sent."""
    bad = 0
    for user in users:
        texts = driver.bot_texts.get(user.id, [])
        seen = [int(m.group(1)) for t in texts if (m := re.search(rf"메모{user.id}-(\d)", t))]
        if seen != list(range(BURST)):
            bad += 1
    return bad


def start_process(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """Start a bot process (`python ARGS`) on the benchmark's clock, in the city's time zone
    (bench/clock.py); its output goes to a file (a pipe nobody reads would fill up).

    BENCH_PROFILE_DIR set: every bot process any benchmark starts runs under cProfile, its
    profile written there when it stops, named after its log (`bot.prof` for `bot.log`)."""
    profiles = os.environ.get("BENCH_PROFILE_DIR")
    if profiles and args[:2] == ["-m", "bot"]:
        args = ["-m", "cProfile", "-o", str(Path(profiles) / f"{log.stem}.prof"), *args]
    with log.open("wb") as output:
        return subprocess.Popen(
            clock.command(args),
            env={**os.environ, **clock.CITY_ENV, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def stop_process(process: subprocess.Popen) -> None:
    """Stop a bot without blocking this loop: the sandbox it talks to while stopping runs here."""
    if process.poll() is None:
        process.terminate()
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), timeout=30)
        except TimeoutError:
            process.kill()


async def wait_for_polling(driver: Driver, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"the bot exited with code {process.returncode}; see its log")
        async with driver.http.get(
            f"{driver.url}/sandbox/calls", params={"method": "getUpdates", "token": driver.token}
        ) as r:
            calls = await r.json()
        if calls.get("calls") if isinstance(calls, dict) else calls:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot never polled")


def make_users(first_id: int, count: int, school_id: int) -> list[SimUser]:
    return [SimUser(first_id + n, script(first_id + n, school_id)) for n in range(count)]


async def set_delay(driver: Driver, ms: int) -> None:
    async with driver.http.post(f"{driver.url}/sandbox/config", json={"delay_ms": ms}) as r:
        r.raise_for_status()


async def measure(
    url: str,
    token: str,
    process: subprocess.Popen,
    first_id: int,
    users: tuple[int, int],
    *,
    school_id: int,
    rate: float,
    delay_ms: int,
) -> dict:
    """Both phases against one bot: `users` says how many users take part in the latency
    phase, then in the saturation phase, their ids counted from `first_id`."""
    latency_users, saturation_users = users
    async with Driver(url, token) as driver:
        await wait_for_polling(driver, process)
        await set_delay(driver, delay_ms)
        slow = make_users(first_id, latency_users, school_id)
        await latency_phase(driver, slow, rate)
        result = await latencies(driver, slow)
        await set_delay(driver, 0)
        fast = make_users(first_id + latency_users, saturation_users, school_id)
        result["handled_per_s"] = round(await saturation_phase(driver, fast), 1)
        result["out_of_order"] = out_of_order(driver, slow + fast)
        result["updates"] = sum(len(u.update_ids) for u in slow + fast)
    return result


async def prepare_database(folder: Path, database: str | None) -> tuple[str, int]:
    """The demo data on a fresh SQLite file, or on `database` (a PostgreSQL URL) made empty."""
    url = database or f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    if database:
        await fresh_postgres(database)
    await migrate(url)
    db = Database(url)
    await load_demo_data(db, now=utcnow())
    async with db.read() as conn:
        school_id = (await users_store.find_schools(conn, PERSONA_SCHOOL))[0].id
    await db.dispose()
    return url, school_id


async def run(options: argparse.Namespace) -> dict:
    random.seed(1)
    with tempfile.TemporaryDirectory() as folder:
        db_url, school_id = await prepare_database(Path(folder), options.database)
        sandbox = await start_sandbox(port=0)
        processes = []
        try:
            # --profile FILE: the bot process runs under cProfile, its profile written to FILE
            # when it stops (read it with pstats: where one update's time goes).
            profiled = ["-m", "cProfile", "-o", options.profile] if options.profile else []
            jinro = start_process(
                [*profiled, "-m", "bot", "run"],
                {
                    "BOT_TOKEN": JINRO_TOKEN,
                    "BOT_API_URL": sandbox.api_base,
                    "DATABASE_URL": db_url,
                    "WEBHOOK_URL": "",
                    "ADMIN_IDS": "",
                },
                Path(folder) / "jinro.log",
            )
            processes.append(jinro)
            # Both bots are measured alike (sandbox, school, offered rate, Bot API delay); only
            # their users and ids differ.
            alike = dict(school_id=school_id, rate=options.rate, delay_ms=options.delay_ms)
            users = (options.latency_users, options.saturation_users)
            mine = await measure(sandbox.url, JINRO_TOKEN, jinro, 1_000_000, users, **alike)
            await stop_process(jinro)
            users = (options.echo_latency_users, options.echo_saturation_users)
            echo = start_process(
                ["-m", "bench.echo_bot", ECHO_TOKEN, sandbox.api_base],
                {},
                Path(folder) / "echo.log",
            )
            processes.append(echo)
            theirs = await measure(sandbox.url, ECHO_TOKEN, echo, 2_000_000, users, **alike)
            await stop_process(echo)
            same_calls = start_process(
                ["-m", "bench.echo_bot", SAME_CALLS_TOKEN, sandbox.api_base, "--like-jinro"],
                {},
                Path(folder) / "same_calls.log",
            )
            processes.append(same_calls)
            like = await measure(
                sandbox.url, SAME_CALLS_TOKEN, same_calls, 3_000_000, users, **alike
            )
        finally:
            for process in processes:
                await stop_process(process)
            await sandbox.stop()
    return {
        "users": options.latency_users + options.saturation_users,
        "updates": mine["updates"],
        "offered_per_s": options.rate,
        "api_delay_ms": options.delay_ms,
        "p50_ms": mine["p50_ms"],
        "p95_ms": mine["p95_ms"],
        "p99_ms": mine["p99_ms"],
        "unanswered": mine["unanswered"],
        "out_of_order": mine["out_of_order"],
        "handled_per_s": mine["handled_per_s"],
        "echo_p99_ms": theirs["p99_ms"],
        "echo_handled_per_s": theirs["handled_per_s"],
        "ratio": round(mine["handled_per_s"] / theirs["handled_per_s"], 3),
        # An echo bot making Jinro's Bot API calls (a press answered and edited): how much of
        # the gap is the calls Jinro's screens need rather than Jinro's own work.
        "same_calls_handled_per_s": like["handled_per_s"],
        "same_calls_ratio": round(mine["handled_per_s"] / like["handled_per_s"], 3),
        "database": "postgresql" if options.database else "sqlite",
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench updates")
    parser.add_argument("--rate", type=float, default=100.0, help="updates/s offered")
    parser.add_argument("--delay-ms", type=int, default=30, help="Bot API answer delay")
    parser.add_argument("--latency-users", type=int, default=200)
    parser.add_argument("--saturation-users", type=int, default=800)
    parser.add_argument("--echo-latency-users", type=int, default=50)
    parser.add_argument("--echo-saturation-users", type=int, default=400)
    parser.add_argument(
        "--database",
        metavar="URL",
        nargs="?",
        const=os.environ.get("TEST_POSTGRES_URL"),
        help="a PostgreSQL URL (alone: TEST_POSTGRES_URL), its schema dropped and rebuilt",
    )
    parser.add_argument("--profile", metavar="FILE", help="run the bot under cProfile into FILE")
    options = parser.parse_args(argv)
    if "--database" in argv and not options.database:
        parser.error("--database needs a URL or TEST_POSTGRES_URL")
    result = asyncio.run(run(options))
    print(json.dumps(result))
    return 0
