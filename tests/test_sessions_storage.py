"""The storage side of a site's sessions, on SQLite and PostgreSQL: adding, capacity (never
below the seats held, also while students apply at the same moment), cancelling, attendance
reports, and which teachers are told."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from storage import bookings, sessions
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.models import Booking, Program, Session, User
from tests.test_bookings import HOLD, NOW, OFFER  # the bookings tests' clock and durations
from tests.world_helpers import (
    add_program,
    add_school,
    add_session,
    add_site,
    session_bookings,
    student_row,
    teacher_row,
)

SITE_USER = 30_000


async def world(db, *, capacity: int = 4, students: int = 3) -> dict:
    """Two sites with a programme each; ours has a session in three days; students of grade 2
    at one school, a teacher of grade 1 and one of every grade."""
    async with db.write() as conn:
        school_id = await add_school(conn, "학교")
        ids = {"school": school_id}
        for key in ("ours", "theirs"):
            ids[f"{key}_site"] = await add_site(conn, key)
            ids[f"{key}_program"] = await add_program(
                conn, ids[f"{key}_site"], "체험", external_key=f"{key}|체험", capacity=capacity
            )
        ids["session"] = await sessions.add_session(
            conn,
            ids["ours_site"],
            ids["ours_program"],
            actor=SITE_USER,
            now=NOW,
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=3, hours=2),
            capacity=capacity,
        )
        ids["students"] = [40_000 + n for n in range(students)]
        student_rows = [student_row(s, f"학생{s}", school_id) for s in ids["students"]]
        await conn.execute(insert(User), student_rows)
        teachers = [
            teacher_row(50_001, "일학년", school_id, "1"),
            teacher_row(50_002, "모두", school_id),
        ]
        await conn.execute(insert(User), teachers)
    return ids


async def apply(db, student_id: int, session_id: int) -> bookings.Applied:
    async with db.write() as conn:
        student = (await conn.execute(select(User.__table__).where(User.id == student_id))).one()
        return await bookings.apply(conn, student, session_id, hold=HOLD, now=NOW)


async def session_row(db, session_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(Session.__table__).where(Session.id == session_id))).one()


async def statuses(db, session_id: int) -> list[str]:
    return [booking.status for booking in await session_bookings(db, session_id)]


async def on_our_session(conn, w, step, site: str = "ours_site", now=NOW):
    """A site's step on a session (reporting attendance, marking all attended) by our site's
    person, as `site`."""
    return await step(conn, w["session"], w[site], actor=SITE_USER, now=now)


async def resize(db, w, capacity: int, site: str = "ours_site") -> sessions.Resized:
    async with db.write() as conn:
        return await sessions.change_capacity(
            conn, w["session"], w[site], capacity, actor=SITE_USER, now=NOW, offer=OFFER
        )


# ----- adding ---------------------------------------------------------------------------------


async def test_add_session_checks_the_programme_the_time_and_duplicates(db):
    w = await world(db)
    values = {
        "actor": SITE_USER,
        "now": NOW,
        "starts_at": NOW + timedelta(days=3),
        "ends_at": NOW + timedelta(days=3, hours=1),
        "capacity": 5,
    }
    async with db.write() as conn:
        with pytest.raises(NotFound):  # another site's programme
            await sessions.add_session(conn, w["ours_site"], w["theirs_program"], **values)
        with pytest.raises(bookings.Refused) as refused:
            await sessions.add_session(conn, w["ours_site"], w["ours_program"], **values)
        assert refused.value.reason == "duplicate"
        past = {**values, "starts_at": NOW - timedelta(hours=1)}
        with pytest.raises(bookings.Refused) as refused:
            await sessions.add_session(conn, w["ours_site"], w["ours_program"], **past)
        assert refused.value.reason == "started"
        next_start = await conn.scalar(
            select(Program.next_start).where(Program.id == w["ours_program"])
        )
    assert next_start is not None  # the first session, added in world(), refreshed it


async def test_site_sessions_lists_today_and_to_come_of_the_site_only(db):
    w = await world(db)
    async with db.write() as conn:
        for starts in (NOW - timedelta(hours=3), NOW - timedelta(days=1), NOW + timedelta(days=9)):
            await add_session(conn, w["ours_program"], starts, capacity=3)
        await add_session(conn, w["theirs_program"], NOW + timedelta(days=2), capacity=3)
    today_from = NOW - timedelta(hours=5)
    async with db.read() as conn:
        rows, total = await sessions.site_sessions(
            conn, w["ours_site"], today_from=today_from, now=NOW, offset=0, limit=5
        )
        assert await sessions.site_session(conn, w["session"], w["theirs_site"]) is None
    # today's finished one, the one in three days and the one in nine; not yesterday's
    assert total == 3 and [r.starts_at for r in rows] == sorted(r.starts_at for r in rows)
    assert rows[0].starts_at == NOW - timedelta(hours=3)


# ----- capacity -------------------------------------------------------------------------------


async def test_capacity_never_below_held_and_raising_offers_the_line(db):
    w = await world(db, capacity=2, students=4)
    for student in w["students"]:
        await apply(db, student, w["session"])
    assert await statuses(db, w["session"]) == [
        "requested",
        "requested",
        "waitlisted",
        "waitlisted",
    ]
    with pytest.raises(bookings.Refused) as refused:
        await resize(db, w, 1)
    assert refused.value.reason == "below_held"
    with pytest.raises(NotFound):
        await resize(db, w, 5, site="theirs_site")
    resized = await resize(db, w, 3)
    assert (resized.before, resized.after, len(resized.offered)) == (2, 3, 1)
    assert await statuses(db, w["session"]) == ["requested", "requested", "offered", "waitlisted"]
    row = await session_row(db, w["session"])
    assert (row.capacity, row.booked) == (3, 3)
    await resize(db, w, 3)  # lowering to exactly the seats held is allowed
    with pytest.raises(bookings.Refused):
        await resize(db, w, 2)


async def test_lowering_capacity_while_students_apply_never_overbooks(db):
    """Twenty students apply for twenty seats while the site keeps lowering the capacity to
    ten: whichever comes first, seats held never exceed the capacity."""
    w = await world(db, capacity=20, students=20)

    async def lower():
        for _ in range(10):
            try:
                await resize(db, w, 10)
            except bookings.Refused:
                pass
            await asyncio.sleep(0)

    results = await asyncio.gather(
        lower(), *(apply(db, s, w["session"]) for s in w["students"]), return_exceptions=True
    )
    assert not [r for r in results if isinstance(r, Exception)], results[:3]
    row = await session_row(db, w["session"])
    async with db.read() as conn:
        held = await bookings.seats_held(conn, w["session"])
    assert row.booked == held <= row.capacity
    assert row.capacity in (10, 20)
    waiting = (await statuses(db, w["session"])).count("waitlisted")
    assert held + waiting == 20


# ----- cancelling -----------------------------------------------------------------------------


async def test_cancelling_ends_every_active_booking_and_frees_the_seats(db):
    w = await world(db, capacity=1, students=3)
    for student in w["students"]:
        await apply(db, student, w["session"])
    async with db.write() as conn:
        with pytest.raises(NotFound):
            await sessions.cancel_session(
                conn, w["session"], w["theirs_site"], "이유", actor=SITE_USER, now=NOW
            )
    async with db.write() as conn:
        affected = await sessions.cancel_session(
            conn, w["session"], w["ours_site"], "강사 사정", actor=SITE_USER, now=NOW
        )
        teachers = await sessions.teachers_to_tell(
            conn, [b for b in affected if b.status == "requested"]
        )
    assert sorted(b.status for b in affected) == ["requested", "waitlisted", "waitlisted"]
    assert await statuses(db, w["session"]) == ["cancelled"] * 3
    row = await session_row(db, w["session"])
    assert (row.status, row.cancel_reason, row.booked) == ("cancelled", "강사 사정", 0)
    # grade 2: the teacher of every grade, not the one of grade 1
    assert [(t.id, len(b)) for t, b in teachers] == [(50_002, 1)]
    async with db.read() as conn:
        next_start = await conn.scalar(
            select(Program.next_start).where(Program.id == w["ours_program"])
        )
    assert next_start is None
    async with db.write() as conn:
        with pytest.raises(AlreadyHandled):
            await sessions.cancel_session(
                conn, w["session"], w["ours_site"], "또", actor=SITE_USER, now=NOW
            )
    with pytest.raises(bookings.Refused):  # a cancelled session's capacity cannot change
        await resize(db, w, 5)


async def test_a_started_session_cannot_be_cancelled(db):
    w = await world(db)
    async with db.write() as conn:
        with pytest.raises(bookings.Refused):
            await sessions.cancel_session(
                conn,
                w["session"],
                w["ours_site"],
                "늦음",
                actor=SITE_USER,
                now=NOW + timedelta(days=3, minutes=1),
            )


# ----- attendance -----------------------------------------------------------------------------


async def test_attendance_report_goes_once_per_set_of_marks(db):
    w = await world(db, capacity=3, students=1)
    applied = await apply(db, w["students"][0], w["session"])
    async with db.write() as conn:
        await conn.execute(
            update(Booking).where(Booking.id == applied.booking_id).values(status="confirmed")
        )
        class_ids = await bookings.book_class(
            conn,
            (await conn.execute(select(User.__table__).where(User.id == 50_001))).one(),
            w["session"],
            1,
            now=NOW,
        )
    began = NOW + timedelta(days=3, minutes=1)  # world(): the session starts in three days
    async with db.write() as conn:
        for step in (sessions.report_attendance, sessions.mark_all_attended):
            with pytest.raises(Refused) as refused:  # before the start: nothing happened yet
                await on_our_session(conn, w, step, now=began - timedelta(minutes=2))
            assert refused.value.reason == "attendance_closed"
    async with db.write() as conn:
        first = await on_our_session(conn, w, sessions.report_attendance, now=began)
        again = await on_our_session(conn, w, sessions.report_attendance, now=began)
        marked = await on_our_session(conn, w, sessions.mark_all_attended, now=began)
        changed = await on_our_session(conn, w, sessions.report_attendance, now=began)
        with pytest.raises(NotFound):
            await on_our_session(conn, w, sessions.report_attendance, site="theirs_site", now=began)
    # The student's own booking goes to the all-grades teacher; the class seat to its teacher.
    assert sorted((t.id, [b.id for b in theirs]) for t, theirs in first) == [
        (50_001, class_ids),
        (50_002, [applied.booking_id]),
    ]
    # The class seat has no name: no person to mark (storage/bookings/attendance.py).
    assert again is None and marked == 1 and changed is not None
    async with db.read() as conn:
        attended = await conn.scalar(
            select(func.count()).where(
                Booking.session_id == w["session"], Booking.attendance == "attended"
            )
        )
    assert attended == 1
