"""The other kinds of reminder, all through the outbox: the teacher's morning digest on school
days, a request about to expire, a site told at once of a change close to the session, the
survey after attendance, and the staff's digest of reminders that could not be delivered.

Times are Seoul's; the tests travel in time (time-machine) across day boundaries: a digest
on a Friday and the next on Monday, a session at 00:30, quiet hours for the survey.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, update

from storage import bookings, reminders, sessions
from storage.models import Reminder, User
from tests import reminder_kinds_helpers
from tests.reminder_kinds_helpers import KST, kst, outbox
from tests.test_bookings import HOLD, NOW, OFFER, apply, user, world

# These stories are told in December 2026: the bot's clock goes there too.
in_december_2026 = reminder_kinds_helpers.in_december_2026


# ----- when, in Seoul -------------------------------------------------------------------------


def test_school_days_skip_weekends_and_public_holidays():
    at = reminders.TEACHER_DIGEST_AT
    friday = kst(2026, 12, 4, 8)
    assert reminders.next_at(at, friday, KST, school_days=True) == kst(2026, 12, 4, 8, 30)
    after = kst(2026, 12, 4, 8, 30)  # the moment itself has passed: the next is Monday
    assert reminders.next_at(at, after, KST, school_days=True) == kst(2026, 12, 7, 8, 30)
    # Christmas is a Friday in 2026: from Thursday morning the next school day is Monday.
    assert reminders.next_at(at, kst(2026, 12, 24, 9), KST, school_days=True) == kst(
        2026, 12, 28, 8, 30
    )
    # Chuseok 2026 (Thursday to Saturday).
    assert reminders.next_at(at, kst(2026, 9, 23, 9), KST, school_days=True) == kst(
        2026, 9, 28, 8, 30
    )
    # Staff's digest comes every day, weekends too.
    assert reminders.next_at(reminders.STAFF_DIGEST_AT, after, KST) == kst(2026, 12, 4, 9)
    assert reminders.next_at(time(9), kst(2026, 12, 5, 10), KST) == kst(2026, 12, 6, 9)
    assert not reminders.school_day(date(2027, 2, 9))  # Seollal's substitute day


def test_the_survey_waits_out_quiet_hours():
    # A session ending at 19:30 would ask at 21:30: it waits until 08:00.
    assert reminders.after_quiet_hours(kst(2026, 12, 3, 21, 30), KST) == kst(2026, 12, 4, 8)
    assert reminders.after_quiet_hours(kst(2026, 12, 3, 4, 30), KST) == kst(2026, 12, 3, 8)
    assert reminders.after_quiet_hours(kst(2026, 12, 3, 16), KST) == kst(2026, 12, 3, 16)


# ----- what the booking changes write -------------------------------------------------------


async def add_teacher(db, w, user_id: int, grades: str) -> None:
    async with db.write() as conn:
        await conn.execute(
            insert(User).values(
                id=user_id, role="teacher", name="교사", school_id=w["schools"][0], grades=grades
            )
        )


async def test_a_request_reminds_its_teachers_and_a_decision_drops_it(db):
    w = await world(db, capacity=5, students=4)
    await add_teacher(db, w, 20_001, "")  # all grades
    await add_teacher(db, w, 20_002, "3")  # not the students' grade
    first = await apply(db, w["students"][0], w["session"])
    rows = await outbox(db, "teacher_expiring")
    assert [(r.user_id, r.booking_id) for r in rows] == [
        (20_000, first.booking_id),
        (20_001, first.booking_id),
    ]
    # 12 hours before 10:00 is 22:00, the night before: the teachers hear at 08:00 instead.
    assert {r.due_at for r in rows} == {datetime(2026, 12, 3, 8, 0, tzinfo=KST)}
    assert NOW + HOLD == datetime(2026, 12, 3, 10, 0, tzinfo=KST)
    assert {r.key for r in rows} == {
        f"teacher_expiring:{first.booking_id}:20000",
        f"teacher_expiring:{first.booking_id}:20001",
    }

    # Confirmed, rejected, cancelled, expired: each takes the reminders of its request away.
    second, third, fourth = [await apply(db, s, w["session"]) for s in w["students"][1:]]
    teacher = await user(db, w["teacher"])
    async with db.write() as conn:
        await bookings.confirm(conn, first.booking_id, teacher, now=NOW)
        await bookings.reject(conn, second.booking_id, teacher, "", now=NOW, offer=OFFER)
        student = await user(db, w["students"][2])
        await bookings.cancel(conn, third.booking_id, student, now=NOW, offer=OFFER)
    assert {r.booking_id for r in await outbox(db, "teacher_expiring")} == {fourth.booking_id}
    async with db.write() as conn:
        await bookings.expire_due(conn, now=NOW + HOLD + timedelta(seconds=1), offer=OFFER)
    assert await outbox(db, "teacher_expiring") == []


async def test_a_lottery_win_and_a_taken_offer_are_requests_too(db):
    w = await world(db, capacity=1, students=3, lottery_until=NOW + timedelta(hours=1))
    entries = [(await apply(db, s, w["session"])).booking_id for s in w["students"]]
    assert await outbox(db, "teacher_expiring") == []  # entries wait for the draw
    drawn_at = NOW + timedelta(hours=2)
    async with db.write() as conn:
        _, [winner], line = await bookings.draw(conn, w["session"], now=drawn_at, hold=HOLD)
    [row] = await outbox(db, "teacher_expiring")
    warned = reminders.expiry_warning_at(drawn_at + HOLD, drawn_at)
    assert (row.booking_id, row.due_at) == (winner, warned)
    # The winner cancels; the first in line is offered the seat and takes it.
    students = dict(zip(entries, w["students"], strict=True))
    async with db.write() as conn:
        freed = await bookings.cancel(
            conn, winner, await user(db, students[winner]), now=drawn_at, offer=OFFER
        )
        assert freed.offered == [line[0]]
        await bookings.accept_offer(
            conn, line[0], await user(db, students[line[0]]), now=drawn_at, hold=HOLD
        )
    assert [r.booking_id for r in await outbox(db, "teacher_expiring")] == [line[0]]


async def test_a_hold_shorter_than_the_warning_writes_no_reminder(db):
    w = await world(db, capacity=5, students=1)
    student = await user(db, w["students"][0])
    async with db.write() as conn:
        await bookings.apply(conn, student, w["session"], hold=timedelta(hours=6), now=NOW)
    assert await outbox(db, "teacher_expiring") == []


async def test_a_change_close_to_the_session_goes_to_the_site_at_once(db):
    soon = NOW + timedelta(hours=20)
    w = await world(db, capacity=5, students=3, starts_at=soon, ends_at=soon + timedelta(hours=2))
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=30_000, role="site", site_id=w["site"]))
    ids = [(await apply(db, s, w["session"])).booking_id for s in w["students"]]
    teacher = await user(db, w["teacher"])
    async with db.write() as conn:
        for booking_id in ids:
            await bookings.confirm(conn, booking_id, teacher, now=NOW)
    rows = await outbox(db, "site_change")
    assert [(r.key, r.due_at, r.user_id) for r in rows] == [
        (f"site_change:{b}:confirmed:30000", NOW, 30_000) for b in ids
    ]
    # The first confirmation was already sent: its cancellation is news too. The second was
    # not: cancelling takes it back, and the site hears nothing of either.
    async with db.write() as conn:
        await conn.execute(
            update(Reminder).where(Reminder.booking_id == ids[0]).values(status="sent")
        )
        for index in (0, 1):
            student = await user(db, w["students"][index])
            await bookings.cancel(
                conn, ids[index], student, now=NOW + timedelta(minutes=1), offer=OFFER
            )
    keys = {r.key for r in await outbox(db, "site_change")}
    assert keys == {
        f"site_change:{ids[0]}:confirmed:30000",
        f"site_change:{ids[0]}:cancelled:30000",
        f"site_change:{ids[2]}:confirmed:30000",
    }


async def test_a_change_further_ahead_waits_for_the_roster(db):
    w = await world(db, capacity=5, students=1)  # the session is three days ahead
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=30_000, role="site", site_id=w["site"]))
    applied = await apply(db, w["students"][0], w["session"])
    async with db.write() as conn:
        await bookings.confirm(conn, applied.booking_id, await user(db, w["teacher"]), now=NOW)
        student = await user(db, w["students"][0])
        await bookings.cancel(conn, applied.booking_id, student, now=NOW, offer=OFFER)
    assert await outbox(db, "site_change") == []


async def test_attendance_writes_the_survey_and_absence_takes_it_back(db):
    w = await world(db, capacity=5, students=3)
    ids = [(await apply(db, s, w["session"])).booking_id for s in w["students"]]
    teacher = await user(db, w["teacher"])
    async with db.write() as conn:
        for booking_id in ids:
            await bookings.confirm(conn, booking_id, teacher, now=NOW)
    began = NOW + timedelta(days=3, minutes=5)  # attendance is taken once it has begun
    async with db.write() as conn:
        await bookings.mark_attendance(conn, ids[0], w["site"], attended=True, now=began)
        await bookings.mark_attendance(conn, ids[1], w["site"], attended=True, now=began)
        await bookings.mark_attendance(
            conn, ids[1], w["site"], attended=False, now=began
        )  # a correction
        marked = await sessions.mark_all_attended(conn, w["session"], w["site"], actor=1, now=began)
    assert marked == 1  # only the third was still unmarked
    rows = await outbox(db, "student_survey")
    assert [r.key for r in rows] == [f"student_survey:{ids[0]}", f"student_survey:{ids[2]}"]
    ends = NOW + timedelta(days=3, hours=2)  # world(): 10:00-12:00 in Seoul
    assert {r.due_at for r in rows} == {ends + reminders.SURVEY_AFTER}


async def test_the_digests_are_planned_ahead_once_per_day(db):
    w = await world(db, capacity=5, students=1)
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=40_000, role="staff", name="담당"))
        await conn.execute(
            insert(User).values(id=20_009, role="teacher", school_id=w["schools"][0], active=False)
        )
    friday_morning = kst(2026, 12, 4, 9)
    for _ in range(2):
        async with db.write() as conn:
            await reminders.plan_digests(conn, now=friday_morning, tz=KST)
    rows = await outbox(db)
    assert [(r.key, r.due_at) for r in rows] == [
        ("staff_dead:40000:2026-12-05", kst(2026, 12, 5, 9)),
        ("teacher_digest:20000:2026-12-07", kst(2026, 12, 7, 8, 30)),
    ]
    assert all(r.booking_id is None and r.session_id is None for r in rows)


def test_a_teacher_is_warned_of_an_expiring_request_by_day_never_at_night():
    """12 hours before the request expires, moved out of 21:00-08:00 to that morning; none
    once it has passed (reminders.out_of_quiet_hours, tested with students' reminders, falls
    back on 20:30 the evening before, which a 12-hour warning never needs)."""
    at = lambda *args: datetime(*args, tzinfo=KST)  # noqa: E731
    now = at(2026, 12, 1, 9, 0)
    assert reminders.expiry_warning_at(at(2026, 12, 3, 20, 0), now) == at(2026, 12, 3, 8, 0)
    assert reminders.expiry_warning_at(at(2026, 12, 3, 10, 0), now) == at(2026, 12, 3, 8, 0)
    assert reminders.expiry_warning_at(at(2026, 12, 3, 8, 20), now) == at(2026, 12, 2, 20, 20)
    assert reminders.expiry_warning_at(at(2026, 12, 3, 6, 0), now) == at(2026, 12, 2, 18, 0)
    assert reminders.expiry_warning_at(at(2026, 12, 3, 9, 20), now) == at(2026, 12, 3, 8, 0)
    assert reminders.expiry_warning_at(at(2026, 12, 1, 18, 0), now) is None  # just asked
    for hour in range(24):  # whenever it expires, the warning comes by day
        due = reminders.expiry_warning_at(at(2026, 12, 5, hour, 0), now)
        assert due is not None and not reminders.in_quiet_hours(due, KST), hour
