"""Changing class bookings in storage, on SQLite and PostgreSQL: seats given back while
students apply and the teacher names seats at the same moment are never sold twice nor lost;
only the teacher who booked may change them, and only until the cancel deadline."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from storage import bookings, pending
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.models import Booking, Reminder, Session, User
from tests.test_bookings import NOW, OFFER, apply, seat_counts, user, world
from tests.world_helpers import teacher_row


async def book(db, teacher, session_id: int, count: int) -> list[int]:
    async with db.write() as conn:
        return await bookings.book_class(conn, teacher, session_id, count, now=NOW)


async def test_seats_given_back_while_students_apply_are_neither_oversold_nor_lost(db):
    w = await world(db, capacity=12, students=60)
    teacher = await user(db, w["teacher"])
    await book(db, teacher, w["session"], 10)

    async def fewer(count):
        async with db.write() as conn:
            return await bookings.fewer_seats(
                conn, teacher, w["session"], count, now=NOW, offer=OFFER
            )

    async def name(text):
        async with db.write() as conn:
            return await pending.name_next_seat(conn, teacher, w["session"], name=text, now=NOW)

    tasks = [apply(db, s, w["session"]) for s in w["students"]]
    tasks += [fewer(2), fewer(3), name("홍길동"), name("김철수"), fewer(1)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    unexpected = [
        r
        for r in results
        if isinstance(r, Exception) and not isinstance(r, (Refused, AlreadyHandled))
    ]
    assert not unexpected, unexpected[:3]
    capacity, booked, holding, _ = await seat_counts(db, w["session"])
    assert booked == holding <= capacity
    async with db.read() as conn:
        seats = await pending.class_seats(conn, teacher.id, w["session"])
    given = sum(r.given_back for r in results if isinstance(r, bookings.Changed))
    assert len(seats) == 10 - given
    # A seat named is never one given back: every naming that went through is on the list.
    named = [
        n for n, r in zip(("홍길동", "김철수"), results[-3:-1], strict=True) if isinstance(r, int)
    ]
    assert named and {s.student_name for s in seats} >= set(named)


async def test_cancelling_a_whole_class_offers_the_seats_to_the_waiting_list(db):
    w = await world(db, capacity=5, students=3)
    teacher = await user(db, w["teacher"])
    await book(db, teacher, w["session"], 5)
    waiting = [await apply(db, s, w["session"]) for s in w["students"]]
    assert {a.status for a in waiting} == {"waitlisted"}
    async with db.write() as conn:
        changed = await bookings.cancel_class(conn, teacher, w["session"], now=NOW, offer=OFFER)
    assert changed.given_back == 5 and len(changed.offered) == 3
    assert await seat_counts(db, w["session"]) == (5, 3, 3, 0)
    async with db.read() as conn:
        told = await conn.scalars(select(Reminder.kind).where(Reminder.session_id == w["session"]))
    assert "site_class_change" not in set(told)  # the site has nobody on Telegram here
    async with db.write() as conn:  # nothing left to cancel
        with pytest.raises(NotFound):
            await bookings.cancel_class(conn, teacher, w["session"], now=NOW, offer=OFFER)


async def test_only_the_booking_teacher_changes_it_and_only_until_the_deadline(db):
    w = await world(db, capacity=10, students=1)
    teacher = await user(db, w["teacher"])
    ids = await book(db, teacher, w["session"], 3)
    async with db.write() as conn:
        await conn.execute(insert(User).values(teacher_row(20_001, "동료", w["schools"][0])))
    colleague = await user(db, 20_001)
    async with db.write() as conn:
        with pytest.raises(NotFound):
            await bookings.give_back_seat(conn, colleague, ids[0], now=NOW, offer=OFFER)
        with pytest.raises(NotFound):
            await bookings.cancel_class(conn, colleague, w["session"], now=NOW, offer=OFFER)
        with pytest.raises(NotFound):  # a typed name only: an unnamed seat has none to correct
            await bookings.rename_seat(conn, teacher, ids[0], "홍길동", now=NOW)
    async with db.write() as conn:
        await conn.execute(
            update(Session)
            .where(Session.id == w["session"])
            .values(cancel_deadline=NOW - timedelta(minutes=1))
        )
    async with db.write() as conn:
        with pytest.raises(Refused) as refused:
            await bookings.fewer_seats(conn, teacher, w["session"], 1, now=NOW, offer=OFFER)
    assert refused.value.reason == "too_late"
    async with db.read() as conn:
        statuses = set(await conn.scalars(select(Booking.status)))
    assert statuses == {"confirmed"} and (await seat_counts(db, w["session"]))[1] == 3


async def test_negative_control_a_give_back_that_reads_then_writes_the_count_loses_seats(db):
    """The same check with a naive give-back (the count read, then written, no lock): the
    counter and the seats held part ways, so the test above can fail."""
    w = await world(db, capacity=12, students=60)
    teacher = await user(db, w["teacher"])
    ids = await book(db, teacher, w["session"], 10)

    gives_back = ids[:6]
    # Every give-back reads before any writes, as they can in a busy bot: that race is what
    # the test above guards against, made certain here (a loaded machine may not schedule it).
    all_read = asyncio.Barrier(len(gives_back))

    async def naive(booking_id):
        async with db.read() as conn:
            count = await conn.scalar(select(Session.booked).where(Session.id == w["session"]))
        await all_read.wait()
        async with db.write() as conn:
            await conn.execute(
                update(Booking).where(Booking.id == booking_id).values(status="cancelled")
            )
            await conn.execute(
                update(Session).where(Session.id == w["session"]).values(booked=count - 1)
            )

    tasks = [apply(db, s, w["session"]) for s in w["students"]] + [naive(i) for i in gives_back]
    await asyncio.gather(*tasks, return_exceptions=True)
    _, booked, holding, _ = await seat_counts(db, w["session"])
    assert booked != holding
