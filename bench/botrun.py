"""The real bot against the sandbox served in this process, for the benchmarks that need it.

`BotRun` migrates the database, serves the sandbox for one bot token, starts the bot
(`python -m bot run`, on the benchmark's clock: bench/clock.py) against both one process at
a time, and stops all of it on leaving; `Watch` reads what the sandbox received.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from bench.common import tally
from bench.updates import start_process, stop_process
from sandbox.server import RunningSandbox, start_sandbox
from storage.db import Database
from storage.migrate import migrate

WAIT_SECONDS = 180  # a phase that has not finished by then has lost something
SEND_IN_FLIGHT = 8  # the bot's default (bot/settings.py): the yardstick sends as many at once


def bot_env(url: str, api_base: str, send_rate: int | None, token: str) -> dict:
    """The bot's settings: polling the sandbox at `api_base`, SEND_RATE (None: its default)."""
    return {
        "BOT_TOKEN": token,
        "BOT_API_URL": api_base,
        "DATABASE_URL": url,
        "WEBHOOK_URL": "",
        "ADMIN_IDS": "",
        "SEND_RATE": "" if send_rate is None else str(send_rate),
    }


class Watch:
    """Reads what the sandbox (in this process) received from the bot it was started for:
    successful sendMessage calls per chat, with wall-clock receive times."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox.sandbox
        self.bot = sandbox.sandbox.bot(sandbox.sandbox.default_token)
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


class BotRun:
    """One database measured with the real bot: `async with BotRun(url, folder, token)` migrates
    the database, serves the sandbox for `token` in this process and watches it (`watch`, a
    Watch or a subclass); `start_bot` runs the bot against both, one process at a time.
    Leaving stops the bot, the sandbox and the database, whatever happened."""

    def __init__(self, url: str, folder: Path, token: str, watch: type[Watch] = Watch) -> None:
        self.url, self.folder, self.token = url, folder, token
        self._watch_class = watch
        self.process: subprocess.Popen | None = None

    async def __aenter__(self) -> BotRun:
        await migrate(self.url)
        self.db = Database(self.url)
        self.server = await start_sandbox(port=0, token=self.token)
        self.sandbox = self.server.sandbox
        self.watch = self._watch_class(self.server)
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self.stop_bot()
        finally:
            await self.server.stop()
            await self.db.dispose()

    def add_users(self, user_ids: Iterable[int]) -> None:
        """Chats the sandbox knows, so that the bot can write first."""
        for user_id in user_ids:
            self.sandbox.register_user({"id": user_id, "first_name": "벤치"})

    async def start_bot(self, send_rate: int | None, log: str) -> subprocess.Popen:
        """`python -m bot run` with SEND_RATE (None: its default), once it polls the sandbox;
        its output goes to `log` in the folder."""
        env = bot_env(self.url, self.server.api_base, send_rate, self.token)
        self.process = start_process(["-m", "bot", "run"], env, self.folder / log)
        await wait_for_polling(self.watch, self.process)
        return self.process

    async def sink(self, chats: list[int], in_flight: int = SEND_IN_FLIGHT) -> float:
        """The yardstick (bench/sink.py): messages a second the sandbox receives from a
        process that only sends, one to each of `chats` (consecutive ids no one else uses),
        `in_flight` at a time, as the bot's outbox does."""
        self.add_users(chats)
        args = [self.token, self.server.api_base, str(chats[0]), str(len(chats)), str(in_flight)]
        process = start_process(["-m", "bench.sink", *args], {}, self.folder / "sink.log")
        try:
            found = await self.watch.until_all(set(chats), process, "the yardstick")
        finally:
            await stop_process(process)
        return tally(set(chats), found)["per_s"]

    async def stop_bot(self) -> None:
        if self.process is not None:
            await stop_process(self.process)
            self.process = None
