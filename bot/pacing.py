"""Pacing of the messages the bot sends on its own (reminders, broadcasts, notices).

Telegram allows about 30 messages a second overall and one a second per chat. The pacer
hands out send slots: each sender awaits `slot(chat_id)`, which returns when both the
overall spacing and the chat's last message allow. Slots are reserved before sleeping, so
concurrent senders queue in order instead of bursting together. A 429's retry_after pauses
every send, replies too (SharedLimiter waits it out and tries the reply again).

One process (SQLite) paces in memory (Pacer). Several processes on one PostgreSQL share the
overall pace through the database (SharedPacer, storage/pace.py): the bot as a whole keeps
SEND_RATE, and a pause one process was told of holds for all. One chat's outbox rows are
sent one at a time across processes anyway (storage/reminders/sending.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from storage import pace
from storage.db import Database

log = logging.getLogger(__name__)
PER_CHAT_SECONDS = 1.0


class Pacer:
    def __init__(self, per_second: float = 30.0) -> None:
        self.interval = 1.0 / per_second
        self.next_free = 0.0
        self.paused_until = 0.0
        self.last_in_chat: dict[int, float] = {}

    def note(self, chat_id: int) -> None:
        """A message that did not wait (a reply to someone): later slots make room for it.

        Replies never wait; what the bot sends on its own yields to them."""
        now = time.monotonic()
        self.next_free = max(self.next_free, now) + self.interval
        self.last_in_chat[chat_id] = max(self.last_in_chat.get(chat_id, now), now)

    async def pause(self, seconds: float) -> None:
        """Telegram said "retry after": nothing is sent before then."""
        until = time.monotonic() + seconds
        self.paused_until = max(self.paused_until, until)
        self.next_free = max(self.next_free, until)

    async def paused(self) -> None:
        """Wait out a pause (a reply's turn: replies take no slot)."""
        wait = self.paused_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def slot(self, chat_id: int) -> None:
        now = time.monotonic()
        at = max(now, self.next_free, self._chat_free(chat_id, now))
        self.next_free = at + self.interval
        self.last_in_chat[chat_id] = at
        if at > now:
            await asyncio.sleep(at - now)

    def _chat_free(self, chat_id: int, now: float) -> float:
        if len(self.last_in_chat) > 10_000:  # forget chats not written to for a while
            cutoff = now - PER_CHAT_SECONDS
            self.last_in_chat = {c: t for c, t in self.last_in_chat.items() if t > cutoff}
        return self.last_in_chat.get(chat_id, -PER_CHAT_SECONDS) + PER_CHAT_SECONDS


class SharedPacer(Pacer):
    """The overall pace kept in the database for every process (storage/pace.py, on the
    database's clock); the per-chat spacing stays here. Replies are counted in memory and
    reported about once a second, which also brings back a pause another process was told
    of."""

    REPORT_EVERY = 1.0

    def __init__(self, db: Database, per_second: float = 30.0) -> None:
        super().__init__(per_second)
        self.db = db
        self.unreported = 0
        self.reported_at = float("-inf")
        self.reporting: asyncio.Task | None = None

    def note(self, chat_id: int) -> None:
        super().note(chat_id)
        self.unreported += 1
        due = time.monotonic() - self.reported_at >= self.REPORT_EVERY
        if due and (self.reporting is None or self.reporting.done()):
            self.reporting = asyncio.get_running_loop().create_task(self.report())

    async def report(self) -> None:
        sent, self.unreported = self.unreported, 0
        self.reported_at = time.monotonic()
        try:
            async with self.db.write() as conn:
                left = await pace.count(conn, sent, interval=self.interval)
        except Exception as error:  # noqa: BLE001 - told again with the next report
            self.unreported += sent
            log.warning("could not report replies to the shared pace (%s)", type(error).__name__)
            return
        self._pause_locally(left)

    async def pause(self, seconds: float) -> None:
        await super().pause(seconds)
        async with self.db.write() as conn:
            await pace.pause(conn, seconds)

    async def slot(self, chat_id: int) -> None:
        chat_wait = self._chat_free(chat_id, time.monotonic()) - time.monotonic()
        if chat_wait > 0:
            await asyncio.sleep(chat_wait)
        async with self.db.write() as conn:
            wait, left = await pace.take_slot(conn, interval=self.interval)
        self._pause_locally(left)
        self.last_in_chat[chat_id] = time.monotonic() + wait
        if wait > 0:
            await asyncio.sleep(wait)

    def _pause_locally(self, left: float) -> None:
        if left > 0:
            self.paused_until = max(self.paused_until, time.monotonic() + left)


# Bot API methods that put a message in a chat.
SENDING = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)


class SharedLimiter(BaseRateLimiter[dict]):
    """Every message the bot sends is counted by the one pacer (Telegram's limits are for
    the whole bot). Replies to users go at once, unless Telegram asked the bot to pause;
    senders that took a slot themselves (the outbox, with `rate_limit_args={"paced": True}`)
    are not counted twice. A 429 pauses everyone; the request is tried again once after it
    (the outbox retries its own rows: it is not tried again here)."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict,
        rate_limit_args,
    ):
        chat_id = data.get("chat_id")
        paced = bool(rate_limit_args and rate_limit_args.get("paced"))
        if paced:
            return await callback(*args, **kwargs)
        await self.pacer.paused()
        if endpoint in SENDING and isinstance(chat_id, int):
            self.pacer.note(chat_id)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:  # nothing was sent: trying once more sends nothing twice
            await self.pacer.pause(retry_seconds(error))
        await self.pacer.paused()
        return await callback(*args, **kwargs)


def retry_seconds(error: RetryAfter) -> float:
    wait = error.retry_after
    return wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
