"""The other kinds of reminder sent through the sandbox at their moments: the teacher's digest
on school days, a session at 00:30, an expiring request, a late cancellation told to the
site, the staff's digest of what could not be delivered, and notices at night."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import insert, select, update

from handlers.bookings.buttons import APPLY, TAKE_OFFER
from handlers.outbox import dispatch_tick
from storage import bookings, reminders
from storage.models import Booking, Program, Reminder, School, Session, Site, User
from tests import reminder_kinds_helpers
from tests.conftest import ADMIN_ID, join_as_student
from tests.reminder_kinds_helpers import KST, count, kst, outbox, tick_at
from tests.test_bookings import HOLD, NOW, OFFER, user
from tests.test_bookings_e2e import first_session
from tests.world_helpers import add_booking, add_session

# These stories are told in December 2026: the bot's clock goes there too.
in_december_2026 = reminder_kinds_helpers.in_december_2026


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
        session_id = await add_session(conn, program_id, starts_at, capacity=10)
        # The demo site's safety check must still hold on the day the test travels to.
        await conn.execute(update(Site).where(Site.id == site_id).values(safety_valid_until=None))
    return session_id, site_id


async def test_the_teacher_digest_on_friday_then_on_monday(bot, sandbox, db):
    teacher = await make_user(
        db, sandbox, 7100, "박선영", role="teacher", school_id=await school_id(db), grades=""
    )
    await join_as_student(sandbox, 7001, "김민지")
    async with db.write() as conn:
        expires_at = kst(2026, 12, 10, 12)
        await add_booking(conn, await any_session(db), 7001, "requested", expires_at=expires_at)
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
        if student is minji:  # far enough ahead for a whole hold and its warning
            starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
            session_id = await first_session(
                student, db, starts_at=starts, ends_at=starts + timedelta(hours=2)
            )
        await student.press_data(student.last_message["message_id"], APPLY.pack(session_id))
    await teacher.expect("이서준")
    rows = await outbox(db, "teacher_expiring")
    assert len(rows) == 2 and {r.user_id for r in rows} == {7102}
    # The teacher answers 이서준's request at once (✅ on the newest notice): its reminder goes.
    await teacher.press("승인")
    left = await outbox(db, "teacher_expiring")
    assert [r.booking_id for r in left] == [await _booking_of(db, 7004)]

    with time_machine.travel(left[0].due_at + timedelta(minutes=1), tick=True):
        await dispatch_tick(bot)
    # That morning's digest may come in the same tick: look at the reminder itself.
    expiring = await teacher.expect("신청 기한이 끝납니다")
    assert "김민지" in expiring["text"] and "이서준" not in expiring["text"]
    buttons = [b["text"] for row in expiring["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[:2] == ["✅ 승인", "❌ 거절"]
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
        booking_id = await add_booking(conn, session_id, 7007)
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
    assert TAKE_OFFER.pack(line.booking_id) in [
        b.get("callback_data") for row in offer["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert count(minji, "승인하지 않았어요") == 0  # not at 22:00: it waits for 08:00
    [decision] = await outbox(db, "student_decision")
    assert (decision.status, decision.due_at) == ("pending", kst(2026, 12, 2, 8))

    await tick_at(bot, kst(2026, 12, 2, 8) + timedelta(seconds=5))
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
