"""Reminders survive faults: a crash after claiming or after sending, an outage, two
dispatchers on one PostgreSQL database, and Telegram answering 429 and 500.

The bot's real dispatcher (handlers.outbox.dispatch_tick) sends through the sandbox; every
check counts what the sandbox received per chat, one chat per reminder. A crash is an
exception raised at the chosen point inside the dispatcher; a restart is a new Application
with its own Database, after the lease of the rows the crashed one held has run out.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, update

from bench.reminders import add_reminders, build_world
from bot.app import build_application
from handlers.outbox import dispatch_tick
from handlers.outbox import sender as dispatcher
from storage import reminders as store
from storage.db import Database
from storage.models import Reminder, Session
from tests.conftest import POSTGRES_URL, make_settings, postgres_database

# A Tuesday, 10:00 in Seoul: no quiet hours, the sessions are tomorrow.
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


class Crash(Exception):
    """Stands for the process dying at that point."""


async def due_world(db: Database, sandbox, count: int, due: datetime) -> list[dict]:
    """`count` reminders due at `due`, each to its own chat, about confirmed bookings tomorrow."""
    with time_machine.travel(T0, tick=False):
        targets = await build_world(db, count)
    await add_reminders(db, targets, [due] * len(targets), "fault")
    await sandbox.set_personas([{"id": t["user_id"], "first_name": "학생"} for t in targets])
    return targets


def dispatcher_app(db_url: str, sandbox, in_flight: int = 8):
    """A bot process as far as reminders go: its own Database, pacer and marks."""
    settings = make_settings(db_url, sandbox.api_base, send_rate=1000, send_in_flight=in_flight)
    return build_application(settings, Database(db_url))


async def run_app(db_url, sandbox, *ticks: datetime) -> list[int]:
    """Start a dispatcher, run one tick at each moment, stop it; returns how many each claimed."""
    app = dispatcher_app(db_url, sandbox)
    claimed = []
    async with app:
        for moment in ticks:
            with time_machine.travel(moment, tick=True):
                claimed.append(await dispatch_tick(app))
    await app.bot_data["db"].dispose()
    return claimed


async def received(sandbox) -> Counter:
    """Messages each chat received (successful sendMessage calls)."""
    return Counter(c["params"]["chat_id"] for c in await sandbox.calls("sendMessage") if c["ok"])


async def statuses(db: Database) -> Counter:
    async with db.read() as conn:
        found = await conn.execute(select(Reminder.status, func.count()).group_by(Reminder.status))
        return Counter(dict(found.all()))


async def crash_once(db_url, sandbox, monkeypatch, target, name: str, in_flight: int = 8) -> list:
    """Run a dispatcher whose `target.name` raises Crash instead of doing its work on its
    first call; returns what that call was given."""
    real = getattr(target, name)
    given = []

    async def failing(*args, **kwargs):
        if given:
            return await real(*args, **kwargs)
        given.append((args, kwargs))
        raise Crash

    monkeypatch.setattr(target, name, failing)
    app = dispatcher_app(db_url, sandbox, in_flight)
    async with app:
        with time_machine.travel(T0 + timedelta(seconds=1), tick=True), pytest.raises(Crash):
            await dispatch_tick(app)
    await app.bot_data["db"].dispose()
    monkeypatch.setattr(target, name, real)
    return given


# ----- a crash after claiming, before sending -------------------------------------------------


async def test_a_crash_before_sending_loses_nothing_and_repeats_nothing(
    db, db_url, sandbox, monkeypatch
):
    targets = await due_world(db, sandbox, 60, T0)
    await crash_once(db_url, sandbox, monkeypatch, dispatcher, "send")
    early = await received(sandbox)
    assert len(early) < len(targets)  # the crash left claimed rows unsent
    # Restarted within the lease: the rows the dead process held are not handed out yet.
    after_restart = T0 + timedelta(seconds=30)
    lease_over = T0 + store.LEASE + timedelta(seconds=5)
    claimed = await run_app(db_url, sandbox, after_restart, lease_over)
    assert claimed[0] < len(targets) - len(early) and claimed[1] > 0
    got = await received(sandbox)
    assert set(got) == {t["user_id"] for t in targets}  # every reminder delivered
    assert max(got.values()) == 1  # none twice: nothing was sent before the crash
    assert await statuses(db) == {"sent": len(targets)}


# ----- a crash after sending, before marking sent ---------------------------------------------


@pytest.mark.parametrize("senders", [1, 8])
async def test_a_crash_before_marking_repeats_only_what_was_in_flight(
    db, db_url, sandbox, monkeypatch, senders
):
    targets = await due_world(db, sandbox, 60, T0)
    # The first marks fail after their messages went out: the process died in between.
    [(args, _)] = await crash_once(db_url, sandbox, monkeypatch, store, "mark_many", senders)
    unmarked = args[1]
    assert 1 <= len(unmarked) <= senders
    await run_app(db_url, sandbox, T0 + store.LEASE + timedelta(seconds=5))
    got = await received(sandbox)
    assert set(got) == {t["user_id"] for t in targets}
    repeated = {chat for chat, n in got.items() if n > 1}
    async with db.read() as conn:
        repeated_rows = set(
            (
                await conn.execute(select(Reminder.id).where(Reminder.user_id.in_(repeated)))
            ).scalars()
        )
    # Exactly the messages in flight at the crash came twice: one with a single sender.
    assert repeated_rows == set(unmarked) and max(got.values()) == 2
    if senders == 1:
        assert len(repeated) == 1
    assert await statuses(db) == {"sent": len(targets)}


async def test_a_person_with_two_messages_due_is_repeated_at_most_once_per_crash(
    db, db_url, sandbox, monkeypatch
):
    """Each person has two reminders due, written one after the other; eight messages are in
    flight at the crash. A person has one in flight at a time (storage/reminders/), so each
    crash repeats at most one message per person, whatever SEND_IN_FLIGHT is."""
    with time_machine.travel(T0, tick=False):
        targets = await build_world(db, 30)
    both = [target for target in targets for _ in (1, 2)]
    await add_reminders(db, both, [T0] * len(both), "fault", keys=True)
    await sandbox.set_personas([{"id": t["user_id"], "first_name": "학생"} for t in targets])
    [(args, _)] = await crash_once(db_url, sandbox, monkeypatch, store, "mark_many", 8)
    assert 1 <= len(args[1]) <= 8
    after = T0 + store.LEASE + timedelta(seconds=5)
    await run_app(db_url, sandbox, after, after + timedelta(seconds=2))
    got = await received(sandbox)
    assert set(got) == {t["user_id"] for t in targets}
    assert min(got.values()) == 2 and max(got.values()) == 3  # both; one repeat at most
    assert await statuses(db) == {"sent": len(both)}


# ----- a 30-minute outage ---------------------------------------------------------------------


async def test_after_a_half_hour_outage_each_is_sent_once_and_the_passed_are_skipped(
    db, db_url, sandbox
):
    with time_machine.travel(T0, tick=False):
        targets = await build_world(db, 100)
    # Falling due one after another during the outage; the first session starts within it.
    due = [T0 + timedelta(seconds=18 * n) for n in range(len(targets))]
    await add_reminders(db, targets, due, "outage")
    await sandbox.set_personas([{"id": t["user_id"], "first_name": "학생"} for t in targets])
    async with db.write() as conn:
        await conn.execute(
            update(Session)
            .where(Session.id == 1)
            .values(starts_at=T0 + timedelta(minutes=10), ends_at=T0 + timedelta(hours=2))
        )
    back = T0 + timedelta(minutes=30, seconds=5)
    claimed = await run_app(db_url, sandbox, back, back + timedelta(seconds=5))
    assert claimed == [100, 0]
    got = await received(sandbox)
    passed = {t["user_id"] for t in targets if t["session_id"] == 1}
    assert passed and set(got) == {t["user_id"] for t in targets} - passed
    assert max(got.values()) == 1
    assert await statuses(db) == {"sent": 100 - len(passed), "skipped": len(passed)}


# ----- two dispatchers on PostgreSQL ----------------------------------------------------------


@pytest.mark.postgres
async def test_two_dispatchers_on_postgresql_never_send_twice(sandbox):
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    url = await postgres_database()
    db = Database(url)
    try:
        targets = await due_world(db, sandbox, 1000, T0)
        first, second = dispatcher_app(url, sandbox), dispatcher_app(url, sandbox)
        async with first, second:
            with time_machine.travel(T0 + timedelta(seconds=1), tick=True):
                claimed = await asyncio.gather(dispatch_tick(first), dispatch_tick(second))
        for app in (first, second):
            await app.bot_data["db"].dispose()
        got = await received(sandbox)
        assert sum(claimed) == 1000 and min(claimed) > 0  # they shared the work
        assert set(got) == {t["user_id"] for t in targets}
        assert max(got.values()) == 1
        assert await statuses(db) == {"sent": 1000}
    finally:
        await db.dispose()


# ----- Telegram says 429 and 500 --------------------------------------------------------------


async def test_429_and_500_are_retried_until_each_is_delivered_once(db, db_url, sandbox):
    targets = await due_world(db, sandbox, 40, T0)
    await sandbox.add_fault("sendMessage", 429, retry_after=2, count=3)
    await sandbox.add_fault("sendMessage", 500, count=3)
    # Ticks a minute apart: long enough for retry_after (2 s) and the first backoffs (10 s+).
    claimed = await run_app(db_url, sandbox, *(T0 + timedelta(minutes=m) for m in range(1, 5)))
    got = await received(sandbox)
    assert set(got) == {t["user_id"] for t in targets} and max(got.values()) == 1
    assert claimed[0] == 40 and claimed[1] == 6 and claimed[2:] == [0, 0]
    failures = [c for c in await sandbox.calls("sendMessage") if not c["ok"]]
    assert sorted(c["error_code"] for c in failures) == [429] * 3 + [500] * 3
    async with db.read() as conn:
        retried = (
            await conn.execute(
                select(Reminder.attempts, Reminder.last_error).where(Reminder.attempts > 1)
            )
        ).all()
    assert len(retried) == 6 and {r.attempts for r in retried} == {2}
    assert sorted(r.last_error for r in retried) == ["429"] * 3 + ["NetworkError"] * 3
    assert await statuses(db) == {"sent": 40}
