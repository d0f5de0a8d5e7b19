"""The one pacer: replies go at once and are counted; the bot's own messages wait for slots."""

from __future__ import annotations

import time

from bot.pacing import Pacer, SharedLimiter


async def test_slots_are_spaced_overall_and_per_chat():
    pacer = Pacer(per_second=100)
    started = time.monotonic()
    for chat in range(5):
        await pacer.slot(chat)
    overall = time.monotonic() - started
    await pacer.slot(0)  # the same chat again: a second after its last slot
    assert pacer.last_in_chat[0] - started >= 1.0 - 0.01
    assert pacer.next_free - started >= 5 * 0.01 and overall < 1.0


async def test_replies_are_counted_but_never_wait_and_paced_sends_are_not_counted_twice():
    pacer = Pacer(per_second=10)
    limiter = SharedLimiter(pacer)
    calls = []

    async def api(*args, **kwargs):
        calls.append(kwargs)
        return True

    before = pacer.next_free
    started = time.monotonic()
    for _ in range(5):
        await limiter.process_request(api, (), {"n": 1}, "sendMessage", {"chat_id": 7}, None)
    assert time.monotonic() - started < 0.05  # nothing waited
    assert pacer.next_free >= max(before, started) + 5 * 0.1 - 0.01  # but the slots moved on
    moved = pacer.next_free
    await limiter.process_request(api, (), {}, "sendMessage", {"chat_id": 8}, {"paced": True})
    await limiter.process_request(api, (), {}, "getUpdates", {}, None)
    assert pacer.next_free == moved and len(calls) == 7
