"""Update processor: different users in parallel, one user's updates strictly in order.

PTB's `concurrent_updates(True)` runs every update as soon as it arrives, so a
user's second button press can overtake the first. Here each update first
queues behind the earlier updates of the same user (an asyncio.Lock is FIFO,
and the queue position is taken before the first await), and only then waits
for one of the global slots.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.effects import CURRENT, FRESH, Finishing

# PTB's own semaphore guards process_update before our code runs; it must never
# be the one that makes updates wait, or it could reorder a user's updates.
_UNBOUNDED = 1_000_000


def update_key(update: object) -> object:
    """Updates with the same key are processed one after another."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", id(update))


class InTurn:
    """One asyncio.Lock per key, kept only while someone holds or awaits it: what is done
    `async with in_turn(key)` runs one at a time per key, in the order it asked (an asyncio
    Lock is FIFO, and the queue place is taken before the first await)."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def __call__(self, key: object):
        lock, waiting = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._locks[key]
            if waiting == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, waiting - 1)


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_parallel: int = 64) -> None:
        super().__init__(_UNBOUNDED)
        # Mark each update the gate let through finished once handled, a batch at a time
        # (bot/effects.py Finishing, set by build_application); the webhook does it with its
        # inbox instead (None).
        self.finishing: Finishing | None = None
        self._slots = asyncio.Semaphore(max_parallel)
        self._in_turn = InTurn()
        # Told the id of every update once its handling is over (whatever the outcome): the
        # end-to-end tests wait on it instead of guessing from how long the chat was quiet.
        self.on_handled: Callable[[int], None] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Asked before the first await, so in the order updates arrive: asked later, in the
        # gate, an update that waited behind its sender's earlier one would find a later
        # update id already seen, and cost a database read to learn it was new.
        FRESH.set(
            self.finishing is not None
            and isinstance(update, Update)
            and self.finishing.fresh(update.update_id)
        )
        try:
            async with self._in_turn(update_key(update)), self._slots:
                CURRENT.set(None)
                await coroutine
                handled = CURRENT.get()
                if self.finishing is not None and handled is not None:
                    self.finishing.add(handled.update_id, handled.now)
        finally:
            if self.on_handled is not None and isinstance(update, Update):
                self.on_handled(update.update_id)

    async def initialize(self) -> None:
        """Polling: the newest update id the database knows, before the first update."""
        if self.finishing is not None:
            await self.finishing.learn()

    async def shutdown(self) -> None:
        """PTB waits for running updates itself; their finished marks are written now."""
        if self.finishing is not None:
            await self.finishing.close()
