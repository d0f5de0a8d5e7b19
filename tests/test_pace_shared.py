"""Telegram's pace for the whole bot (storage/pace.py, bot/pacing.py SharedPacer): slots
taken by several processes never come closer than SEND_RATE allows, replies move the slots
on, and a 429 one process is told of pauses every process, replies included. On both
databases; the slots are compared as handed out, not timed."""

from __future__ import annotations

import asyncio
import itertools
import time

from telegram.error import RetryAfter

from bot.pacing import SharedLimiter, SharedPacer
from storage import pace
from storage.db import Database
from tests.conftest import wait_until

INTERVAL = 1 / 30


async def take(db, interval: float = INTERVAL) -> float:
    """The wait for a slot taken now."""
    async with db.write() as conn:
        wait, _ = await pace.take_slot(conn, interval=interval)
    return wait


async def test_slots_taken_by_two_processes_are_spaced_by_the_rate(db_url):
    """Slots a thousand seconds apart: whatever the two processes' timing, the waits they
    are given differ by the interval less the time the takes took."""
    first, second = Database(db_url), Database(db_url)  # two processes' engines
    interval = 1000.0
    try:
        started = time.monotonic()

        async def process(db) -> list[float]:
            return [await take(db, interval) for _ in range(20)]

        waits = sorted(sum(await asyncio.gather(process(first), process(second)), []))
        took = time.monotonic() - started
    finally:
        await first.dispose()
        await second.dispose()
    assert len(waits) == 40 and waits[0] <= took  # the first goes at once
    gaps = [later - earlier for earlier, later in itertools.pairwise(waits)]
    assert min(gaps) >= interval - took


async def test_a_pause_holds_every_slot_and_replies_move_the_slots_on(db):
    started = time.monotonic()
    async with db.write() as conn:
        await pace.pause(conn, 5)
    assert await take(db) >= 5 - (time.monotonic() - started)  # no slot inside the pause
    async with db.write() as conn:
        left = await pace.count(conn, 30, interval=INTERVAL)
        wait, _ = await pace.take_slot(conn, interval=INTERVAL)
    took = time.monotonic() - started
    assert 5 - took <= left <= 5  # every process learns of the pause when it reports
    assert wait >= 5 + 31 * INTERVAL - took  # after the pause, the replies, the slot before


async def test_a_429_pauses_the_other_process_replies_included(db):
    told, other = SharedPacer(db), SharedPacer(db)
    limiter = SharedLimiter(told)
    calls = []

    async def api(**kwargs):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RetryAfter(1)
        return True

    sending = asyncio.create_task(
        limiter.process_request(api, (), {}, "sendMessage", {"chat_id": 7}, None)
    )

    async def paused_for_all() -> bool:
        async with db.read() as conn:
            return await pace.pause_left(conn) > 0

    await wait_until(paused_for_all)
    other.note(8)  # the other process reports its replies and learns of the pause
    await other.reporting
    assert other.paused_until > time.monotonic()  # its next reply waits too
    assert await take(db) > 0  # and no slot is inside the pause
    assert await sending
    assert len(calls) == 2 and calls[1] - calls[0] >= 1 - 0.01  # tried again after the pause
