"""A broadcast's copies go through the outbox, as reminders do: through Telegram's 429s and
500s, past users who blocked the bot, across a crash and a restart, and without making the
bot slow to answer a student.

The bot's real dispatcher (handlers.outbox.dispatch_tick) sends through the sandbox; a
broadcast is confirmed through storage.broadcasts as /broadcast's last button does. A crash
is an exception raised at the chosen point inside the dispatcher; a restart is a new
Application with its own Database, after the lease of the rows the crashed one held.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bench.broadcast import announce, build_world
from handlers.outbox import dispatch_tick
from storage import reminders as store
from storage.models import Reminder, User
from tests.conftest import join_as_student, wait_until
from tests.test_reminder_faults import Crash, dispatcher_app

# A Tuesday, 10:00 in Seoul: no quiet hours.
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def recipients(db, sandbox, count: int) -> tuple[int, list[int]]:
    """(a school, its `count` students), each student a chat the sandbox knows."""
    world = await build_world(db, count, 0)
    people = world["unlimited"]
    await sandbox.set_personas([{"id": user_id, "first_name": "학생"} for user_id in people])
    return world["schools"][0], people


async def copies(sandbox) -> Counter:
    """Copies each chat received (successful sendMessage calls)."""
    return Counter(c["params"]["chat_id"] for c in await sandbox.calls("sendMessage") if c["ok"])


async def deliveries(db) -> Counter:
    """(status, why) -> deliveries; `why` only for the dead (a retried row that went out in
    the end keeps its last error, which no longer matters)."""
    async with db.read() as conn:
        found = await conn.execute(
            select(Reminder.status, Reminder.last_error).where(Reminder.kind == "broadcast")
        )
        return Counter((status, error if status == "dead" else None) for status, error in found)


async def send_all(db_url, sandbox, start: datetime, *, in_flight: int = 8) -> None:
    """Ticks of one dispatcher a minute apart (beyond any retry_after and the first backoffs)
    until nothing is left to send."""
    app = dispatcher_app(db_url, sandbox, in_flight)
    async with app:
        for minute in range(10):
            with time_machine.travel(start + timedelta(minutes=minute), tick=True):
                if not await dispatch_tick(app) and minute:
                    break
    await app.bot_data["db"].dispose()


async def test_through_429s_500s_and_blocked_users_each_gets_one_copy(db, db_url, sandbox):
    school, people = await recipients(db, sandbox, 1000)
    blocked = set(people[::20])  # 5%
    for user_id in blocked:
        await sandbox.block(user_id)
    await sandbox.add_fault("sendMessage", 429, retry_after=2, count=5)
    await sandbox.add_fault("sendMessage", 500, count=10)
    with time_machine.travel(T0, tick=False):
        await announce(db, school)
    await send_all(db_url, sandbox, T0 + timedelta(seconds=1))

    got = await copies(sandbox)
    assert set(got) == set(people) - blocked and max(got.values()) == 1
    assert await deliveries(db) == {("sent", None): 950, ("dead", "Forbidden"): 50}
    async with db.read() as conn:
        inactive = set(
            (await conn.execute(select(User.id).where(User.active.is_(False)))).scalars()
        )
    assert inactive == blocked  # left out of the next broadcast's count
    failures = [c for c in await sandbox.calls("sendMessage") if not c["ok"]]
    assert Counter(c["error_code"] for c in failures) == {429: 5, 500: 10, 403: 50}


@pytest.mark.parametrize("where", ["between messages", "before marking"])
async def test_killed_mid_way_and_restarted_each_gets_its_copy(
    db, db_url, sandbox, monkeypatch, where
):
    school, people = await recipients(db, sandbox, 300)
    with time_machine.travel(T0, tick=False):
        await announce(db, school)
    # One message in flight: a crash can repeat at most that one.
    target, name = (store, "claim_due") if where == "between messages" else (store, "mark_many")
    real, calls = getattr(target, name), []

    async def dies_on_the_third(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise Crash
        return await real(*args, **kwargs)

    monkeypatch.setattr(target, name, dies_on_the_third)
    app = dispatcher_app(db_url, sandbox, 1)
    async with app:
        with time_machine.travel(T0 + timedelta(seconds=1), tick=True), pytest.raises(Crash):
            await dispatch_tick(app)
    await app.bot_data["db"].dispose()
    monkeypatch.setattr(target, name, real)
    sent_before = sum((await copies(sandbox)).values())
    assert 0 < sent_before < len(people)

    await send_all(db_url, sandbox, T0 + store.LEASE + timedelta(seconds=5), in_flight=1)
    got = await copies(sandbox)
    assert set(got) == set(people)
    repeated = [chat for chat, n in got.items() if n > 1]
    assert len(repeated) == (0 if where == "between messages" else 1)
    assert await deliveries(db) == {("sent", None): 300}


async def test_a_student_is_answered_during_a_broadcast(tuesday_morning, bot, sandbox, db):
    """The bot's own clock sends the broadcast at the default 30 a second while a student
    writes; replies never wait for the pacer (bot/pacing.py): each comes while copies are
    still going out. (How fast: `python -m bench broadcast`, reply_p95_ms_during_broadcast.)"""
    minji = await join_as_student(sandbox, 6301, "김민지")
    school, people = await recipients(db, sandbox, 300)  # ten seconds at 30 a second
    await announce(db, school)
    await wait_until(lambda: _sent_some(sandbox, people), timeout=10)
    for _ in range(5):
        await minji.send("/help")
    assert len(await copies(sandbox)) < len(people)  # it was still sending meanwhile
    await wait_until(lambda: _sent_some(sandbox, people, all_of_them=True), timeout=30)
    got = await copies(sandbox)
    assert {got[user_id] for user_id in people} == {1}


async def _sent_some(sandbox, people, *, all_of_them: bool = False) -> bool:
    got = await copies(sandbox)
    sent = [user_id for user_id in people if got.get(user_id)]
    return len(sent) == len(people) if all_of_them else bool(sent)
