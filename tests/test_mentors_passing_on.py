"""Mentor requests in storage: passing on after a decline or a timeout, and one winner when
two act at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import mentors
from storage.errors import AlreadyHandled, NotFound
from storage.models import MentorOffer, Reminder
from tests.mentors_helpers import (
    NOW,
    WINDOW,
    add_mentor,
    add_student,
    ask,
    assert_places_match,
    request,
    schools,
    user,
)

# ----- passing on -----------------------------------------------------------------------------


async def test_a_decline_passes_on_and_a_timeout_too_then_the_line(db):
    s = await schools(db)
    first = await add_mentor(db, 550)
    second = await add_mentor(db, 551, districts="일산서구")  # asked second
    await add_student(db, 10_030, s["덕양구"])
    created = await ask(db, 10_030)
    assert created.offered_to.mentor_id == first
    async with db.write() as conn:
        await mentors.decline(
            conn, created.request_id, await user(db, 550), "바빠요", now=NOW, window=WINDOW
        )
    row = await request(db, created.request_id)
    assert (row.status, row.mentor_id) == ("offered", second)
    # The second never answers: 24 hours on, the clock finds nobody left; the request waits.
    async with db.write() as conn:
        assert await mentors.expire_offers(conn, now=NOW + WINDOW - timedelta(minutes=1)) == []
        passed = await mentors.expire_offers(conn, now=NOW + WINDOW, window=WINDOW)
    assert passed == [created.request_id]
    row = await request(db, created.request_id)
    assert (row.status, row.mentor_id, row.counted) == ("waiting", None, False)
    async with db.read() as conn:
        outcomes = dict(
            (await conn.execute(select(MentorOffer.mentor_id, MentorOffer.outcome))).all()
        )
        kinds = [
            (r.kind, r.user_id)
            for r in (await conn.execute(select(Reminder).order_by(Reminder.id))).all()
        ]
    assert outcomes == {first: "declined", second: "timeout"}
    assert ("mentor_waiting", 10_030) in kinds
    # The offers not yet sent went with them (an offer passed on is never sent late).
    assert not any(kind.startswith("mentor_offer") for kind, _ in kinds)
    await assert_places_match(db)
    # A mentor never gets the same request twice.
    async with db.write() as conn:
        assert await mentors.offer_next(conn, created.request_id, now=NOW + WINDOW) is None


async def test_accepting_someone_elses_request_is_not_found(db):
    s = await schools(db)
    await add_mentor(db, 560)
    await add_mentor(db, 561, open_requests=2)
    await add_student(db, 10_040, s["덕양구"])
    created = await ask(db, 10_040)
    async with db.write() as conn:
        with pytest.raises(NotFound):
            await mentors.accept(conn, created.request_id, await user(db, 561), now=NOW)
        with pytest.raises(NotFound):
            await mentors.accept(conn, created.request_id, await user(db, 10_040), now=NOW)


async def test_two_mentors_accept_at_once_one_wins(db):
    """The first mentor's offer ran out; the clock passes it on while that mentor presses
    accept; then both mentors press accept at the same moment. Each race has one winner."""
    s = await schools(db)
    late = await add_mentor(db, 570)
    await add_mentor(db, 571, districts="일산서구")
    await add_student(db, 10_050, s["덕양구"])
    wins = {"late_first": 0, "passed_first": 0}
    for round_ in range(6):
        created = await ask(db, 10_050, now=NOW + timedelta(minutes=round_))
        assert created.offered_to.mentor_id == late
        after = NOW + WINDOW + timedelta(minutes=round_ + 1)

        async def accept_late(when=after, request_id=created.request_id):
            async with db.write() as conn:
                await mentors.accept(conn, request_id, await user(db, 570), now=when)

        async def clock(when=after):
            async with db.write() as conn:
                return await mentors.expire_offers(conn, now=when, window=WINDOW)

        results = await asyncio.gather(accept_late(), clock(), return_exceptions=True)
        row = await request(db, created.request_id)
        if results[0] is None:  # the late press won: the clock found nothing to pass
            assert results[1] == [] and (row.status, row.mentor_id) == ("accepted", late)
            wins["late_first"] += 1
        else:
            assert isinstance(results[0], AlreadyHandled) and results[1] == [created.request_id]
            assert row.status == "offered" and row.mentor_id != late
            wins["passed_first"] += 1
            # Both press accept at once: the one it is offered to wins, the other is told.
            results = await asyncio.gather(
                accept_late(),
                *[_accept(db, created.request_id, 571, after)],
                return_exceptions=True,
            )
            assert isinstance(results[0], AlreadyHandled) and results[1] is None
            assert (await request(db, created.request_id)).status == "accepted"
        async with db.write() as conn:  # close it, so the places free up for the next round
            requester = await user(db, 10_050)
            await mentors.cancel_request(conn, created.request_id, requester, now=after)
            # Three offers run out in a row pause a mentor (storage.mentors.offers._pause_if_away).
            await mentors.set_paused(conn, late, 570, False, now=after)
        await assert_places_match(db)
    assert sum(wins.values()) == 6


async def _accept(db, request_id, mentor_user_id, when):
    async with db.write() as conn:
        await mentors.accept(conn, request_id, await user(db, mentor_user_id), now=when)


async def test_many_presses_of_accept_and_decline_at_once(db):
    """Ten presses of accept and decline by the mentor and a cancel by the student, all at
    once: the request ends in exactly one state and the places add up."""
    s = await schools(db)
    await add_mentor(db, 580)
    await add_mentor(db, 581, districts="일산서구")
    await add_student(db, 10_060, s["덕양구"])
    created = await ask(db, 10_060)
    mentor = await user(db, 580)

    async def act(n):
        async with db.write() as conn:
            if n % 3 == 0:
                await mentors.accept(conn, created.request_id, mentor, now=NOW)
            elif n % 3 == 1:
                await mentors.decline(conn, created.request_id, mentor, None, now=NOW)
            else:
                await mentors.cancel_request(
                    conn, created.request_id, await user(db, 10_060), now=NOW
                )
            return n % 3

    results = await asyncio.gather(*(act(n) for n in range(10)), return_exceptions=True)
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(done) <= 2  # a decline may pass it on, then a cancel still takes it back
    assert all(
        isinstance(r, AlreadyHandled | NotFound) for r in results if isinstance(r, Exception)
    )
    await assert_places_match(db)
