"""Reminders: when they are due in Seoul, the outbox rows a booking writes and removes, claims
that never hand the same row out twice, retries, and sending through the sandbox in time."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import insert, select, update

from handlers.bookings.buttons import APPLY
from handlers.outbox import dispatch_tick
from storage import bookings, reminders
from storage import users as users_store
from storage.models import Booking, Program, Reminder, Session, User
from tests.conftest import join_as_student
from tests.test_bookings import NOW, OFFER, apply, user, world
from tests.world_helpers import add_booking

KST = ZoneInfo("Asia/Seoul")


def kst(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=KST)


# ----- when, in Seoul -------------------------------------------------------------------------


def test_a_session_at_half_past_midnight():
    starts = kst(2026, 12, 3, 0, 30)  # Thursday 00:30: "the day before" is Wednesday
    assert reminders.at_clock("student_day_before", starts, KST) == kst(2026, 12, 2, 18)
    assert reminders.at_clock("site_roster_day_before", starts, KST) == kst(2026, 12, 2, 17)
    assert reminders.at_clock("site_roster_morning", starts, KST) == kst(2026, 12, 3, 8)
    # Two hours before is 22:30, inside quiet hours; 08:00 is too late, so 20:30 the evening before.
    online = SimpleNamespace(starts_at=starts, online=True)
    plans = {p.kind: p.due_at for p in reminders.student_plan(1, 2, online, KST)}
    assert plans == {
        "student_day_before": kst(2026, 12, 2, 18) + reminders.spread(1),
        "student_online": kst(2026, 12, 2, 20, 30),
    }


def test_a_busy_evening_of_day_before_reminders_is_spread_over_its_hour():
    """40,000 bookings of one day (a province's busiest): each reminder keeps its own second
    between 18:00 and 19:00 on every replan, and no minute gets more than its share."""
    offsets = [reminders.spread(n) for n in range(1_000, 41_000)]
    assert all(timedelta(0) <= o < reminders.DAY_BEFORE_SPREAD for o in offsets)
    assert offsets[:5] == [reminders.spread(n) for n in range(1_000, 1_005)]
    per_minute = Counter(int(o.total_seconds()) // 60 for o in offsets)
    assert len(per_minute) == 60
    assert max(per_minute.values()) <= 40_000 / 60 * 1.05
    per_second = Counter(int(o.total_seconds()) for o in offsets)
    assert max(per_second.values()) < 30  # Telegram's overall cap: none wait for another


def test_the_first_school_day_after_a_weekend():
    starts = kst(2026, 12, 7, 9)  # Monday 09:00
    assert reminders.at_clock("student_day_before", starts, KST) == kst(2026, 12, 6, 18)  # Sunday
    online = SimpleNamespace(starts_at=starts, online=True)
    due = {p.kind: p.due_at for p in reminders.student_plan(1, 2, online, KST)}
    assert due["student_online"] == kst(2026, 12, 7, 8)  # 07:00 is quiet: waits until 08:00


def test_quiet_hours_move_only_what_falls_inside_them():
    starts = kst(2026, 12, 3, 15)
    assert reminders.out_of_quiet_hours(kst(2026, 12, 3, 13), starts, KST) == kst(2026, 12, 3, 13)
    assert reminders.out_of_quiet_hours(kst(2026, 12, 2, 21), starts, KST) == kst(2026, 12, 3, 8)
    assert reminders.out_of_quiet_hours(kst(2026, 12, 3, 7, 59), starts, KST) == kst(2026, 12, 3, 8)


# ----- the outbox a booking writes ------------------------------------------------------------


async def confirmed_booking(db, w, student_index: int = 0, now: datetime = NOW):
    applied = await apply(db, w["students"][student_index], w["session"], now)
    async with db.write() as conn:
        await bookings.confirm(conn, applied.booking_id, await user(db, w["teacher"]), now=now)
    return applied.booking_id


async def outbox(db) -> list:
    async with db.read() as conn:
        return list((await conn.execute(select(Reminder.__table__).order_by(Reminder.key))).all())


async def add_site_user(db, w, user_id: int = 30_000) -> None:
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=user_id, role="site", site_id=w["site"]))


async def test_confirming_writes_the_reminders_and_cancelling_removes_the_students(db):
    w = await world(db, capacity=5, students=2)
    await add_site_user(db, w)
    booking_id = await confirmed_booking(db, w)
    rows = await outbox(db)
    assert sorted(r.kind for r in rows) == [
        "site_roster_day_before",
        "site_roster_morning",
        "student_day_before",
        "student_decision",  # the news, at once
    ]
    assert all(r.status == "pending" for r in rows)
    assert [r.kind for r in rows if r.due_at == NOW] == ["student_decision"]
    await confirmed_booking(db, w, 1)  # a second student: the site's rows stay one each
    assert [r.kind for r in await outbox(db)].count("site_roster_morning") == 1
    async with db.write() as conn:
        await bookings.cancel(
            conn, booking_id, await user(db, w["students"][0]), now=NOW, offer=OFFER
        )
    left = await outbox(db)
    # The student's rows go; the site's and the confirming teacher's news of the
    # cancellation are written instead.
    assert sorted(r.kind for r in left if r.booking_id == booking_id) == [
        "site_cancelled",
        "teacher_student_cancelled",
    ]
    assert {r.kind for r in left} >= {"site_roster_day_before", "site_roster_morning"}


async def test_a_moment_already_past_is_not_written(db):
    # Booked at 20:00 for tomorrow morning: 18:00 today has passed, nothing for the student.
    w = await world(db, capacity=5, students=1)
    late = NOW.astimezone(KST).replace(hour=20, minute=0).astimezone(UTC)
    async with db.write() as conn:
        await conn.execute(
            update(Session).values(
                starts_at=late + timedelta(hours=13), ends_at=late + timedelta(hours=15)
            )
        )
    await confirmed_booking(db, w, now=late)
    # Only the news of the confirmation, due at once (it waits for 08:00 when sent).
    assert [(r.kind, r.due_at) for r in await outbox(db)] == [("student_decision", late)]


# ----- claiming -------------------------------------------------------------------------------


def pending(kind: str, user_id: int, session_id: int, due_at: datetime, key: str, **values):
    """An outbox row waiting to be sent, never tried yet."""
    row = dict(kind=kind, user_id=user_id, session_id=session_id, due_at=due_at, key=key)
    return {**row, "status": "pending", "attempts": 0, **values}


async def due_rows(db, count: int, due: datetime, people: int = 1) -> None:
    """`count` rows due at `due`, for `people` people in turn."""
    w = await world(db, capacity=5, students=1)
    session = w["session"]
    ids = [w["students"][0], *range(70_001, 70_000 + people)]
    async with db.write() as conn:
        for person in ids[1:]:
            await users_store.load_or_create(conn, person, "ko", now=NOW)
        rows = [
            pending("student_day_before", ids[n % people], session, due, f"test:{n}")
            for n in range(count)
        ]
        await conn.execute(insert(Reminder), rows)


async def test_two_claimers_never_take_the_same_row(db):
    await due_rows(db, 300, NOW, people=300)

    async def claimer() -> list[int]:
        taken = []
        while True:
            async with db.write() as conn:
                rows = await reminders.claim_due(conn, now=NOW + timedelta(seconds=1), limit=20)
            if not rows:
                return taken
            taken += [r.id for r in rows]

    first, second = await asyncio.gather(claimer(), claimer())
    assert len(first) + len(second) == 300 and not set(first) & set(second)


async def test_a_lease_that_runs_out_is_claimed_again_and_retries_back_off(db):
    await due_rows(db, 1, NOW)
    async with db.write() as conn:
        [row] = await reminders.claim_due(conn, now=NOW)
        assert await reminders.claim_due(conn, now=NOW + timedelta(seconds=30)) == []
        [again] = await reminders.claim_due(conn, now=NOW + reminders.LEASE + timedelta(seconds=1))
    assert again.id == row.id and again.attempts == 2
    later = NOW + timedelta(minutes=5)
    async with db.write() as conn:
        assert await reminders.retry_later(conn, again, "TimedOut", now=later) == "pending"
        assert await reminders.claim_due(conn, now=later + timedelta(seconds=1)) == []
        [third] = await reminders.claim_due(conn, now=later + timedelta(minutes=1))
    assert third.attempts == 3
    async with db.write() as conn:
        await conn.execute(update(Reminder).values(attempts=reminders.MAX_ATTEMPTS))
        third = (await conn.execute(select(Reminder.__table__))).one()
        assert await reminders.retry_later(conn, third, "TimedOut", now=later) == "dead"
        assert len(await reminders.dead_since(conn, NOW - timedelta(days=1))) == 1


async def test_a_person_has_one_message_in_flight_and_one_a_second(db):
    """Whatever SEND_IN_FLIGHT and however many processes: a crash repeats at most one
    message per person, and one chat gets at most a message a second from the outbox."""
    await due_rows(db, 6, NOW, people=2)  # three rows each
    async with db.write() as conn:
        first = await reminders.claim_due(conn, now=NOW, limit=10)
        assert len({row.user_id for row in first}) == len(first) == 2
        assert await reminders.claim_due(conn, now=NOW, limit=10) == []  # both in flight
        await reminders.mark(conn, first[0].id, "sent", now=NOW)
        half = NOW + timedelta(milliseconds=500)
        assert await reminders.claim_due(conn, now=half, limit=10) == []  # written to just now
        [after] = await reminders.claim_due(conn, now=NOW + timedelta(seconds=1.1), limit=10)
    assert after.user_id == first[0].user_id


async def test_settled_rows_are_forgotten_after_their_keeping_time(db):
    await due_rows(db, 4, NOW, people=4)
    async with db.write() as conn:
        rows = await reminders.claim_due(conn, now=NOW)
        await reminders.mark_many(conn, [rows[0].id], "sent", now=NOW)
        await reminders.mark_many(conn, [rows[1].id], "skipped", now=NOW)
        await reminders.mark_many(conn, [rows[2].id], "dead", now=NOW, error="Forbidden")
        # rows[3] is still being sent: never forgotten, however old.
    month = NOW + reminders.KEEP_SETTLED + timedelta(minutes=1)
    async with db.write() as conn:
        assert await reminders.forget_settled(conn, now=NOW + timedelta(days=29)) == 0
        assert await reminders.forget_settled(conn, now=month) == 2
    assert [r.id for r in await outbox(db)] == [r.id for r in rows[2:]]
    async with db.write() as conn:
        later = NOW + reminders.KEEP_DEAD + timedelta(minutes=1)
        assert await reminders.forget_settled(conn, now=later) == 1
    assert [r.status for r in await outbox(db)] == ["sending"]


# ----- sending, through the sandbox, in time --------------------------------------------------


async def test_the_student_and_the_site_hear_at_their_moment(tuesday_morning, bot, sandbox, db):
    from storage.models import School

    minji = await join_as_student(sandbox, 6001, "김민지")
    await minji.send("꽃")
    await minji.press("1. ")
    data = [
        b["callback_data"]
        for row in minji.last_message["reply_markup"]["inline_keyboard"]
        for b in row
        if APPLY.match(b.get("callback_data", ""))
    ][0]
    [session_id] = APPLY.match(data)
    async with db.write() as conn:  # no cancellation deadline to ask about first
        await conn.execute(
            update(Session).where(Session.id == session_id).values(cancel_deadline=None)
        )
    await minji.press("신청하기")
    async with db.write() as conn:
        session = (
            await conn.execute(select(Session.__table__).where(Session.id == session_id))
        ).one()
        site_id = await conn.scalar(select(Program.site_id).where(Program.id == session.program_id))
        school_id = await conn.scalar(select(School.id).where(School.name == "정발중학교"))
        await conn.execute(
            insert(User).values(id=6100, role="site", site_id=site_id, name="김담당")
        )
        await conn.execute(
            insert(User).values(id=6200, role="teacher", school_id=school_id, name="박선영")
        )
    site = sandbox.user(6100, "담당")
    await site.send("/help")
    booking_id = await minji_booking(db, 6001)
    async with db.write() as conn:
        await bookings.confirm(conn, booking_id, await user(db, 6200), now=datetime.now(UTC))

    day_before_17 = reminders.at_clock("site_roster_day_before", session.starts_at, KST)
    with time_machine.travel(day_before_17 + timedelta(minutes=1), tick=True):
        await dispatch_tick(bot)
    await site.expect("내일 올 학생")
    assert "김민지" in site.last_text
    assert not any("내일은 진로체험" in m.get("text", "") for m in minji.bot_messages)
    # The student's comes at their own second of the hour after 18:00 (reminders.spread).
    students_moment = day_before_17 + timedelta(hours=1) + reminders.spread(booking_id)
    with time_machine.travel(students_moment + timedelta(minutes=1), tick=True):
        await dispatch_tick(bot)
        await dispatch_tick(bot)  # a second tick sends nothing twice
    await minji.expect("내일은 진로체험 날이에요")
    assert sum("내일은 진로체험" in m.get("text", "") for m in minji.bot_messages) == 1
    # After the session has started, the morning roster's moment has passed: never sent late.
    with time_machine.travel(session.starts_at + timedelta(minutes=5), tick=True):
        await dispatch_tick(bot)
    async with db.read() as conn:
        statuses = dict((await conn.execute(select(Reminder.kind, Reminder.status))).all())
    assert statuses == {
        "site_roster_day_before": "sent",
        "student_day_before": "sent",
        "site_roster_morning": "skipped",
        "student_decision": "sent",  # "your teacher confirmed", at once
    }


async def test_a_student_who_blocked_the_bot_is_marked_and_not_retried(
    tuesday_morning, bot, sandbox, db
):
    await join_as_student(sandbox, 6002, "김민지")
    session_id = await _any_session(db)
    async with db.write() as conn:
        booking_id = await add_booking(conn, session_id, 6002)
        due = datetime.now(UTC) - timedelta(seconds=1)
        row = pending(
            "student_day_before", 6002, session_id, due, "blocked:1", booking_id=booking_id
        )
        await conn.execute(insert(Reminder).values(row))
    await sandbox.block(6002)
    await dispatch_tick(bot)
    await dispatch_tick(bot)
    async with db.read() as conn:
        row = (await conn.execute(select(Reminder.__table__))).one()
        active = await conn.scalar(select(User.active).where(User.id == 6002))
    assert (row.status, row.attempts, active) == ("dead", 1, False)


async def minji_booking(db, student_id: int) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(Booking.id).where(Booking.student_id == student_id))


async def _any_session(db) -> int:
    async with db.read() as conn:
        return await conn.scalar(
            select(Session.id).where(Session.starts_at > datetime.now(UTC)).limit(1)
        )


def test_the_catalogue_of_kinds_is_complete():
    assert set(reminders.AT_CLOCK) == {
        "student_day_before",
        "site_roster_day_before",
        "site_roster_morning",
    }
    assert reminders.QUIET_START == time(21) and reminders.QUIET_END == time(8)
    assert date(2026, 12, 6).weekday() == 6  # the weekend test above really is a Sunday


# ----- turning reminders off ------------------------------------------------------------------


async def test_a_site_turns_a_roster_off_and_it_is_skipped(bot, sandbox, db):
    session_id = await _any_session(db)
    async with db.write() as conn:
        site_id = await conn.scalar(
            select(Program.site_id)
            .join(Session, Session.program_id == Program.id)
            .where(Session.id == session_id)
        )
        await conn.execute(
            insert(User).values(id=6300, role="site", site_id=site_id, name="김담당")
        )
    site = sandbox.user(6300, "담당")
    await site.send("/settings")
    assert "🔔 전날 명단" in site.buttons
    await site.press("전날 명단")
    assert "🔕 전날 명단" in site.buttons and "🔔 당일 아침 명단" in site.buttons
    async with db.write() as conn:
        due = datetime.now(UTC) - timedelta(seconds=1)
        row = pending("site_roster_day_before", 6300, session_id, due, "optout:1")
        await conn.execute(insert(Reminder).values(row))
    await dispatch_tick(bot)
    async with db.read() as conn:
        assert await conn.scalar(select(Reminder.status)) == "skipped"
    await site.press("전날 명단")  # and on again
    assert "🔔 전날 명단" in site.buttons


async def test_a_student_cannot_turn_off_their_booking_reminders(bot, sandbox, db):
    minji = await join_as_student(sandbox, 6004, "김민지")
    await minji.send("/settings")
    assert [b for b in minji.buttons if b.startswith(("🔔", "🔕"))] == ["🔔 체험 뒤 만족도 조사"]
    await minji.press_data(minji.last_message["message_id"], "rm:student_day_before")
    assert "쓸 수 없어요" in minji.callback_answers[-1]["text"]


async def test_a_student_reminder_sent_late_waits_for_the_morning(bot, sandbox, db):
    minji = await join_as_student(sandbox, 6005, "김민지")
    async with db.write() as conn:
        session_id, starts = (
            await conn.execute(
                select(Session.id, Session.starts_at)
                .where(Session.starts_at > datetime.now(UTC) + timedelta(days=2))
                .order_by(Session.starts_at)
                .limit(1)
            )
        ).one()
        booking_id = await add_booking(conn, session_id, 6005)
        due = reminders.at_clock("student_day_before", starts, KST)
        row = pending("student_day_before", 6005, session_id, due, "late:1", booking_id=booking_id)
        await conn.execute(insert(Reminder).values(row))
    # The bot was down from 18:00 to 22:00: at 22:00 the reminder is not sent but waits.
    with time_machine.travel(due + timedelta(hours=4), tick=True):
        await dispatch_tick(bot)
    async with db.read() as conn:
        row = (await conn.execute(select(Reminder.__table__))).one()
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.due_at == reminders.next_morning(due + timedelta(hours=4), KST)
    assert not any("진로체험 날" in m.get("text", "") for m in minji.bot_messages)


async def test_a_429_pauses_every_slot():
    from bot.pacing import Pacer

    pacer = Pacer(30)
    await pacer.pause(2.0)
    import time as clock

    assert pacer.next_free >= clock.monotonic() + 1.9
