"""Bookings in storage, on SQLite and PostgreSQL: no seat is ever sold twice.

The contention tests run hundreds of transactions at once through the real Database (one
SQLite writer; a PostgreSQL pool of 20), and a negative control shows the same counting
catches overbooking when the guard is switched off.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from storage import bookings
from storage.errors import AlreadyHandled, NotFound
from storage.models import SEAT_STATUSES, Booking, Program, Session, Site, User
from tests.world_helpers import (
    add_program,
    add_school,
    add_session,
    add_site,
    student_row,
    teacher_row,
)

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
HOLD = timedelta(hours=48)
OFFER = timedelta(hours=12)


# ----- a small world --------------------------------------------------------------------------


async def world(db, *, capacity=30, students=3, schools=1, **session_values) -> dict:
    """One site, programme and session; `students` students spread over `schools` schools."""
    async with db.write() as conn:
        school_ids = [await add_school(conn, f"학교{n}") for n in range(schools)]
        site_id = await add_site(conn, "체험처")
        program_id = await add_program(
            conn, site_id, "체험", external_key="체험처|체험", capacity=capacity
        )
        values = {
            "starts_at": NOW + timedelta(days=3),
            "ends_at": NOW + timedelta(days=3, hours=2),
            "capacity": capacity,
            **session_values,
        }
        session_id = await add_session(conn, program_id, **values)
        student_rows = [
            student_row(10_000 + n, f"학생{n}", school_ids[n % schools]) for n in range(students)
        ]
        if student_rows:
            await conn.execute(insert(User), student_rows)
        await conn.execute(insert(User).values(teacher_row(20_000, "선생님", school_ids[0], "2")))
    return {
        "session": session_id,
        "site": site_id,
        "program": program_id,
        "schools": school_ids,
        "students": [r["id"] for r in student_rows],
        "teacher": 20_000,
    }


async def user(db, user_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(User.__table__).where(User.id == user_id))).one()


async def apply(db, student_id: int, session_id: int, now: datetime = NOW):
    student = await user(db, student_id)
    async with db.write() as conn:
        return await bookings.apply(conn, student, session_id, hold=HOLD, now=now)


async def seat_counts(db, session_id: int) -> tuple[int, int, int, int]:
    """(capacity, booked, bookings holding a seat, waitlisted)."""
    async with db.read() as conn:
        session = (await conn.execute(select(Session).where(Session.id == session_id))).one()
        holding = await bookings.seats_held(conn, session_id)
        waiting = await conn.scalar(
            select(func.count()).where(
                Booking.session_id == session_id, Booking.status == "waitlisted"
            )
        )
    return session.capacity, session.booked, holding, waiting


# ----- contention -----------------------------------------------------------------------------


async def contend(db, attempt, students: list[int]) -> None:
    results = await asyncio.gather(*(attempt(s) for s in students), return_exceptions=True)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]


async def test_500_students_for_30_seats(db):
    w = await world(db, capacity=30, students=500)
    await contend(db, lambda s: apply(db, s, w["session"]), w["students"])
    capacity, booked, holding, waiting = await seat_counts(db, w["session"])
    assert (capacity, booked, holding, waiting) == (30, 30, 30, 470)


async def test_negative_control_the_same_count_catches_overbooking(db):
    """Check-then-write without the conditional update (a naive booking): the count shows it."""
    w = await world(db, capacity=30, students=200)

    async def naive(student_id: int) -> None:
        async with db.read() as conn:
            booked = await conn.scalar(select(Session.booked).where(Session.id == w["session"]))
        await asyncio.sleep(0)  # others read meanwhile, as in a busy bot
        if booked >= 30:
            return
        async with db.write() as conn:
            await conn.execute(
                update(Session).where(Session.id == w["session"]).values(booked=booked + 1)
            )
            await conn.execute(
                insert(Booking).values(
                    session_id=w["session"],
                    student_id=student_id,
                    school_id=w["schools"][0],
                    booked_by=student_id,
                    status="requested",
                )
            )

    await contend(db, naive, w["students"])
    capacity, booked, holding, _ = await seat_counts(db, w["session"])
    assert holding > capacity and holding != booked  # oversold, and the counter lost updates


async def test_the_same_student_pressing_five_times_at_once_books_once(db):
    w = await world(db, capacity=30, students=1)
    results = await asyncio.gather(
        *(apply(db, w["students"][0], w["session"]) for _ in range(5)), return_exceptions=True
    )
    made = [r for r in results if isinstance(r, bookings.Applied)]
    refused = [r for r in results if isinstance(r, bookings.Refused)]
    assert len(made) == 1 and len(refused) == 4 and {r.reason for r in refused} == {"already"}
    assert (await seat_counts(db, w["session"]))[1:3] == (1, 1)


async def test_confirm_and_cancel_at_once_end_in_one_consistent_state(db):
    w = await world(db, capacity=5, students=20)
    teacher = await user(db, w["teacher"])
    applied = [await apply(db, s, w["session"]) for s in w["students"]]
    held = [a for a in applied if a.status == "requested"]

    async def confirm(booking_id):
        async with db.write() as conn:
            return await bookings.confirm(conn, booking_id, teacher, now=NOW)

    async def cancel(booking_id, student_id):
        student = await user(db, student_id)
        async with db.write() as conn:
            return await bookings.cancel(conn, booking_id, student, now=NOW, offer=OFFER)

    async with db.read() as conn:
        owners = {b.id: b.student_id for b in (await conn.execute(select(Booking.__table__))).all()}
    tasks = []
    for a in held:
        tasks += [confirm(a.booking_id), cancel(a.booking_id, owners[a.booking_id])]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, AlreadyHandled)
    ]
    assert not unexpected, unexpected[:3]
    async with db.read() as conn:
        statuses = dict((await conn.execute(select(Booking.id, Booking.status))).all())
    assert {statuses[a.booking_id] for a in held} <= {"confirmed", "cancelled"}
    capacity, booked, holding, _ = await seat_counts(db, w["session"])
    # Every cancelled seat went to the next in line as an offer: still full, still exact.
    assert booked == holding == capacity


# ----- the flows in storage -------------------------------------------------------------------


async def test_waiting_list_offers_in_arrival_order_and_passes_on(db):
    w = await world(db, capacity=1, students=3)
    first, second, third = w["students"]
    a = await apply(db, first, w["session"])
    b = await apply(db, second, w["session"])
    c = await apply(db, third, w["session"])
    async with db.read() as conn:
        places = [await bookings.place_in_line(conn, x.booking_id) for x in (a, b, c)]
    assert (a.status, b.status, places) == ("requested", "waitlisted", [None, 1, 2])
    async with db.write() as conn:
        freed = await bookings.cancel(
            conn, a.booking_id, await user(db, first), now=NOW, offer=OFFER
        )
    assert freed.offered == [b.booking_id]
    # The offer runs out: it passes to the third student.
    later = NOW + OFFER + timedelta(minutes=1)
    async with db.write() as conn:
        expired = await bookings.expire_due(conn, now=later, offer=OFFER)
    assert [(x.id, f.offered) for x, f in expired] == [(b.booking_id, [c.booking_id])]
    async with db.write() as conn:
        taken = await bookings.accept_offer(
            conn, c.booking_id, await user(db, third), now=later, hold=HOLD
        )
    assert taken.status == "requested"
    assert (await seat_counts(db, w["session"]))[1:] == (1, 1, 0)


async def test_requests_expire_after_the_hold_and_free_the_seat(db):
    w = await world(db, capacity=1, students=1)
    a = await apply(db, w["students"][0], w["session"])
    async with db.write() as conn:
        assert (
            await bookings.expire_due(conn, now=NOW + HOLD - timedelta(seconds=1), offer=OFFER)
            == []
        )
        done = await bookings.expire_due(conn, now=NOW + HOLD, offer=OFFER)
    assert [b.id for b, _ in done] == [a.booking_id]
    assert (await seat_counts(db, w["session"]))[1] == 0


async def test_rules_refuse_with_a_reason(db):
    w = await world(db, capacity=3, students=2, opens_at=NOW + timedelta(hours=1))
    with pytest.raises(bookings.Refused) as refused:
        await apply(db, w["students"][0], w["session"])
    assert refused.value.reason == "not_open" and refused.value.when == NOW + timedelta(hours=1)
    later = NOW + timedelta(hours=2)
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == w["students"][1]).values(under14=True))
    with pytest.raises(bookings.Refused, match="consent"):
        await apply(db, w["students"][1], w["session"], later)
    with pytest.raises(bookings.Refused, match="started"):
        await apply(db, w["students"][0], w["session"], NOW + timedelta(days=4))
    async with db.write() as conn:
        await conn.execute(
            update(Site).values(safety_status="passed", safety_valid_until=date(2026, 11, 30))
        )
    with pytest.raises(bookings.Refused, match="safety"):
        await apply(db, w["students"][0], w["session"], later)


async def test_a_safety_check_runs_out_at_midnight_in_seoul(db):
    """Valid until 1 December: bookable at 23:30 that day in Seoul (14:30 UTC), refused at
    00:30 the next (15:30 UTC, still 1 December in UTC)."""
    w = await world(db, capacity=3, students=2)
    async with db.write() as conn:
        await conn.execute(
            update(Site).values(safety_status="passed", safety_valid_until=date(2026, 12, 1))
        )
    last_evening = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert (await apply(db, w["students"][0], w["session"], last_evening)).status == "requested"
    with pytest.raises(bookings.Refused, match="safety"):
        await apply(db, w["students"][1], w["session"], last_evening + timedelta(hours=1))


async def test_a_per_school_cap_and_overlap_warning(db):
    w = await world(db, capacity=10, students=6, schools=2, school_cap=2)
    results = [await apply(db, s, w["session"]) for s in w["students"]]
    # Students alternate schools: two seats each, the rest in line.
    assert [r.status for r in results] == ["requested"] * 4 + ["waitlisted"] * 2
    async with db.write() as conn:
        other = await add_session(conn, w["program"], NOW + timedelta(days=3, hours=1), capacity=5)
    await apply(db, w["students"][0], other)
    async with db.read() as conn:
        session = await bookings.session_view(conn, other)
        clashes = await bookings.clashes(conn, w["students"][0], session)
        assert [c.title for c in clashes] == ["체험"]


async def test_teachers_only_decide_for_their_school_and_grades(db):
    w = await world(db, capacity=3, students=1)
    a = await apply(db, w["students"][0], w["session"])
    async with db.write() as conn:
        await conn.execute(
            insert(User).values(id=20_001, role="teacher", school_id=w["schools"][0], grades="3")
        )
    outsider = await user(db, 20_001)
    with pytest.raises(NotFound):
        async with db.write() as conn:
            await bookings.confirm(conn, a.booking_id, outsider, now=NOW)
    teacher = await user(db, w["teacher"])
    async with db.write() as conn:
        freed = await bookings.reject(
            conn, a.booking_id, teacher, "수업 일정", now=NOW, offer=OFFER
        )
    assert freed.offered == []
    with pytest.raises(AlreadyHandled):
        async with db.write() as conn:
            await bookings.confirm(conn, a.booking_id, teacher, now=NOW)
    # Another student cannot cancel it: the same answer as a missing booking.
    with pytest.raises(NotFound):
        async with db.write() as conn:
            await bookings.cancel(conn, a.booking_id, teacher, now=NOW, offer=OFFER)


async def test_a_lottery_draws_with_a_recorded_seed_and_can_be_replayed(db):
    w = await world(db, capacity=3, students=8, lottery_until=NOW + timedelta(hours=1))
    entries = [await apply(db, s, w["session"]) for s in w["students"]]
    assert {e.status for e in entries} == {"entered"} and (await seat_counts(db, w["session"]))[
        1
    ] == 0
    async with db.write() as conn:
        drawn = await bookings.draw_due(conn, now=NOW + timedelta(hours=1), hold=HOLD)
    [(session_id, winners, waiting)] = drawn
    assert len(winners) == 3 and len(waiting) == 5 and set(winners).isdisjoint(waiting)
    async with db.read() as conn:
        seed = await conn.scalar(select(Session.lottery_seed).where(Session.id == session_id))
        lines = dict(
            (
                await conn.execute(
                    select(Booking.id, Booking.line).where(Booking.status == "waitlisted")
                )
            ).all()
        )
    assert [lines[b] for b in waiting] == [1, 2, 3, 4, 5]
    # Replaying the seed over the same entries gives the same draw.
    import random

    replay = sorted(e.booking_id for e in entries)
    random.Random(seed).shuffle(replay)
    assert replay[:3] == winners and replay[3:] == waiting


async def test_class_booking_then_naming_students(db):
    w = await world(db, capacity=30, students=2)
    teacher = await user(db, w["teacher"])
    async with db.write() as conn:
        seats = await bookings.book_class(conn, teacher, w["session"], 25, now=NOW)
    assert len(seats) == 25 and (await seat_counts(db, w["session"]))[1:3] == (25, 25)
    async with db.write() as conn:
        await bookings.name_seat(conn, seats[0], teacher, student_id=w["students"][0], now=NOW)
        await bookings.name_seat(conn, seats[1], teacher, name="박지호", now=NOW)
    with pytest.raises(bookings.Refused, match="already"):
        async with db.write() as conn:
            await bookings.name_seat(conn, seats[2], teacher, student_id=w["students"][0], now=NOW)
    with pytest.raises(bookings.Refused, match="no_room"):
        async with db.write() as conn:
            await bookings.book_class(conn, teacher, w["session"], 6, now=NOW)


async def test_the_check_constraint_is_the_backstop(db):
    w = await world(db, capacity=1, students=0)
    with pytest.raises(Exception, match="(?i)check|seats"):
        async with db.write() as conn:
            await conn.execute(update(Session).where(Session.id == w["session"]).values(booked=2))


def test_seat_statuses_are_the_ones_counted():
    assert set(SEAT_STATUSES) == {"requested", "confirmed", "offered"}


async def test_a_class_seat_needs_consent_for_a_student_under_14(db):
    w = await world(db, capacity=5, students=1)
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == w["students"][0]).values(under14=True))
    teacher = await user(db, w["teacher"])
    async with db.write() as conn:
        [seat] = await bookings.book_class(conn, teacher, w["session"], 1, now=NOW)
    with pytest.raises(bookings.Refused, match="consent"):
        async with db.write() as conn:
            await bookings.name_seat(conn, seat, teacher, student_id=w["students"][0], now=NOW)


async def test_the_stored_seats_left_match_a_full_refresh(db):
    """Taking a seat updates the programme's stored next session cheaply; it must equal
    what storage.search.refresh_next computes from scratch."""
    from storage.search import refresh_next

    w = await world(db, capacity=3, students=4)

    async def stored():
        async with db.read() as conn:
            row = (
                await conn.execute(
                    select(Program.next_start, Program.next_seats, Program.next_free_start)
                )
            ).one()
        return tuple(row)

    async with db.write() as conn:
        await refresh_next(conn, [w["program"]], now=NOW)
    for student in w["students"]:
        await apply(db, student, w["session"])
        cheap = await stored()
        async with db.write() as conn:
            await refresh_next(conn, [w["program"]], now=NOW)
        assert cheap == await stored()
    assert (await stored())[1] == 0
