"""Exactly-once effects (storage/effects.py, bot/effects.py): an update's id is recorded in
the same transaction as each of its changes, so an update handled again after a crash
answers again but applies nothing twice; a process that lost the person to another process
changes nothing more for them. On both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application
from bot.effects import HOLD, Fenced, Finishing, Hold, UpdateDatabase
from handlers import gate
from storage import audit, effects, inbox
from storage.models import AuditEntry, utcnow
from storage.tables import processed_updates
from tests.conftest import make_settings, wait_until
from tests.test_inbox import message, store

log_table = AuditEntry.__table__


async def entries(db, action: str) -> int:
    async with db.read() as conn:
        found = select(func.count()).where(log_table.c.action == action)
        return (await conn.execute(found)).scalar_one()


async def write_entry(update_db, action: str) -> None:
    async with update_db.write() as conn:
        await audit.record(conn, None, action, now=utcnow())


async def test_an_updates_writes_are_counted_then_finished(db):
    now = utcnow()
    async with db.read() as conn:
        assert await effects.seen(conn, 7) is None
    async with db.write() as conn:
        await effects.note_write(conn, 7, ["a#1"], now=now)
        await effects.note_write(conn, 7, ["a#1", "b#1"], now=now)
        await effects.finish(conn, 8, now=now)  # finished without writing anything
    async with db.read() as conn:
        assert tuple(await effects.seen(conn, 7)) == (["a#1", "b#1"], False)
        assert tuple(await effects.seen(conn, 8)) == (None, True)
    async with db.write() as conn:
        await effects.finish(conn, 7, now=now)
        assert await effects.forget_before(conn, now + timedelta(seconds=1)) == 2
    async with db.read() as conn:
        assert await effects.seen(conn, 7) is None


async def handling(update_db, crash: bool) -> None:
    """Two writes, from two places in the code; `crash`: the process dies between them."""
    await write_entry(update_db, "test.one")
    if crash:
        return
    for _ in range(2):  # one place writing twice: two writes
        await write_entry(update_db, "test.two")


async def test_writes_committed_before_a_crash_are_not_applied_again(db):
    first = UpdateDatabase(db, 11, applied=None, hold=None, now=utcnow())
    await handling(first, crash=True)
    async with db.read() as conn:
        applied, finished = await effects.seen(conn, 11)
    assert len(applied) == 1 and not finished
    again = UpdateDatabase(db, 11, applied=applied, hold=None, now=utcnow())
    await handling(again, crash=False)  # "one" runs again, to answer, but is rolled back
    assert (await entries(db, "test.one"), await entries(db, "test.two")) == (1, 2)
    async with db.read() as conn:
        assert len((await effects.seen(conn, 11)).applied) == 3


async def test_a_failed_write_leaves_nothing_not_even_its_count(db):
    update_db = UpdateDatabase(db, 12, applied=None, hold=None, now=utcnow())
    with pytest.raises(ValueError):
        async with update_db.write() as conn:
            await audit.record(conn, None, "test.failed", now=utcnow())
            raise ValueError
    assert await entries(db, "test.failed") == 0
    async with db.read() as conn:
        assert await effects.seen(conn, 12) is None


async def test_a_process_that_lost_the_person_changes_nothing_more(db):
    now = utcnow()
    await store(db, (1, 100), now=now)
    async with db.write() as conn:
        await inbox.claim(conn, "slow", now=now, handed=set())
    later = now + inbox.LEASE + timedelta(seconds=1)
    async with db.write() as conn:  # "slow" stalled past its lease; "quick" took 100 over
        await inbox.claim(conn, "quick", now=later, handed=set())
    slow = UpdateDatabase(db, 1, applied=None, hold=Hold("slow", 100), now=later)
    with pytest.raises(Fenced):
        await write_entry(slow, "test.fenced")
    quick = UpdateDatabase(db, 1, applied=None, hold=Hold("quick", 100), now=later)
    await write_entry(quick, "test.taken_over")
    assert (await entries(db, "test.fenced"), await entries(db, "test.taken_over")) == (0, 1)


async def test_a_takeover_waits_for_the_holders_write_to_commit(postgres_db):
    """PostgreSQL: the fence holds the sender's row FOR SHARE, so a process taking the
    person over (its lease ran out) does so only after the holder's change committed."""
    db = postgres_db
    now = utcnow()
    await store(db, (1, 100), now=now)
    async with db.write() as conn:
        await inbox.claim(conn, "slow", now=now, handed=set())
    holder = UpdateDatabase(db, 1, applied=None, hold=Hold("slow", 100), now=now)
    later = now + inbox.LEASE + timedelta(seconds=1)
    order = []

    async def take_over():
        async with db.write() as conn:
            await inbox.claim(conn, "quick", now=later, handed=set())
        order.append("taken over")

    async with holder.write() as conn:
        await audit.record(conn, None, "test.held", now=now)
        taker = asyncio.create_task(take_over())
        await asyncio.sleep(0.3)  # the takeover is blocked on the fenced row meanwhile
        order.append("committed")
    await taker
    assert order == ["committed", "taken over"]


async def test_an_update_handled_again_after_a_crash_answers_but_applies_once(
    sandbox, db_url, demo
):
    """Through the real gate: the first handling makes the newcomer's row, commits the first
    of its two changes and dies; handled again (the row is there now: the gate writes
    nothing), it applies only the second, and the handler runs to its end."""
    application = build_application(make_settings(db_url, sandbox.api_base), demo)
    application.handlers.clear()
    application.add_handlers(gate.handlers(), group=gate.GROUP)
    reached_the_end = []
    crash = asyncio.Event()

    async def two_changes(update, context):
        await write_entry(context.db, "test.first")
        if not crash.is_set():
            crash.set()
            await asyncio.Event().wait()  # the process dies here
        await write_entry(context.db, "test.second")
        reached_the_end.append(update.update_id)

    application.add_handler(TypeHandler(Update, two_changes))
    async with application:
        update = Update.de_json(message(900001, 3601), application.bot)
        first = asyncio.create_task(application.process_update(update))
        await crash.wait()
        first.cancel()  # killed: nothing after the first change ran
        with pytest.raises(asyncio.CancelledError):
            await first
        await application.process_update(update)
    assert (await entries(demo, "test.first"), await entries(demo, "test.second")) == (1, 1)
    assert reached_the_end == [900001]


async def test_a_second_delivery_of_a_finished_update_is_dropped(sandbox, db_url, demo):
    application = build_application(make_settings(db_url, sandbox.api_base), demo)
    application.handlers.clear()
    application.add_handlers(gate.handlers(), group=gate.GROUP)
    handled = []

    async def note(update, context):
        handled.append(update.update_id)

    application.add_handler(TypeHandler(Update, note))
    async with application:
        update = Update.de_json(message(900002, 3602), application.bot)
        await application.process_update(update)
        async with demo.write() as conn:  # what the webhook does once it is handled
            await inbox.done(conn, 900002, now=utcnow())
        await application.process_update(update)  # Telegram delivered it again
    assert handled == [900002]
    async with demo.read() as conn:
        rows = select(func.count()).select_from(processed_updates)
        assert (await conn.execute(rows)).scalar_one() == 1


def test_the_hold_is_unset_outside_the_webhook():
    assert HOLD.get() is None


async def test_handled_updates_are_marked_finished_a_batch_at_a_time(db):
    """Polling marks handled updates in one write after a short wait; until it is written the
    ids are kept in memory, where the gate drops a second delivery as well."""
    finishing = Finishing(db)
    now = utcnow()
    writes = []
    original = db.write

    def counted_write():
        writes.append(1)
        return original()

    db.write = counted_write
    for update_id in (31, 32, 33):
        finishing.add(update_id, now)
    assert 32 in finishing
    await wait_until(lambda: not finishing.waiting)
    assert len(writes) == 1  # the three in one transaction
    finishing.add(34, now)
    await finishing.close()  # at shutdown: written at once
    async with db.read() as conn:
        marks = [await effects.seen(conn, update_id) for update_id in (31, 32, 33, 34)]
    assert [mark.finished for mark in marks] == [True] * 4


async def test_only_an_update_newer_than_any_seen_skips_the_gates_read(db):
    """Polling: Telegram numbers updates as they come, so an id above every one the database
    recorded before the start, and every one come since, cannot be a second delivery; any
    other id is looked up (a redelivery after a crash, or of one already marked)."""
    async with db.write() as conn:
        await effects.finish(conn, 500, now=utcnow())
    finishing = Finishing(db)
    assert not finishing.fresh(501)  # not learnt yet: looked up
    await finishing.learn()
    assert [finishing.fresh(i) for i in (500, 499, 501, 501, 503, 502, 504)] == [
        False, False, True, False, True, False, True,
    ]  # fmt: skip


async def step_then_entry(update_db, flow: str, *, crash: bool = False) -> None:
    """A flow step (idempotent), then a recorded write; `crash`: the process dies between."""
    from storage import users as users_store

    async with update_db.write(idempotent=True) as conn:
        await users_store.set_flow(conn, 4242, flow)
    if not crash:
        await write_entry(update_db, "test.after_step")


async def test_an_idempotent_write_is_committed_but_not_recorded(db):
    """A flow step sets the same values when made again, so it goes unrecorded (one statement
    less per step); a recorded write after it is still recorded, and handled again after a
    crash the step is made again while the recorded write is not."""
    from storage import users as users_store

    async with db.write() as conn:
        await users_store.load_or_create(conn, 4242, "ko", now=utcnow())
    first = UpdateDatabase(db, 21, applied=None, hold=None, now=utcnow())
    await step_then_entry(first, "ob.role", crash=True)
    async with db.read() as conn:
        assert await effects.seen(conn, 21) is None  # nothing recorded for the step
        assert (await users_store.get(conn, 4242)).flow == "ob.role"
    second = UpdateDatabase(db, 21, applied=None, hold=None, now=utcnow())
    await step_then_entry(second, "ob.role")
    async with db.read() as conn:
        applied = (await effects.seen(conn, 21)).applied
    assert len(applied) == 1  # the entry only
    third = UpdateDatabase(db, 21, applied=applied, hold=None, now=utcnow())
    await step_then_entry(third, "ob.school")
    async with db.read() as conn:
        assert (await users_store.get(conn, 4242)).flow == "ob.school"  # made again
    assert await entries(db, "test.after_step") == 1  # not again
