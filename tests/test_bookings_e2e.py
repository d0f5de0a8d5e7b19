"""The student's side of booking, end to end through the sandbox: apply, the waiting list
and its offers, /my and cancelling, forged buttons, the calendar file, the clock's expiries,
lotteries and surveys, and staff setting a fair opening."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import time_machine
from sqlalchemy import func, select, update

from handlers.bookings import clock_tick
from handlers.bookings.buttons import (
    APPLY,
    CALENDAR,
    CANCEL,
    CANCEL_NOW,
    OPEN,
    TAKE_OFFER,
)
from handlers.fair.buttons import SET_CAP
from handlers.outbox import dispatch_tick
from handlers.pending.buttons import CONFIRM
from handlers.search.buttons import OLD_APPLY
from storage import reminders
from storage.models import Booking, Reminder, Session, SurveyAnswer, utcnow
from tests.conftest import ADMIN_ID, join_as_student, wait_until
from tests.test_give_back_e2e import given_back
from tests.world_helpers import add_teacher, session_bookings


async def open_card(student, word: str = "꽃") -> None:
    await student.send(word)
    await student.press("1. ")


def apply_buttons(student) -> list[tuple[str, str]]:
    return [
        (b["text"], b["callback_data"])
        for row in student.last_message["reply_markup"]["inline_keyboard"]
        for b in row
        if APPLY.match(b.get("callback_data", ""))
    ]


async def first_session(student, db, **values) -> int:
    """The first session on the open card; optionally with columns changed (capacity=1).
    The demo's sessions start from tomorrow: a test must not depend on whether the first
    one's cancellation deadline has passed at the hour it runs (then "apply" asks first), so
    it has none unless the test sets one."""
    [session_id] = APPLY.match(apply_buttons(student)[0][1])
    values = {"cancel_deadline": None, **values}
    async with db.write() as conn:
        await conn.execute(update(Session).where(Session.id == session_id).values(**values))
    return session_id


async def press_first(user) -> None:
    message = user.last_message
    first = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await user.press_data(message["message_id"], first)


async def drawn_news(student) -> str | None:
    """The student's lottery result, once it has come."""
    await student.refresh()
    texts = [m.get("text", "") for m in student.bot_messages]
    return next((t for t in texts if "뽑혔어요" in t or "뽑히지 않았어요" in t), None)


async def test_apply_the_line_cancel_and_the_offer(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 5100)
    minji = await join_as_student(sandbox, 5001, "김민지")
    await open_card(minji)
    session_id = await first_session(minji, db, capacity=1, cancel_deadline=None)
    await minji.press("신청하기")
    # The press is answered first, the message follows: wait for it, cold caches and all.
    await minji.expect("자리를 맡아 두었어요")
    asked = await teacher.expect("김민지")  # from the outbox, right after the commit
    assert any(
        CONFIRM.match(b.get("callback_data", ""))
        for row in asked["reply_markup"]["inline_keyboard"]
        for b in row
    )

    seojun = await join_as_student(sandbox, 5002, "이서준")
    await open_card(seojun)
    assert apply_buttons(seojun)[0][0].startswith("대기 신청")
    await seojun.press("대기 신청")
    assert "대기 1번" in seojun.last_text

    await minji.send("/my")
    assert "선생님 승인 대기" in minji.last_text
    await press_first(minji)  # the booking's own button on /my
    assert "취소할 수 있어요" in minji.last_text
    await minji.press("취소")
    await minji.press("네, 취소할게요")
    assert "취소했어요" in minji.last_text

    await seojun.expect("자리가 났어요")
    await seojun.press("자리 받기")
    assert "자리를 맡아 두었어요" in seojun.last_text
    statuses = [b.status for b in await session_bookings(db, session_id)]
    assert statuses == ["cancelled", "requested"]
    async with db.read() as conn:
        booked = await conn.scalar(select(Session.booked).where(Session.id == session_id))
    assert booked == 1


async def test_past_the_cancellation_deadline_no_cancel_is_offered(bot, sandbox, db):
    minji = await join_as_student(sandbox, 5006, "김민지")
    await open_card(minji)
    passed = utcnow() - timedelta(hours=1)  # the deadline went by an hour ago
    session_id = await first_session(minji, db, cancel_deadline=passed)
    await minji.press("신청하기")
    assert "그래도 신청할까요?" in minji.last_text  # asked first: it could not be cancelled
    await minji.press("그래도 신청하기")
    await minji.send("/my")
    await press_first(minji)
    assert "취소 기한이 지났어요" in minji.last_text
    labels = [
        b["text"] for row in minji.last_message["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert "취소" not in labels
    # An old "Cancel" pressed anyway is refused by storage, with the same words.
    [booking] = await session_bookings(db, session_id)
    await minji.press_data(minji.last_message["message_id"], CANCEL_NOW.pack(booking.id))
    assert "취소 기한이 지났어요" in minji.callback_answers[-1]["text"]
    assert [b.status for b in await session_bookings(db, session_id)] == ["requested"]


async def test_an_apply_button_of_an_old_card_still_applies(bot, sandbox, db):
    minji = await join_as_student(sandbox, 5005, "김민지")
    await open_card(minji)
    session_id = await first_session(minji, db)
    message = minji.last_message["message_id"]
    await minji.press_data(message, "sr:ap:x")  # forged: told the button is old
    assert "쓸 수 없어요" in minji.callback_answers[-1]["text"]
    await minji.press_data(message, OLD_APPLY.pack(session_id))
    await minji.expect("자리를 맡아 두었어요")
    assert [b.status for b in await session_bookings(db, session_id)] == ["requested"]


async def test_another_students_booking_is_as_good_as_missing(bot, sandbox, db):
    minji = await join_as_student(sandbox, 5003, "김민지")
    await open_card(minji)
    session_id = await first_session(minji, db)
    await minji.press("신청하기")
    [mine] = await session_bookings(db, session_id)
    seojun = await join_as_student(sandbox, 5004, "이서준")
    await seojun.send("/my")
    message = seojun.last_message["message_id"]
    for forged in (
        OPEN.pack(mine.id),
        CANCEL.pack(mine.id),
        CANCEL_NOW.pack(mine.id),
        CALENDAR.pack(mine.id),
        TAKE_OFFER.pack(mine.id),
        OPEN.pack(999999),
    ):
        await seojun.press_data(message, forged)
        assert "쓸 수 없어요" in seojun.callback_answers[-1]["text"], forged
    [still] = await session_bookings(db, mine.session_id)
    assert still.status == "requested"


async def test_five_presses_at_once_make_one_booking_and_one_message(bot, sandbox, db):
    minji = await join_as_student(sandbox, 5005, "김민지")
    await open_card(minji)
    session_id = await first_session(minji, db)
    card = minji.last_message["message_id"]
    before = len(minji.bot_messages)
    await asyncio.gather(*(minji.press_data(card, APPLY.pack(session_id)) for _ in range(5)))
    await minji.refresh()
    assert len(await session_bookings(db, session_id)) == 1
    assert sum("자리를 맡아" in m.get("text", "") for m in minji.bot_messages[before:]) == 1
    answers = [a["text"] for a in minji.callback_answers[-5:] if a.get("text")]
    assert answers.count("이미 이 회차에 신청했어요. /my 에서 확인하세요.") == 4


async def test_under_14_without_consent_is_told_how(bot, sandbox, db):
    seojun = await join_as_student(sandbox, 5006, "이서준", under14=True, grade=1)
    await seojun.send("/cancel")  # the guardian's number later (the step waits for it)
    await open_card(seojun)
    session_id = await first_session(seojun, db)
    await seojun.press("신청하기")
    assert "/consent" in seojun.callback_answers[-1]["text"]
    assert await session_bookings(db, session_id) == []


async def test_a_confirmed_booking_comes_as_a_calendar_file(bot, sandbox, db):
    minji = await join_as_student(sandbox, 5007, "김민지")
    await open_card(minji)
    await first_session(minji, db)
    await minji.press("신청하기")
    async with db.write() as conn:
        await conn.execute(
            update(Booking).where(Booking.student_id == 5007).values(status="confirmed")
        )
    await minji.send("/my")
    assert "확정" in minji.last_text
    await press_first(minji)
    await minji.press("캘린더")
    document = minji.last_message["document"]
    assert document["file_name"].endswith(".ics") and document["size"] > 200


async def test_the_clock_expires_holds_and_asks_for_a_survey(tuesday_morning, bot, sandbox, db):
    minji = await join_as_student(sandbox, 5008, "김민지")
    await open_card(minji)
    await first_session(minji, db)
    await minji.press("신청하기")
    async with db.write() as conn:
        await conn.execute(
            update(Booking).where(Booking.student_id == 5008).values(expires_at=utcnow())
        )
    await clock_tick(bot)
    await minji.expect("승인이 없어서 자리가 풀렸어요")

    # An attended session that ended three hours ago: the survey comes once, from the
    # reminders outbox (at once, or at 08:00 when this runs in Seoul's quiet hours).
    [booking] = list(await _bookings_of_student(db, 5008))
    async with db.write() as conn:
        await conn.execute(
            update(Session)
            .where(Session.id == booking.session_id)
            .values(starts_at=utcnow() - timedelta(hours=5), ends_at=utcnow() - timedelta(hours=3))
        )
        await conn.execute(
            update(Booking)
            .where(Booking.id == booking.id)
            .values(status="confirmed", attendance="attended")
        )
        await reminders.plan_survey(conn, [booking.id], now=utcnow())
        due = await conn.scalar(select(Reminder.due_at).where(Reminder.kind == "student_survey"))
    with time_machine.travel(due + timedelta(seconds=1), tick=True):
        await dispatch_tick(bot)
        await dispatch_tick(bot)
    survey = await minji.expect("체험은 어땠어요")
    assert sum("어땠어요" in m.get("text", "") for m in minji.bot_messages) == 1
    await minji.press("4")
    assert "5점 중 4점" in minji.last_text and "할 말 없어요" in minji.buttons
    # A comment longer than a survey keeps comes back whole to shorten; the question stays.
    said = ("강사님이 친절했고 설명이 재미있었어요. " * 30).strip()
    await minji.send(said)
    assert f"{len(said)}자예요" in minji.last_text and "500자까지" in minji.last_text
    assert given_back(minji.last_message, said) and "할 말 없어요" in minji.buttons
    await minji.send("강사님이 친절했어요")
    assert "고마워요" in minji.last_text
    # The comment came typed: the thanks above keeps the score and loses "No comment".
    await minji.refresh()
    thanks = next(m for m in minji.bot_messages if m["message_id"] == survey["message_id"])
    assert "5점 중 4점" in thanks["text"] and "의견 저장 완료" in thanks["text"]
    assert not thanks.get("reply_markup")
    async with db.read() as conn:
        answer = (await conn.execute(select(SurveyAnswer.__table__))).one()
    assert (answer.score, answer.comment) == (4, "강사님이 친절했어요")


async def test_staff_set_a_lottery_and_the_clock_draws_it(tuesday_morning, bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("꽃")
    await staff.press("1. ")
    await staff.press("공정 신청 설정")
    assert "선착순" in staff.last_text
    await staff.press("2")
    assert "학교당 최대 2자리" in staff.last_text
    await staff.press("추첨 마감")
    await staff.send("13/45 10:00")
    assert "읽을 수 없는" in staff.last_text
    later = (utcnow() + timedelta(hours=1)).astimezone(bot.bot_data["settings"].tz)
    await staff.send(f"{later.month}/{later.day} {later:%H:%M}")
    assert "추첨:" in staff.last_text

    names = ["정하윤", "최도윤", "한지우"]
    students = [await join_as_student(sandbox, 5010 + n, name) for n, name in enumerate(names)]
    for student in students:
        await open_card(student)
        session_id = await first_session(student, db)
        await student.press("신청하기")
        assert "추첨에 참여했어요" in student.last_text
    async with db.write() as conn:
        await conn.execute(
            update(Session).where(Session.id == session_id).values(lottery_until=utcnow())
        )
    await clock_tick(bot)
    rows = await session_bookings(db, session_id)
    assert sorted(b.status for b in rows) == ["requested", "requested", "waitlisted"]
    texts = [await wait_until(lambda s=s: drawn_news(s)) for s in students]
    assert sum("뽑혔어요" in t for t in texts) == 2 and sum("대기 1번" in t for t in texts) == 1
    async with db.read() as conn:
        seed = await conn.scalar(select(Session.lottery_seed).where(Session.id == session_id))
    assert seed


async def test_students_cannot_open_the_fair_opening(bot, sandbox, db):
    minji = await join_as_student(sandbox, 5020, "김민지")
    await open_card(minji)
    session_id = await first_session(minji, db)
    await minji.press_data(minji.last_message["message_id"], SET_CAP.pack(session_id, 1))
    assert "쓸 수 없어요" in minji.callback_answers[-1]["text"]
    async with db.read() as conn:
        cap = await conn.scalar(select(Session.school_cap).where(Session.id == session_id))
        count = await conn.scalar(select(func.count()).select_from(Booking))
    assert cap is None and count == 0


async def _bookings_of_student(db, student_id: int):
    async with db.read() as conn:
        return (
            await conn.execute(select(Booking.__table__).where(Booking.student_id == student_id))
        ).all()


async def test_staff_see_the_figures_and_others_do_not(bot, sandbox, db):
    minji = await join_as_student(sandbox, 5030, "김민지")
    await open_card(minji)
    await first_session(minji, db)
    await minji.press("신청하기")
    await minji.send("/stats")
    assert "쓸 수 없어요" in minji.last_text
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/stats")
    assert "프로그램 현황" in staff.last_text and "선생님 승인 대기: 1건" in staff.last_text


async def test_before_the_opening_time_apply_says_when_it_opens(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("꽃")
    await staff.press("1. ")
    await staff.press("공정 신청 설정")
    await staff.press("신청 시작 시각")
    opens = (utcnow() + timedelta(days=1)).astimezone(bot.bot_data["settings"].tz)
    await staff.send(f"{opens.month}/{opens.day} 09:00")
    assert f"{opens.month}월 {opens.day}일 09:00 신청 시작" in staff.last_text
    minji = await join_as_student(sandbox, 5040, "김민지")
    await open_card(minji)
    assert "신청 시작" in minji.last_text  # the card says it too
    session_id = await first_session(minji, db)
    await minji.press("신청하기")
    assert (
        f"{opens.month:02d}/{opens.day:02d} 09:00에 신청이 열려요"
        in minji.callback_answers[-1]["text"]
    )
    assert await session_bookings(db, session_id) == []
