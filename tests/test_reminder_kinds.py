"""The other kinds of reminder, all through the outbox: the teacher's morning digest on school
days, a request about to expire, a site told at once of a change close to the session, the
survey after attendance, and the staff's digest of reminders that could not be delivered.

Times are Seoul's; the tests travel in time (time-machine) across day boundaries: a digest
on a Friday and the next on Monday, a session at 00:30, quiet hours for the survey.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import insert, select, update

from handlers.outbox import dispatch_tick, plan_tick
from storage import bookings, reminders, sessions
from storage.models import Booking, Program, Reminder, School, Session, Site, User
from tests.conftest import ADMIN_ID, join_as_student
from tests.test_bookings import HOLD, NOW, OFFER, apply, user, world

KST = ZoneInfo("Asia/Seoul")


def kst(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=KST)


async def outbox(db, kind: str | None = None) -> list:
    stmt = select(Reminder.__table__).order_by(Reminder.key)
    if kind is not None:
        stmt = stmt.where(Reminder.kind == kind)
    async with db.read() as conn:
        return list((await conn.execute(stmt)).all())


@pytest.fixture(autouse=True)
def in_december_2026():
    """These stories are told in December 2026 (the kst(...) moments below). The bot's own
    clock must be there too: at a later real date its background ticks would send at once
    what a story says is not due yet (a digest before 08:30, a reminder before its day)."""
    with time_machine.travel(kst(2026, 12, 1, 9), tick=True):
        yield


async def tick_at(bot, moment: datetime, *, plan: bool = False) -> None:
    """The clock at `moment`: the hourly planning step if asked, then one dispatch."""
    with time_machine.travel(moment, tick=True):
        if plan:
            await plan_tick(bot)
        await dispatch_tick(bot)


def count(person, fragment: str) -> int:
    return sum(fragment in m.get("text", "") for m in person.bot_messages)


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
    assert {r.due_at for r in rows} == {NOW + HOLD - reminders.EXPIRY_WARNING}
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
    assert (row.booking_id, row.due_at) == (winner, drawn_at + HOLD - reminders.EXPIRY_WARNING)
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
    async with db.write() as conn:
        await bookings.mark_attendance(conn, ids[0], w["site"], attended=True, now=NOW)
        await bookings.mark_attendance(conn, ids[1], w["site"], attended=True, now=NOW)
        await bookings.mark_attendance(
            conn, ids[1], w["site"], attended=False, now=NOW
        )  # a correction
        marked = await sessions.mark_all_attended(conn, w["session"], w["site"], actor=1, now=NOW)
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


# ----- sent through the sandbox, in time ------------------------------------------------------


async def make_user(db, sandbox, user_id: int, name: str, **values):
    """A user row (teacher, site) and the chat opened in the sandbox."""
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=user_id, name=name, **values))
    person = sandbox.user(user_id, name)
    await person.send("/help")
    return person


async def school_id(db, name: str = "정발중학교") -> int:
    async with db.read() as conn:
        return await conn.scalar(select(School.id).where(School.name == name))


async def any_session(db) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(Session.id).order_by(Session.id).limit(1))


async def session_at(db, starts_at: datetime) -> tuple[int, int]:
    """A new two-hour session of a demo programme; (session id, its site id)."""
    async with db.write() as conn:
        program_id = await conn.scalar(
            select(Session.program_id).where(Session.id == await any_session(db))
        )
        site_id = await conn.scalar(select(Program.site_id).where(Program.id == program_id))
        session_id = await conn.scalar(
            insert(Session)
            .values(
                program_id=program_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                capacity=10,
            )
            .returning(Session.id)
        )
        # The demo site's safety check must still hold on the day the test travels to.
        await conn.execute(update(Site).where(Site.id == site_id).values(safety_valid_until=None))
    return session_id, site_id


async def test_the_teacher_digest_on_friday_then_on_monday(bot, sandbox, db):
    teacher = await make_user(
        db, sandbox, 7100, "박선영", role="teacher", school_id=await school_id(db), grades=""
    )
    await join_as_student(sandbox, 7001, "김민지")
    async with db.write() as conn:
        await conn.execute(
            insert(Booking).values(
                session_id=await any_session(db),
                student_id=7001,
                school_id=await school_id(db),
                booked_by=7001,
                status="requested",
                expires_at=kst(2026, 12, 10, 12),
            )
        )
    await tick_at(bot, kst(2026, 12, 3, 20), plan=True)  # Thursday evening
    await tick_at(bot, kst(2026, 12, 4, 8, 29))
    assert count(teacher, "좋은 아침입니다") == 0
    await tick_at(bot, kst(2026, 12, 4, 8, 31))  # Friday
    await teacher.expect("답변을 기다리는 신청: 1건")
    assert "김민지" in teacher.last_text and teacher.buttons == ["📋 신청 목록 보기"]

    for moment in (kst(2026, 12, 4, 10), kst(2026, 12, 5, 8, 31), kst(2026, 12, 6, 8, 31)):
        await tick_at(bot, moment, plan=True)  # Friday after it, Saturday, Sunday
    await teacher.refresh()
    assert count(teacher, "좋은 아침입니다") == 1
    [monday] = [r for r in await outbox(db, "teacher_digest") if r.status == "pending"]
    assert monday.key == "teacher_digest:7100:2026-12-07"

    await tick_at(bot, kst(2026, 12, 7, 8, 31), plan=True)  # Monday
    await teacher.refresh()
    assert count(teacher, "좋은 아침입니다") == 2
    await teacher.press("신청 목록 보기")  # the digest turns into the list
    assert "기다리는 신청: 1건" in teacher.last_text

    # Nothing waits any more: Tuesday's digest is not sent at all.
    async with db.write() as conn:
        await conn.execute(update(Booking).values(status="rejected"))
    before = len(teacher.bot_messages)
    await tick_at(bot, kst(2026, 12, 8, 8, 31), plan=True)
    await teacher.refresh()
    assert len(teacher.bot_messages) == before
    statuses = {r.key: r.status for r in await outbox(db, "teacher_digest")}
    assert statuses["teacher_digest:7100:2026-12-08"] == "skipped"


async def test_a_session_at_half_past_midnight(bot, sandbox, db):
    """Thursday 00:30-02:30: booked on Wednesday morning, so the site hears at once; the
    survey, due at 04:30, waits until 08:00; the absent student gets none."""
    midnight, site_id = await session_at(db, kst(2026, 12, 3, 0, 30))
    site = await make_user(db, sandbox, 7200, "김담당", role="site", site_id=site_id)
    await make_user(
        db, sandbox, 7101, "박선영", role="teacher", school_id=await school_id(db), grades=""
    )
    minji = await join_as_student(sandbox, 7002, "김민지")
    seojun = await join_as_student(sandbox, 7003, "이서준")
    wednesday = kst(2026, 12, 2, 10)
    ids = []
    for student_id in (7002, 7003):
        async with db.write() as conn:
            applied = await bookings.apply(
                conn, await user(db, student_id), midnight, hold=HOLD, now=wednesday
            )
            await bookings.confirm(conn, applied.booking_id, await user(db, 7101), now=wednesday)
        ids.append(applied.booking_id)

    await tick_at(bot, wednesday + timedelta(seconds=5))
    await site.expect("새 예약이 확정되었습니다")
    assert (
        count(site, "새 예약이 확정되었습니다") == 2 and "김민지" in site.bot_messages[-2]["text"]
    )

    marked_at = kst(2026, 12, 3, 2, 40)  # attendance after the end
    async with db.write() as conn:
        await bookings.mark_attendance(conn, ids[0], site_id, attended=True, now=marked_at)
        await bookings.mark_attendance(conn, ids[1], site_id, attended=False, now=marked_at)
    [survey] = await outbox(db, "student_survey")
    assert survey.due_at == kst(2026, 12, 3, 8)  # 04:30 is in quiet hours

    await tick_at(bot, kst(2026, 12, 3, 7, 59))
    await minji.refresh()
    assert count(minji, "어땠어요") == 0
    await tick_at(bot, kst(2026, 12, 3, 8, 1))
    await tick_at(bot, kst(2026, 12, 3, 8, 2))
    await minji.expect("어땠어요")
    assert count(minji, "어땠어요") == 1 and minji.buttons == ["1", "2", "3", "4", "5"]
    await minji.press("5")
    assert "5점 중 5점" in minji.last_text
    await seojun.refresh()
    assert count(seojun, "어땠어요") == 0


async def test_the_expiring_request_reminds_and_a_decision_drops_it(bot, sandbox, db):
    teacher = await make_user(
        db, sandbox, 7102, "박선영", role="teacher", school_id=await school_id(db), grades=""
    )
    minji = await join_as_student(sandbox, 7004, "김민지")
    seojun = await join_as_student(sandbox, 7005, "이서준")
    for student in (minji, seojun):
        await student.send("꽃")
        await student.press("1. ")
        await student.press("신청하기")
    await teacher.expect("이서준")
    rows = await outbox(db, "teacher_expiring")
    assert len(rows) == 2 and {r.user_id for r in rows} == {7102}
    # The teacher answers 이서준's request at once (✅ on the newest notice): its reminder goes.
    await teacher.press("승인")
    left = await outbox(db, "teacher_expiring")
    assert [r.booking_id for r in left] == [await _booking_of(db, 7004)]

    with time_machine.travel(left[0].due_at + timedelta(minutes=1), tick=True):
        await dispatch_tick(bot)
    await teacher.expect("신청 기한이 끝납니다")
    assert "김민지" in teacher.last_text and "이서준" not in teacher.last_text
    assert teacher.buttons[:2] == ["✅ 승인", "❌ 거절"]
    await teacher.press("승인")
    async with db.read() as conn:
        statuses = dict((await conn.execute(select(Booking.student_id, Booking.status))).all())
    assert statuses == {7004: "confirmed", 7005: "confirmed"}


async def _booking_of(db, student_id: int) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(Booking.id).where(Booking.student_id == student_id))


async def test_the_site_hears_a_late_cancellation(bot, sandbox, db):
    soon, site_id = await session_at(db, NOW + timedelta(hours=30))
    site = await make_user(db, sandbox, 7201, "김담당", role="site", site_id=site_id)
    await make_user(
        db, sandbox, 7103, "박선영", role="teacher", school_id=await school_id(db), grades=""
    )
    await join_as_student(sandbox, 7006, "김민지")
    async with db.write() as conn:
        applied = await bookings.apply(conn, await user(db, 7006), soon, hold=HOLD, now=NOW)
        await bookings.confirm(conn, applied.booking_id, await user(db, 7103), now=NOW)
    await tick_at(bot, NOW + timedelta(seconds=5))
    assert count(site, "새 예약") == 0  # 30 hours ahead: the roster will tell
    later = NOW + timedelta(hours=10)  # now 20 hours ahead
    async with db.write() as conn:
        await bookings.cancel(
            conn, applied.booking_id, await user(db, 7006), now=later, offer=OFFER
        )
    await tick_at(bot, later + timedelta(seconds=5))
    await site.expect("예약이 취소되었습니다")
    assert "김민지" in site.last_text and "정발중학교" in site.last_text


async def test_staff_get_a_digest_of_undelivered_reminders(tuesday_morning, bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/help")  # ADMIN_IDS: staff from the first message
    await join_as_student(sandbox, 7007, "김민지")
    session_id = await any_session(db)
    now = datetime.now(UTC)
    async with db.write() as conn:
        school = await conn.scalar(select(User.school_id).where(User.id == 7007))
        booking_id = await conn.scalar(
            insert(Booking)
            .values(
                session_id=session_id,
                student_id=7007,
                school_id=school,
                booked_by=7007,
                status="confirmed",
            )
            .returning(Booking.id)
        )
        base = {
            "user_id": 7007,
            "session_id": session_id,
            "booking_id": booking_id,
            "due_at": now - timedelta(seconds=1),
            "attempts": 0,
        }
        await conn.execute(
            insert(Reminder).values(
                kind="student_day_before", key="dead:now", status="pending", **base
            )
        )
        # Died three days ago: not in today's digest.
        await conn.execute(
            insert(Reminder).values(
                kind="student_online",
                key="dead:old",
                status="dead",
                sent_at=now - timedelta(days=3),
                last_error="TimedOut",
                **base,
            )
        )
    await sandbox.block(7007)
    await dispatch_tick(bot)  # 403: dead at once
    [dead] = [r for r in await outbox(db) if r.key == "dead:now"]
    assert (dead.status, dead.last_error) == ("dead", "Forbidden")

    nine = reminders.next_at(reminders.STAFF_DIGEST_AT, now, KST)
    await tick_at(bot, nine - timedelta(hours=1), plan=True)
    await tick_at(bot, nine + timedelta(minutes=1))
    text = (await staff.expect("전달하지 못한 알림: 1건"))["text"]
    assert "student_day_before" in text and "Forbidden" in text
    assert "student_online" not in text and "김민지" not in text
    # The next day nothing new died: no digest.
    await tick_at(bot, nine + timedelta(days=1, minutes=-60), plan=True)
    await tick_at(bot, nine + timedelta(days=1, minutes=1))
    await staff.refresh()
    assert count(staff, "전달하지 못한 알림") == 1


# ----- notices: news at once, in the outbox ---------------------------------------------------


async def test_at_night_an_offer_comes_at_once_and_a_decision_waits_for_the_morning(
    bot, sandbox, db
):
    session, _ = await session_at(db, kst(2026, 12, 3, 10))
    async with db.write() as conn:
        await conn.execute(update(Session).where(Session.id == session).values(capacity=1))
    teacher_id = 7104
    await make_user(
        db, sandbox, teacher_id, "박선영", role="teacher", school_id=await school_id(db)
    )
    minji = await join_as_student(sandbox, 7007, "김민지")
    seojun = await join_as_student(sandbox, 7008, "이서준")
    night = kst(2026, 12, 1, 22)
    async with db.write() as conn:
        held = await bookings.apply(conn, await user(db, 7007), session, hold=HOLD, now=night)
        line = await bookings.apply(conn, await user(db, 7008), session, hold=HOLD, now=night)
        await bookings.reject(
            conn, held.booking_id, await user(db, teacher_id), "정원", now=night, offer=OFFER
        )
    # The teacher's request went with the decision; the two students' news waits to be sent.
    assert {r.kind for r in await outbox(db) if r.due_at == night} == {
        "student_decision",
        "student_offer",
    }
    await tick_at(bot, night + timedelta(seconds=5))
    offer = await seojun.expect("자리가 났어요")
    assert f"bk:ofa:{line.booking_id}" in str(offer["reply_markup"])
    assert count(minji, "승인하지 않았어요") == 0  # not at 22:00: it waits for 08:00
    [decision] = await outbox(db, "student_decision")
    assert (decision.status, decision.due_at) == ("pending", kst(2026, 12, 2, 8))

    await tick_at(
        bot,
        kst(
            2026,
            12,
            2,
            8,
            0,
        )
        + timedelta(seconds=5),
    )
    told = await minji.expect("승인하지 않았어요")
    assert "사유: 정원" in told["text"]


async def test_news_that_no_longer_holds_is_not_sent(bot, sandbox, db):
    session, _ = await session_at(db, kst(2026, 12, 3, 10))
    async with db.write() as conn:
        await conn.execute(update(Session).where(Session.id == session).values(capacity=1))
    await make_user(db, sandbox, 7105, "박선영", role="teacher", school_id=await school_id(db))
    await join_as_student(sandbox, 7009, "김민지")
    seojun = await join_as_student(sandbox, 7010, "이서준")
    noon = kst(2026, 12, 1, 12)
    async with db.write() as conn:
        held = await bookings.apply(conn, await user(db, 7009), session, hold=HOLD, now=noon)
        line = await bookings.apply(conn, await user(db, 7010), session, hold=HOLD, now=noon)
        await bookings.cancel(conn, held.booking_id, await user(db, 7009), now=noon, offer=OFFER)
        # The offer is taken before the outbox gets to it (say, seen in /my).
        await bookings.accept_offer(
            conn, line.booking_id, await user(db, 7010), now=noon, hold=HOLD
        )
    await tick_at(bot, noon + timedelta(seconds=5))
    async with db.read() as conn:
        found = await conn.execute(select(Reminder.kind, Reminder.status))
        statuses = dict(found.all())
    assert statuses["student_offer"] == "skipped"
    assert statuses["teacher_request"] == "sent"  # the taken offer is a request now
    assert count(seojun, "자리가 났어요") == 0
