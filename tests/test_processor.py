"""The update processor: one user's updates in order, different users in parallel."""

from __future__ import annotations

import asyncio
import random

from telegram import Chat, Message, Update, User

from bot.processor import PerUserUpdateProcessor, update_key


def text_update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "u", False)
    message = Message(update_id, None, Chat(user_id, "private"), from_user=user, text="hi")
    return Update(update_id, message=message)


async def run_all(processor, updates, work):
    tasks = [asyncio.create_task(processor.process_update(u, work(u))) for u in updates]
    await asyncio.gather(*tasks)


async def test_each_users_updates_finish_in_arrival_order():
    rng = random.Random(7)
    processor = PerUserUpdateProcessor(max_parallel=16)
    updates = [text_update(n, rng.randrange(10)) for n in range(300)]
    finished: list[Update] = []

    async def work(update):
        # Random durations would reorder a naive concurrent processor.
        await asyncio.sleep(rng.random() / 500)
        finished.append(update)

    await run_all(processor, updates, work)
    assert len(finished) == 300
    for user_id in range(10):
        ids = [u.update_id for u in finished if u.effective_user.id == user_id]
        assert ids == sorted(ids)


async def test_the_same_work_without_per_user_order_does_reorder():
    """Negative control: plain concurrency reorders, so the test above can fail."""
    rng = random.Random(7)
    updates = [text_update(n, rng.randrange(10)) for n in range(300)]
    finished: list[Update] = []

    async def work(update):
        await asyncio.sleep(rng.random() / 500)
        finished.append(update)

    await asyncio.gather(*(work(u) for u in updates))
    orders = [[u.update_id for u in finished if u.effective_user.id == uid] for uid in range(10)]
    assert any(ids != sorted(ids) for ids in orders)


async def most_at_once(processor, updates, seconds: float) -> int:
    """Runs `updates` through the processor, each working for `seconds`; how many were
    running at the same moment, at the most."""
    running = peak = 0

    async def work(update):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(seconds)
        running -= 1

    await run_all(processor, updates, work)
    return peak


async def test_different_users_run_in_parallel_up_to_the_limit():
    processor = PerUserUpdateProcessor(max_parallel=4)
    assert await most_at_once(processor, [text_update(n, n) for n in range(20)], 0.01) == 4


async def test_one_user_never_runs_two_updates_at_once():
    processor = PerUserUpdateProcessor(max_parallel=8)
    assert await most_at_once(processor, [text_update(n, 5) for n in range(20)], 0.002) == 1
    assert processor._in_turn._locks == {}  # no lock is kept for idle users


def test_updates_without_a_user_get_their_own_key():
    assert update_key(text_update(1, 3)) == ("user", 3)
    assert update_key(object()) != update_key(object())


async def test_an_update_is_told_fresh_in_arrival_order_not_when_its_turn_comes(db):
    """Freshness (bot/effects.py FRESH) is decided as updates arrive: the second update of a
    sender who is still busy waits its turn while later ids of other senders are handled, and
    must still count as new (no database read in the gate), as must every update here."""
    from bot.effects import FRESH, Finishing

    processor = PerUserUpdateProcessor(max_parallel=16)
    processor.finishing = Finishing(db)
    await processor.finishing.learn()
    # Sender 1 sends twice; senders 2..5 once each, after sender 1's second update.
    updates = [text_update(n, 1 if n < 2 else n) for n in range(1, 7)]
    told: dict[int, bool] = {}

    async def work(update):
        if update.update_id == 1:
            await asyncio.sleep(0.05)  # sender 1's second update waits behind this one
        told[update.update_id] = FRESH.get()

    await run_all(processor, updates, work)
    assert told == {n: True for n in range(1, 7)}
    # Delivered again (a restart without the marks): not fresh, so looked up.
    again: dict[int, bool] = {}

    async def look(update):
        again[update.update_id] = FRESH.get()

    await run_all(processor, updates[:2], look)
    assert again == {1: False, 2: False}
