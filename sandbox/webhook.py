"""Webhook delivery: POST each update to the bot, in order per chat, retrying with backoff."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

import aiohttp

from sandbox.state import BotState, UpdateRecord

log = logging.getLogger(__name__)

FIRST_RETRY_DELAY = 0.05
MAX_RETRY_DELAY = 2.0


class WebhookDelivery:
    """Like Telegram, up to `max_connections` requests run at once, but a chat's next update
    waits until its previous one was acknowledged, so one user's updates arrive in order."""

    def __init__(
        self,
        bot: BotState,
        session: aiohttp.ClientSession,
        url: str,
        *,
        secret_token: str | None,
        max_connections: int,
        allowed_updates: list[str] | None,
    ) -> None:
        self.bot = bot
        self.session = session
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.allowed_updates = allowed_updates
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.pending_count = 0
        # A chat's queue exists while it has undelivered updates; its head may be in flight.
        self._queues: dict[int, deque[UpdateRecord]] = {}
        self._ready: asyncio.Queue[int] = asyncio.Queue()
        self._workers = [asyncio.create_task(self._work()) for _ in range(max_connections)]

    def push(self, record: UpdateRecord) -> None:
        queue = self._queues.get(record.chat_id)
        if queue is None:
            self._queues[record.chat_id] = deque([record])
            self._ready.put_nowait(record.chat_id)
        else:
            queue.append(record)
        self.pending_count += 1

    async def drop_pending(self) -> None:
        """Forget undelivered updates, cancelling deliveries in flight, and start afresh."""
        await self.stop()
        self._queues.clear()
        self._ready = asyncio.Queue()
        self.pending_count = 0
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.max_connections)]

    async def stop(self) -> list[UpdateRecord]:
        """Stop delivering; return the undelivered updates in update_id order."""
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        left = [record for queue in self._queues.values() for record in queue]
        return sorted(left, key=lambda record: record.update_id)

    async def _work(self) -> None:
        while True:
            chat_id = await self._ready.get()
            queue = self._queues[chat_id]
            await self._post(queue[0])
            queue.popleft()
            self.pending_count -= 1
            if queue:
                self._ready.put_nowait(chat_id)
            else:
                del self._queues[chat_id]

    async def _post(self, record: UpdateRecord) -> None:
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": self.secret_token} if self.secret_token else {}
        )
        delay = FIRST_RETRY_DELAY
        while True:
            self.bot.mark_delivered(record, time.monotonic())
            try:
                async with self.session.post(
                    self.url,
                    json=record.payload,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as response:
                    if 200 <= response.status < 300:
                        return
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}: {exc}"
            self.last_error_date = int(time.time())
            self.last_error_message = error
            log.info("webhook delivery of update %s failed: %s", record.update_id, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)
