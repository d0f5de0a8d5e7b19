"""Pacing of the messages the bot sends on its own (reminders, later broadcasts).

Telegram allows about 30 messages a second overall and one a second per chat. The pacer
hands out send slots: each sender awaits `slot(chat_id)`, which returns when both the
overall spacing and the chat's last message allow. Slots are reserved before sleeping, so
concurrent senders queue in order instead of bursting together.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from telegram.ext import BaseRateLimiter

PER_CHAT_SECONDS = 1.0


class Pacer:
    def __init__(self, per_second: float = 30.0) -> None:
        self.interval = 1.0 / per_second
        self.next_free = 0.0
        self.last_in_chat: dict[int, float] = {}

    def note(self, chat_id: int) -> None:
        """A message that did not wait (a reply to someone): later slots make room for it.

        Replies never wait; what the bot sends on its own yields to them."""
        now = time.monotonic()
        self.next_free = max(self.next_free, now) + self.interval
        self.last_in_chat[chat_id] = max(self.last_in_chat.get(chat_id, now), now)

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": no slot is handed out before then."""
        self.next_free = max(self.next_free, time.monotonic() + seconds)

    async def slot(self, chat_id: int) -> None:
        now = time.monotonic()
        at = max(now, self.next_free, self.last_in_chat.get(chat_id, -PER_CHAT_SECONDS) + 1.0)
        self.next_free = at + self.interval
        self.last_in_chat[chat_id] = at
        if len(self.last_in_chat) > 10_000:  # forget chats not written to for a while
            cutoff = now - PER_CHAT_SECONDS
            self.last_in_chat = {c: t for c, t in self.last_in_chat.items() if t > cutoff}
        if at > now:
            await asyncio.sleep(at - now)


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
    the whole bot). Replies to users go at once; senders that took a slot themselves (the
    outbox, with `rate_limit_args={"paced": True}`) are not counted twice."""

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
        if endpoint in SENDING and isinstance(chat_id, int) and not paced:
            self.pacer.note(chat_id)
        return await callback(*args, **kwargs)
