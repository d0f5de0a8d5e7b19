"""python -m bench webhook: the bot in webhook mode, one process and two, a crash, a flood.

The sandbox (in this process) posts updates to the webhook as Telegram does: in order per
chat (a chat's next update waits for the previous one's 2xx), 40 at once, retrying until a
2xx. The bot runs as real subprocesses (`python -m bot run` with WEBHOOK_URL, on the
benchmark's clock). Users are guests sending SCRIPT's texts in turn; a guest gets a different
answer to each (learnt from a probe user per phase), so an answer names its update and a
repeat shows as the same answer twice in a row.

Phases, each on a fresh database and sandbox (bench/README.md): one_sqlite, one, two (behind
a round-robin front), two_kill (one of two SIGKILLed once a third of the updates are
acknowledged, started again KILL_PAUSE s later), flood (a wave, then another with one user
sending `--flood` texts at once). A wave offers update i of every user, then update i + 1, at
`--rate` a second. one_sqlite, one and two end with a saturation wave: all offered at once.

Per wave: sent, acked (2xx), handled (answered), lost, repeated_replies, users_out_of_order,
latency from offering an update to its first answer (the sandbox's monotonic clock) and
handled_per_s: bench/README.md says what each counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import socket
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bench.common import fresh_postgres, percentile, print_result
from bench.updates import start_process, stop_process
from sandbox.server import RunningSandbox, start_sandbox
from storage import inbox
from storage.db import Database
from storage.migrate import migrate

TOKEN = "700000003:BENCH-webhook-token-for-the-sandbox"
SECRET = "bench-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
LEASE_SECONDS = 15  # INBOX_LEASE_SECONDS, the default
KILL_PAUSE = 3.0  # seconds between the kill and the new start
SCRIPT = ("/help", "/settings", "/cancel", "/my", "안녕하세요")  # five answers a guest tells apart
PROBE, FLOODER, FIRST_USER, WAVE_IDS = 2_999_998, 2_999_999, 3_000_000, 100_000
DEFAULT_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
RATE = 30.0  # updates/s offered by default: what the bot carries here on PostgreSQL
START_SECONDS = 60  # a bot process not serving its webhook by then has failed
SETTLE_CAP = 900  # seconds a wave's answers may take after its last offer, at most


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def listening(port: int) -> bool:
    with contextlib.suppress(OSError):
        (await asyncio.open_connection("127.0.0.1", port))[1].close()
        return True
    return False


class Front:
    """A load balancer, as in tests/test_webhook_crash_e2e.py: each request to the next bot
    process in turn; one that cannot be reached (killed) gives a 502 and the sandbox retries."""

    def __init__(self, ports: list[int]) -> None:
        self.targets = itertools.cycle(ports)

    async def start(self) -> str:
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/hook", self.forward)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            "Content-Type": request.headers.get("Content-Type", "application/json"),
            SECRET_HEADER: request.headers.get(SECRET_HEADER, ""),
        }
        url = f"http://127.0.0.1:{next(self.targets)}/hook"
        try:
            async with self.http.post(url, data=body, headers=headers) as answer:
                return web.Response(status=answer.status)
        except (aiohttp.ClientError, TimeoutError):
            return web.Response(status=502)

    async def stop(self) -> None:
        await self.http.close()
        await self.runner.cleanup()


def process_cpu(pid: int) -> float:
    """A process's user + system CPU seconds, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """The machine's (busy, all) CPU time so far, from /proc/stat (zeros where there is none)."""
    try:
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = ticks[3] + ticks[4]  # idle, iowait
    return float(sum(ticks) - idle), float(sum(ticks))


class Bots:
    """A phase's bot processes, each serving the webhook on a port of its own; each start
    writes its own log in `folder`."""

    def __init__(self, url: str, api_base: str, folder: Path, count: int) -> None:
        self.url, self.api_base, self.folder = url, api_base, folder
        self.ports = [free_port() for _ in range(count)]
        self.hook = f"http://127.0.0.1:{self.ports[0]}/hook"  # a front replaces it
        self.processes: list[subprocess.Popen | None] = [None] * count
        self.starts = 0

    def start(self, index: int) -> None:
        env = {
            "BOT_TOKEN": TOKEN,
            "BOT_API_URL": self.api_base,
            "DATABASE_URL": self.url,
            "WEBHOOK_URL": self.hook,
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_PORT": str(self.ports[index]),
            "INBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "ADMIN_IDS": "",
        }
        self.starts += 1
        log = self.folder / f"bot{index}-{self.starts}.log"
        self.processes[index] = start_process(["-m", "bot", "run"], env, log)

    def kill(self, index: int) -> int:
        """SIGKILL the process; its pid (which names it in inbox_holders)."""
        process = self.processes[index]
        process.kill()
        process.wait()
        self.processes[index] = None
        return process.pid

    def check(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"a bot exited with code {process.returncode}; logs: {self.folder}"
                )

    async def stop(self) -> None:
        for process in self.processes:
            if process is not None:
                await stop_process(process)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the running bot processes have used so far (Linux)."""
        return sum(process_cpu(p.pid) for p in self.processes if p is not None)

    def errors(self) -> int:
        """ERROR lines and tracebacks in the bot's logs."""
        logs = self.folder.glob("bot*.log")
        lines = [line for log in logs for line in log.read_text(errors="replace").splitlines()]
        return sum(" ERROR " in line or line.startswith("Traceback") for line in lines)


class Chats:
    """The sandbox's record of the bot's chats, read in this process."""

    def __init__(self, server: RunningSandbox) -> None:
        self.sandbox = server.sandbox
        self.bot = server.sandbox.bot(TOKEN)

    def post(self, user: int, text: str) -> int:
        """The user writes `text` (as POST /sandbox/message does, without the HTTP)."""
        profile = {"id": user, "first_name": "손님", "language_code": "ko"}
        return self.sandbox.user_message(self.bot, {"user": profile, "text": text})["update_id"]

    def answers(self, user: int) -> list[tuple[str, float]]:
        """The bot's messages to `user`: text and when the sandbox received it (monotonic)."""
        chat = self.bot.chats.get(user)
        events = chat.events if chat is not None else []
        return [
            (event.get("text") or "", event["t"])
            for event in events
            if event.get("actor") == "bot" and event.get("method") == "sendMessage"
        ]

    def queued(self) -> set[int]:
        """Updates not yet acknowledged with a 2xx (waiting, or in flight) by the webhook.
        Read from the sandbox's delivery queues (private, but this is its own test rig)."""
        hook = self.bot.webhook
        if hook is None:
            return set()
        return {record.update_id for queue in hook._queues.values() for record in queue}


async def until(condition, timeout: float, what: str, bots: Bots, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        bots.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout:.0f} s; logs: {bots.folder}")
        await asyncio.sleep(interval)


@dataclass
class Wave:
    users: list[int]
    per_user: int
    offered: dict[int, list[tuple[int, float]]] = field(default_factory=dict)  # (update, when)
    started: float = 0.0

    def sent(self) -> int:
        return sum(len(updates) for updates in self.offered.values())


def make_wave(number: int, options: argparse.Namespace, users: int | None = None) -> Wave:
    """The wave's users have ids of their own: a chat is never shared by two waves."""
    first = FIRST_USER + number * WAVE_IDS
    return Wave(list(range(first, first + (users or options.users))), options.per_user)


async def offer(chats: Chats, wave: Wave, rate: float) -> None:
    """Update i of every user, then update i + 1, one every 1/rate s (rate inf: at once)."""
    slots = [(user, i) for i in range(wave.per_user) for user in wave.users]
    wave.started = time.monotonic()
    for k, (user, i) in enumerate(slots):
        delay = wave.started + k / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif k % 200 == 0:
            await asyncio.sleep(0)  # let the sandbox deliver meanwhile
        at = time.monotonic()
        update_id = chats.post(user, SCRIPT[i % len(SCRIPT)])
        wave.offered.setdefault(user, []).append((update_id, at))


async def settle(chats: Chats, wave: Wave, quiet: float, bots: Bots) -> None:
    """Until every user has an answer to each update, or no answer came for `quiet` s (what
    is missing then is lost; SETTLE_CAP s at most); then a second more, for a repeat."""
    started = changed = time.monotonic()
    expected, seen = wave.per_user * len(wave.users), -1
    while time.monotonic() - started < SETTLE_CAP:
        got = sum(min(len(chats.answers(user)), wave.per_user) for user in wave.users)
        if got >= expected or time.monotonic() - changed > quiet:
            break
        if got != seen:
            seen, changed = got, time.monotonic()
        bots.check()
        await asyncio.sleep(0.25)
    await asyncio.sleep(1.0)


def judge(chats: Chats, wave: Wave, expected: dict[str, str]) -> tuple[dict, list]:
    """The wave's figures, and its latency samples: (when offered, ms)."""
    samples, handled, repeated, disordered, last = [], 0, 0, 0, wave.started
    queued = chats.queued()
    for user in wave.users:
        want = [expected[SCRIPT[i % len(SCRIPT)]] for i in range(wave.per_user)]
        got = chats.answers(user)
        kept = [next(run) for _, run in itertools.groupby(got, key=lambda answer: answer[0])]
        counted = Counter(text for text, _ in kept)
        extra = counted - Counter(want)
        repeated += len(got) - len(kept) + sum(extra.values())
        handled += sum((counted & Counter(want)).values())
        remaining = iter(want)
        disordered += not all(text in remaining for text, _ in kept)
        cursor = 0  # each update's answer: the next one of its text, in order
        for (_, at), text in zip(wave.offered[user], want, strict=True):
            found = next((n for n in range(cursor, len(kept)) if kept[n][0] == text), None)
            if found is not None:
                samples.append((at, (kept[found][1] - at) * 1000))
                last, cursor = max(last, kept[found][1]), found + 1
    sent = wave.sent()
    acked = sent - sum(uid in queued for updates in wave.offered.values() for uid, _ in updates)
    figures = {
        "sent": sent,
        "acked": acked,
        "handled": handled,
        "lost": sent - handled,
        "repeated_replies": repeated,
        "users_out_of_order": disordered,
        **{f"p{p}_ms": round(percentile([ms for _, ms in samples], p), 1) for p in (50, 95, 99)},
        "handled_per_s": round(handled / (last - wave.started), 1) if last > wave.started else 0.0,
    }
    return figures, samples


async def learn_answers(chats: Chats, bots: Bots) -> dict[str, str]:
    """What a guest is answered to each of SCRIPT, from one probe user."""
    for text in SCRIPT:
        chats.post(PROBE, text)

    async def answered():
        return len(chats.answers(PROBE)) >= len(SCRIPT)

    await until(answered, START_SECONDS, "the probe user was not answered", bots)
    answers = [text for text, _ in chats.answers(PROBE)][: len(SCRIPT)]
    if len(set(answers)) != len(SCRIPT):
        raise RuntimeError(f"a guest's answers to {SCRIPT} are not all different: {answers}")
    return dict(zip(SCRIPT, answers, strict=True))


async def inbox_figures(url: str, killed_pid: int | None = None) -> dict:
    """What the inbox holds: with `killed_pid`, the senders that process held (inbox_holders
    names a process by host:pid:random) and their stored updates; else what is left."""
    db = Database(url)
    try:
        async with db.read() as conn:
            if killed_pid is None:
                left = await conn.scalar(select(func.count()).select_from(inbox.inbox))
                return {"inbox_left": left, "quarantined": await inbox.quarantined(conn)}
            mine = inbox.holders.c.owner.like(f"%:{killed_pid}:%")
            held = set((await conn.execute(select(inbox.holders.c.sender).where(mine))).scalars())
            stored = select(inbox.inbox.c.sender, inbox.inbox.c.attempts)
            rows = (await conn.execute(stored.where(inbox.inbox.c.sender.in_(held)))).all()
    finally:
        await db.dispose()
    return {
        "held": held,
        "in_hand_at_kill": len({row.sender for row in rows if row.attempts > 0}),
        "stored_of_held_at_kill": len(rows),
    }


async def kill_midway(chats: Chats, wave: Wave, total: int, bots: Bots, url: str) -> dict:
    """Once a third of the wave is acknowledged: SIGKILL process 0, note what it held, start
    it again on its port KILL_PAUSE s later."""
    while wave.sent() - len(chats.queued()) < total / 3:
        bots.check()
        await asyncio.sleep(0.02)
    pid = bots.kill(0)
    killed_at = time.monotonic()
    at_kill = {
        "acked_at_kill": wave.sent() - len(chats.queued()),
        "unanswered_users_at_kill": sum(
            len(chats.answers(user)) < len(wave.offered.get(user, [])) for user in wave.users
        ),
    }
    figures = at_kill | await inbox_figures(url, killed_pid=pid)
    # Answers the dead process sent just before it died reach the sandbox (this loop) a
    # moment later; its held users' answers until then are not the recovery.
    await asyncio.sleep(0.5)
    figures["held"] = {user: len(chats.answers(user)) for user in figures["held"]}
    await asyncio.sleep(max(0.0, killed_at + KILL_PAUSE - time.monotonic()))
    bots.start(0)
    return figures | {"killed_at": killed_at}


def recovery(chats: Chats, held: dict[int, int], killed_at: float) -> float | None:
    """recovery_s: from the SIGKILL to the first new answer, by either process, to a user
    the killed process held at that moment (an update of theirs in its hand, or waiting
    behind it; `held`: their answers so far): nobody may serve them before their lease
    (LEASE_SECONDS, renewed every LEASE_SECONDS / 3) runs out. None when it held nobody."""
    after = [t for user, seen in held.items() for _, t in chats.answers(user)[seen:]]
    return round(min(after) - killed_at, 2) if after else None


async def flood_during(chats: Chats, count: int, start_after: float) -> tuple:
    """`start_after` s into the wave, FLOODER sends `count` texts at once; the flood lasts
    until the last of them is acknowledged and FLOODER's answers stopped (a quiet second).
    Returns the flood's (start, end) on the monotonic clock."""
    await asyncio.sleep(start_after)
    started = time.monotonic()
    flood_ids = {chats.post(FLOODER, SCRIPT[-1]) for _ in range(count)}
    acked = last = None
    while last is None or time.monotonic() - last < 1.0:
        await asyncio.sleep(0.05)
        if acked is None and not flood_ids & chats.queued():
            acked = time.monotonic()
        if acked is not None:
            last = max([t for _, t in chats.answers(FLOODER)] + [acked])
    return started, last


async def paced(chats: Chats, wave: Wave, options: argparse.Namespace, bots: Bots) -> None:
    await offer(chats, wave, options.rate)
    await settle(chats, wave, options.wait, bots)


@contextlib.asynccontextmanager
async def serving(count: int, url: str, folder: Path, options: argparse.Namespace):
    """A fresh database and sandbox, `count` bot processes (behind a front if several)
    serving the webhook; yields (chats, bots, the answers to SCRIPT). Leaving stops all of
    it, whatever happened."""
    os.makedirs(folder, exist_ok=True)
    if url.startswith("postgresql"):
        await fresh_postgres(url)
    await migrate(url)  # before the processes start: two would race to migrate
    server = await start_sandbox(port=0, token=TOKEN, delay_ms=options.delay_ms)
    chats = Chats(server)
    bots = Bots(url, server.api_base, folder, count)
    front = Front(bots.ports) if count > 1 else None
    try:
        if front is not None:
            bots.hook = await front.start()
        for index in range(count):
            bots.start(index)

        async def ready():
            up = [await listening(port) for port in bots.ports]
            webhooks = chats.bot.calls_by_method.get("setWebhook", [])
            return all(up) and sum(call["ok"] for call in webhooks) >= count

        await until(ready, START_SECONDS, "the bot did not serve its webhook", bots)
        yield chats, bots, await learn_answers(chats, bots)
    finally:
        await bots.stop()
        if front is not None:
            await front.stop()
        await server.stop()


async def in_background(work, during):
    """`work` (a coroutine) as a task while `during` runs; its result, once both are done.
    Cancelled if `during` fails."""
    task = asyncio.create_task(work)
    try:
        await during
        return await asyncio.wait_for(task, SETTLE_CAP)
    finally:
        task.cancel()


async def two_kill(chats: Chats, bots: Bots, expected: dict, url: str, options) -> dict:
    """A paced wave during which one of the two processes is killed and started again."""
    wave = make_wave(0, options)
    total = wave.per_user * len(wave.users)
    kill = await in_background(
        kill_midway(chats, wave, total, bots, url), offer(chats, wave, options.rate)
    )
    await settle(chats, wave, options.wait + LEASE_SECONDS, bots)
    result = judge(chats, wave, expected)[0]
    result["recovery_s"] = recovery(chats, kill.pop("held"), kill.pop("killed_at"))
    return result | kill


async def flood(chats: Chats, bots: Bots, expected: dict, url: str, options) -> dict:
    """A wave without a flood, then the same with new users and FLOODER; others' p95 from
    the first wave's updates, and from the second's offered while the flood lasted."""
    calm_wave, loud_wave = make_wave(0, options), make_wave(1, options)
    await paced(chats, calm_wave, options, bots)
    calm, calm_samples = judge(chats, calm_wave, expected)
    start_after = len(loud_wave.users) * loud_wave.per_user / options.rate / 4
    begin, end = await in_background(
        flood_during(chats, options.flood, start_after), paced(chats, loud_wave, options, bots)
    )
    result, samples = judge(chats, loud_wave, expected)
    during = percentile([ms for at, ms in samples if begin <= at <= end], 95)
    without = percentile([ms for _, ms in calm_samples], 95)
    flooder = [text for text, _ in chats.answers(FLOODER)]  # answers, and "slow down"s
    return result | {
        "without_flood": calm,
        "flood_sent": options.flood,
        "flood_answered": sum(text == expected[SCRIPT[-1]] for text in flooder),
        "flood_slow_downs": sum(text != expected[SCRIPT[-1]] for text in flooder),
        "flood_s": round(end - begin, 2),
        "others_during_flood": sum(begin <= at <= end for at, _ in samples),
        "others_p95_ms_during_flood": round(during, 1),
        "others_p95_ms_without_flood": round(without, 1),
        "flood_ratio": round(during / without, 2) if without else None,
    }


async def plain(chats: Chats, bots: Bots, expected: dict, url: str, options) -> dict:
    """A paced wave, then every update of another wave at once (the saturation wave)."""
    wave = make_wave(0, options)
    await paced(chats, wave, options, bots)
    result = judge(chats, wave, expected)[0]
    if options.saturation_users:
        flat_out = make_wave(2, options, users=options.saturation_users)
        cpu, (busy, total) = bots.cpu_seconds(), machine_busy()
        await offer(chats, flat_out, math.inf)
        await settle(chats, flat_out, options.wait, bots)
        cpu, (busy_after, total_after) = bots.cpu_seconds() - cpu, machine_busy()
        saturated = judge(chats, flat_out, expected)[0]
        result["saturated_per_s"] = saturated["handled_per_s"]
        result["saturated_lost"] = saturated["lost"]
        # What a handled update cost the bots, and how busy the whole machine was (the
        # settling second at the end included): is the second process short of work or of CPU?
        handled = saturated["handled"]
        result["saturated_bot_cpu_ms"] = round(cpu * 1000 / handled, 2) if handled else None
        spent = total_after - total
        result["saturated_machine_busy_pct"] = (
            round(100 * (busy_after - busy) / spent, 1) if spent else None
        )
    return result


PHASES = {"one_sqlite": (1, plain), "one": (1, plain), "two": (2, plain)}
PHASES |= {"two_kill": (2, two_kill), "flood": (1, flood)}


async def run_phase(name: str, url: str, folder: Path, options: argparse.Namespace) -> dict:
    count, measure = PHASES[name]
    async with serving(count, url, folder, options) as (chats, bots, expected):
        result = {"processes": count} | await measure(chats, bots, expected, url, options)
        result |= await inbox_figures(url)
    return result | {"bot_errors": bots.errors()}


async def run(options: argparse.Namespace) -> dict:
    postgres = options.database or os.environ.get("TEST_POSTGRES_URL") or DEFAULT_DATABASE
    phases = [phase.strip() for phase in options.phases.split(",") if phase.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phases {sorted(unknown)}; choose from {', '.join(PHASES)}")
    if max(options.users, options.saturation_users) > WAVE_IDS:
        raise SystemExit(f"at most {WAVE_IDS} users")
    result: dict = {"users": options.users, "per_user": options.per_user}
    result |= {"offered_per_s": options.rate, "api_delay_ms": options.delay_ms}
    with tempfile.TemporaryDirectory() as temporary:
        logs = Path(options.logs or temporary)
        for phase in phases:
            sqlite = f"sqlite+aiosqlite:///{logs / phase / 'bench.sqlite3'}"
            url = sqlite if phase == "one_sqlite" else postgres
            result[phase] = await run_phase(phase, url, logs / phase, options)
            print(f"{phase}: {result[phase]}", flush=True)
    one, two = result.get("one", {}), result.get("two", {})
    if one.get("saturated_per_s") and two.get("saturated_per_s"):
        # Saturation on one 2-core machine: the load generator, the sandbox and the front
        # (this process), PostgreSQL and the bot processes share the two cores.
        result["two_vs_one"] = round(two["saturated_per_s"] / one["saturated_per_s"], 2)
    if one.get("saturated_bot_cpu_ms") and two.get("saturated_bot_cpu_ms"):
        # Above 1: two processes spend more CPU on an update than one (the cost of sharing).
        result["two_vs_one_cpu_per_update"] = round(
            two["saturated_bot_cpu_ms"] / one["saturated_bot_cpu_ms"], 2
        )
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench webhook")
    for flag, kind, default, meaning in (
        ("--users", int, 1000, "users a wave"),
        ("--per-user", int, 6, "updates each user sends"),
        ("--rate", float, RATE, "updates/s offered"),
        ("--wait", float, 30.0, "s without an answer before the rest counts as lost"),
        ("--flood", int, 1000, "texts the flooding user sends at once"),
        ("--saturation-users", int, 500, "users of the saturation wave (0: none)"),
        ("--delay-ms", int, 0, "the sandbox's Bot API answer delay"),
        ("--database", str, None, f"PostgreSQL (TEST_POSTGRES_URL, {DEFAULT_DATABASE})"),
        ("--phases", str, ",".join(PHASES), "comma-separated phases"),
        ("--logs", str, None, "keep the bots' logs in this folder (default: deleted)"),
    ):
        parser.add_argument(flag, type=kind, default=default, help=meaning)
    return print_result(parser, argv, run)
