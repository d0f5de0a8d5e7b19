"""The webhook inbox (storage/inbox.py): one sender's updates go to one process at a time,
oldest first; a dead process's senders come free after the lease; what keeps failing is
quarantined. On both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage import effects, inbox
from storage.models import utcnow


def message(update_id: int, user: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "x"},
            "text": "hi",
        },
    }


async def store(db, *updates: tuple[int, int | None], now) -> None:
    async with db.write() as conn:
        for update_id, user in updates:
            payload = message(update_id, user) if user else {"update_id": update_id, "poll": {}}
            await inbox.store(conn, update_id, payload, now=now)


async def claim(db, owner: str, now, handed=frozenset(), limit: int = 100) -> list[int]:
    async with db.write() as conn:
        batch = await inbox.claim(conn, owner, now=now, handed=set(handed), limit=limit)
    return [update_id for update_id, _ in batch]


async def done(db, owner: str, *update_ids: int) -> None:
    async with db.write() as conn:
        for update_id in update_ids:
            await inbox.done(conn, update_id, now=utcnow())
        await inbox.release(conn, owner)


def test_the_sender_is_read_from_the_update_itself():
    assert inbox.sender_of(message(1, 42)) == 42
    press = {"update_id": 2, "callback_query": {"id": "q", "from": {"id": 7}, "data": "x"}}
    assert inbox.sender_of(press) == 7
    channel = {"update_id": 3, "channel_post": {"chat": {"id": -100123}}}
    assert inbox.sender_of(channel) == -100123
    member = {"update_id": 4, "my_chat_member": {"chat": {"id": 5}, "from": {"id": 6}}}
    assert inbox.sender_of(member) == 6
    for odd in (
        {"update_id": 5, "poll": {"id": "p"}},
        {"update_id": 6, "message": "text"},
        {"update_id": 7, "message": {"from": {"id": True}}},
        {"update_id": 8, "message": {"from": {"id": 2**64}}},
        {"update_id": 9, "message": {"from": {"id": "7"}}},
    ):
        assert inbox.sender_of(odd) is None, odd


async def test_a_senders_later_update_never_goes_to_another_process(db):
    now = utcnow()
    await store(db, (1, 100), (2, 200), (3, 100), now=now)
    assert await claim(db, "a", now, limit=1) == [1, 3]  # the oldest sender, all of it
    assert await claim(db, "b", now) == [2]  # 100 is held by a: b takes only 200
    await store(db, (4, 100), (5, 300), now=now)
    assert await claim(db, "b", now, handed={2}) == [5]
    assert await claim(db, "a", now, handed={1, 3}) == [4]  # a's new one comes to a
    await done(db, "a", 1, 3, 4)
    await store(db, (6, 100), now=now)
    assert await claim(db, "b", now, handed={2, 5}) == [6]  # a let 100 go: b may take it


async def test_a_dead_processs_senders_come_free_after_the_lease_and_go_on_in_order(db):
    now = utcnow()
    await store(db, (1, 100), (2, 100), now=now)
    assert await claim(db, "dead", now) == [1, 2]
    async with db.write() as conn:  # it committed one change for 1, then died
        await effects.note_write(conn, 1, 1, now=now)
    soon = now + inbox.LEASE - timedelta(seconds=1)
    assert await claim(db, "b", soon) == []
    later = now + inbox.LEASE + timedelta(seconds=1)
    assert await claim(db, "b", later) == [1, 2]
    async with db.read() as conn:  # handed out again, with what it had changed remembered
        assert tuple(await effects.seen(conn, 1)) == (1, False)


async def test_a_process_that_lost_a_sender_knows_it(db):
    now = utcnow()
    await store(db, (1, 100), now=now)
    assert await claim(db, "slow", now) == [1]
    async with db.read() as conn:
        assert await inbox.holds(conn, "slow", 100)
    later = now + inbox.LEASE + timedelta(seconds=1)  # "slow" stalled past its lease
    assert await claim(db, "b", later) == [1]
    async with db.read() as conn:
        assert not await inbox.holds(conn, "slow", 100)
        assert await inbox.holds(conn, "b", 100)


async def test_the_heartbeat_keeps_a_living_processs_senders(db):
    now = utcnow()
    await store(db, (1, 100), now=now)
    assert await claim(db, "a", now) == [1]
    beat = now + inbox.LEASE * 2 / 3
    async with db.write() as conn:
        await inbox.renew(conn, "a", now=beat)
    assert await claim(db, "b", now + inbox.LEASE + timedelta(seconds=1)) == []
    assert await claim(db, "b", beat + inbox.LEASE + timedelta(seconds=1)) == [1]


async def test_an_update_that_keeps_crashing_its_process_is_quarantined(db):
    now = utcnow()
    await store(db, (1, 100), (2, 100), now=now)
    for attempt in range(inbox.MAX_ATTEMPTS):
        now += inbox.LEASE + timedelta(seconds=1)  # each holder died with 1 and 2 in hand
        assert await claim(db, f"p{attempt}", now) == [1, 2]
    now += inbox.LEASE + timedelta(seconds=1)
    assert await claim(db, "last", now) == []
    async with db.read() as conn:
        assert await inbox.quarantined(conn) == 2
    await store(db, (3, 100), now=now)
    assert await claim(db, "last", now) == [3]  # the sender's next update goes on


async def test_updates_without_a_sender_are_leased_alone(db):
    now = utcnow()
    await store(db, (1, None), (2, None), now=now)
    assert await claim(db, "a", now, limit=1) == [1]
    assert await claim(db, "b", now) == [2]
    assert await claim(db, "c", now) == []
    assert await claim(db, "c", now + inbox.LEASE + timedelta(seconds=1)) == [1, 2]


async def test_shutting_down_lets_every_sender_go_at_once(db):
    now = utcnow()
    await store(db, (1, 100), (2, 200), now=now)
    assert await claim(db, "a", now) == [1, 2]
    async with db.write() as conn:
        await inbox.release_all(conn, "a")
    assert await claim(db, "b", now) == [1, 2]


async def test_racing_processes_never_share_a_sender_on_postgresql(postgres_db):
    db = postgres_db
    now = utcnow()
    await store(db, *((n, 1000 + n % 40) for n in range(1, 401)), now=now)
    taken: dict[str, list[int]] = {}

    async def process(owner: str) -> None:
        taken[owner] = []
        for _ in range(10):
            taken[owner] += await claim(db, owner, now, handed=set(taken[owner]), limit=7)

    await asyncio.gather(*(process(f"p{n}") for n in range(4)))
    senders = {owner: {1000 + n % 40 for n in ids} for owner, ids in taken.items()}
    owners = list(senders)
    for i, one in enumerate(owners):
        for other in owners[i + 1 :]:
            assert not senders[one] & senders[other]
    assert sorted(n for ids in taken.values() for n in ids) == list(range(1, 401))
