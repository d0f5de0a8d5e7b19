"""A webhook bot process killed with SIGKILL in the middle of many people's updates, then
started again: nothing acknowledged is lost, each person's answers come in the order they
wrote, and only what was in hand at the kill is answered twice. Then two processes share
one database behind a round-robin front, with the same promises. On both databases.

The bot runs as real subprocesses (`python -m bot run` in webhook mode); the sandbox
delivers updates to the webhook like Telegram (in order per chat, retrying until a 200)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bench.updates import stop_process
from storage.migrate import migrate
from tests.conftest import DEMO_TOKEN, wait_until

SECRET = "crash-test-secret"
LEASE_SECONDS = 3  # a dead process's people are taken over this soon (INBOX_LEASE_SECONDS)
COMMANDS = ("/help", "/settings", "/cancel")  # three answers a guest tells apart
PEOPLE = range(8101, 8141)


def start_bot(
    db_url: str, api_base: str, port: int, hook_url: str, log: Path, lease: int = LEASE_SECONDS
):
    env = {
        **os.environ,
        "BOT_TOKEN": DEMO_TOKEN,
        "BOT_API_URL": api_base,
        "DATABASE_URL": db_url,
        "WEBHOOK_URL": hook_url,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port),
        "INBOX_LEASE_SECONDS": str(lease),
        "ADMIN_IDS": "",
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, stdout=output, stderr=subprocess.STDOUT
        )


async def answers(sandbox, person: int) -> list[str]:
    chat = await sandbox.chat(person)
    return [m.get("text", "") for m in chat["messages"] if m["from_bot"]]


async def expected_answers(sandbox) -> list[str]:
    """What a guest is answered to each command, learnt from one person first."""
    for command in COMMANDS:
        await post(sandbox, 8100, command)
    await wait_until(lambda: answers_count(sandbox, 8100, len(COMMANDS)), timeout=30)
    return await answers(sandbox, 8100)


async def answers_count(sandbox, person: int, count: int) -> bool:
    return len(await answers(sandbox, person)) >= count


async def post(sandbox, person: int, text: str) -> None:
    await sandbox.request(
        "POST", "/sandbox/message", {"user": {"id": person, "first_name": "손님"}, "text": text}
    )


def in_order_without_repeats(texts: list[str]) -> tuple[list[str], int]:
    """The answers with each run of one repeated answer counted once, and the repeats."""
    kept = [text for text, _ in itertools.groupby(texts)]
    return kept, len(texts) - len(kept)


async def everyone_answered(sandbox, count: int, timeout: float) -> dict[int, list[str]]:
    async def done():
        return all([len(await answers(sandbox, p)) >= count for p in PEOPLE])

    await wait_until(done, timeout=timeout, interval=0.2)
    await asyncio.sleep(1)  # a repeat, if any, would arrive meanwhile
    return {p: await answers(sandbox, p) for p in PEOPLE}


@pytest.fixture
async def migrated(db_url):
    await migrate(db_url)
    return db_url


async def test_a_killed_process_loses_nothing_and_keeps_each_persons_order(
    sandbox, migrated, unused_tcp_port, tmp_path
):
    hook = f"http://127.0.0.1:{unused_tcp_port}/hook"
    log = tmp_path / "bot.log"
    process = start_bot(migrated, sandbox.api_base, unused_tcp_port, hook, log)
    try:
        expected = await expected_answers(sandbox)
        for command in COMMANDS:  # everyone writes three times, as fast as a script
            await asyncio.gather(*(post(sandbox, p, command) for p in PEOPLE))
        await wait_until(lambda: some_answered(sandbox, len(PEOPLE)), timeout=30, interval=0.05)
        process.send_signal(signal.SIGKILL)  # mid-run: some answered, some in hand
        process.wait()
        process = start_bot(migrated, sandbox.api_base, unused_tcp_port, hook, log)
        seen = await everyone_answered(sandbox, len(COMMANDS), timeout=60)
    finally:
        await stop_process(process)
    repeats = 0
    for person, texts in seen.items():
        kept, repeated = in_order_without_repeats(texts)
        assert kept == expected, (person, texts)
        assert repeated <= 1, (person, texts)  # at most the one update they had in hand
        repeats += repeated
    assert repeats <= len(PEOPLE)


async def some_answered(sandbox, people: int) -> bool:
    chats = [len(await answers(sandbox, p)) for p in PEOPLE]
    return sum(chats) >= people  # about a third of all the answers


async def listening(ports: list[int]) -> bool:
    """Every bot process accepts connections (a load balancer's health check)."""
    for port in ports:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
    return True


class RoundRobin:
    """A load balancer: each request goes to the next bot process, in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.targets = itertools.cycle(ports)
        self.http: aiohttp.ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        url = f"http://127.0.0.1:{next(self.targets)}/hook"
        async with self.http.post(url, data=body, headers=dict(request.headers)) as answer:
            return web.Response(status=answer.status)


async def test_two_processes_behind_a_round_robin_keep_each_persons_order(
    sandbox, migrated, unused_tcp_port_factory, tmp_path
):
    front_port, *ports = (unused_tcp_port_factory() for _ in range(3))
    front = RoundRobin(ports)
    front.http = aiohttp.ClientSession()
    app = web.Application()
    app.router.add_post("/hook", front.forward)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", front_port).start()
    hook = f"http://127.0.0.1:{front_port}/hook"
    # Both alive all along: the usual lease, so a process slowed down by a busy machine
    # keeps its people (a lease shorter than a stall would hand them to the other process).
    processes = [
        start_bot(migrated, sandbox.api_base, port, hook, tmp_path / f"bot{port}.log", lease=15)
        for port in ports
    ]
    try:
        await wait_until(lambda: listening(ports), timeout=60, interval=0.2)
        expected = await expected_answers(sandbox)
        for command in COMMANDS:
            await asyncio.gather(*(post(sandbox, p, command) for p in PEOPLE))
        seen = await everyone_answered(sandbox, len(COMMANDS), timeout=60)
    finally:
        for process in processes:
            await stop_process(process)
        await front.http.close()
        await runner.cleanup()
    for person, texts in seen.items():
        assert texts == expected, (person, texts)  # no crash: no repeat either
