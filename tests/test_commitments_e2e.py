"""Commitment clashes end to end, through the sandbox: every new commitment of a student (a
booking, a seat offered from the line, a class seat a teacher names them for, a mentor
meeting, a lottery seat won) warns the student (해요체) and the adult on the other side
(합니다체) of the student's other commitments at an overlapping time, by title and time
only. A warning, never a refusal.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking); the clash is on the
Wednesday after, where the mentors' weekly free time at 16:00 is "(수) 16:00".
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import update

from handlers.bookings import clock_tick
from handlers.classbook.buttons import NEW
from storage.models import Session, utcnow
from tests.conftest import join_as_student, wait_until
from tests.mentors_e2e_helpers import KST, add_mentor, ask
from tests.test_bookings_e2e import drawn_news, press_first
from tests.test_pending_e2e import apply, booking_of
from tests.world_helpers import add_program, add_session, add_site, add_teacher, book_seat

pytestmark = pytest.mark.usefixtures("tuesday_morning")

WARNED = "같은 시간대에 이미 다른 일정이 있어요"  # to the student
MBC = "MBC 방송영상 체험"


async def a_session(db, title: str, starts: datetime, ends: datetime, **values) -> int:
    """A session of `title` at a site that passed its check; its id."""
    async with db.write() as conn:
        site_id = await add_site(conn, f"{title} 체험처", kind="company")
        program_id = await add_program(
            conn, site_id, title, external_key=title, type="job_practice", field="방송·영상"
        )
        values = {"capacity": 5, **values}
        return await add_session(conn, program_id, starts, ends_at=ends, **values)


def wednesday(hour: int, minute: int = 0) -> datetime:
    """Tomorrow (the Wednesday) at hour:minute in Seoul."""
    today = utcnow().astimezone(KST).date()
    return datetime.combine(today + timedelta(days=1), time(hour, minute), tzinfo=KST)


async def a_meeting_at_four(db, sandbox, mentor_id: int, student):
    """The student asks; the mentor accepts and sets the Wednesday 16:00 with a link."""
    pd = await add_mentor(db, sandbox, mentor_id, "윤서진")
    await ask(student)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")
    await pd.press("(수) 16:00")
    await pd.send("https://meet.example/pd-room")
    return pd


async def test_a_mentor_meeting_over_a_confirmed_booking_warns_both(bot, sandbox, db):
    """The case seen: a confirmed booking at MBC on Wednesday 14:00-16:30 and a mentor meeting
    set for 16:00 that day. The mentor and the student are both told, and it stays set."""
    mbc = await a_session(db, MBC, wednesday(14), wednesday(16, 30))
    minji = await join_as_student(sandbox, 9311, "김민지")
    async with db.write() as conn:
        await book_seat(conn, mbc, 9311, "confirmed")

    pd = await a_meeting_at_four(db, sandbox, 9331, minji)
    set_it = pd.last_text
    assert "만남이 정해졌습니다" in set_it
    assert "민지 학생은 같은 시간대에 다른 일정이 있습니다" in set_it
    assert f"{MBC}, " in set_it and "14:00–16:30" in set_it
    assert "김민지" not in set_it  # the mentor sees the first name only, as everywhere

    news = (await minji.expect("멘토링 만남이 정해졌어요"))["text"]
    assert WARNED in news and f"{MBC}, " in news and "14:00–16:30" in news
    assert "둘 다 가기 어려우면" in news


async def test_a_booking_over_a_mentor_meeting_warns_the_student_and_the_teacher(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 9321, "박선영")
    minji = await join_as_student(sandbox, 9312, "김민지")
    await a_meeting_at_four(db, sandbox, 9332, minji)
    await minji.expect("멘토링 만남이 정해졌어요")

    mbc = await a_session(db, MBC, wednesday(14), wednesday(16, 30))
    await minji.send("/help")
    await apply(minji, mbc)
    applied = (await minji.expect("자리를 맡아 두었어요"))["text"]
    assert WARNED in applied and "멘토링 만남 (방송영상)" in applied
    assert "16:00–17:00" in applied
    assert (await booking_of(db, 9312, mbc)).status == "requested"  # a warning, not a refusal

    asked = (await teacher.expect("새 체험 신청"))["text"]
    assert "김민지 학생은 같은 시간대에 다른 일정이 있습니다" in asked
    assert "멘토링 만남 (방송영상)" in asked and "윤서진" not in asked
    assert "학생과 확인해 주십시오" in asked


async def test_a_class_seat_named_over_a_booking_warns_the_teacher_and_the_student(
    bot, sandbox, db
):
    mbc = await a_session(db, MBC, wednesday(14), wednesday(16, 30))
    radio = await a_session(db, "라디오 PD 체험", wednesday(15), wednesday(17))
    minji = await join_as_student(sandbox, 9313, "김민지", grade=2)
    async with db.write() as conn:
        await book_seat(conn, mbc, 9313, "confirmed")
    teacher = await add_teacher(db, sandbox, 9322, "박선영", grades="2")

    await teacher.press_data(teacher.last_message["message_id"], NEW.pack(radio))
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")
    await teacher.press("김민지 (2)")
    named = teacher.last_text
    assert "김민지 학생을 명단에 넣고 알렸습니다" in named
    assert "김민지 학생은 같은 시간대에 다른 일정이 있습니다" in named
    assert f"{MBC}, " in named and "14:00–16:30" in named

    told = (await minji.expect("학급 단체 예약으로 자리를 잡아 주셨어요"))["text"]
    assert WARNED in told and f"{MBC}, " in told


async def test_a_lottery_seat_won_over_a_booking_warns_the_student(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 9323, "박선영")
    mbc = await a_session(db, MBC, wednesday(14), wednesday(16, 30))
    draw = await a_session(
        db,
        "라디오 PD 체험",
        wednesday(16),
        wednesday(18),
        lottery_until=utcnow() + timedelta(hours=1),
    )
    minji = await join_as_student(sandbox, 9314, "김민지")
    async with db.write() as conn:
        await book_seat(conn, mbc, 9314, "confirmed")
    await minji.send("/help")
    await apply(minji, draw)
    entered = (await minji.expect("추첨에 참여했어요"))["text"]
    assert WARNED in entered  # told already when entering

    async with db.write() as conn:
        await conn.execute(update(Session).where(Session.id == draw).values(lottery_until=utcnow()))
    await clock_tick(bot)
    won = await wait_until(lambda: drawn_news(minji))
    assert "뽑혔어요" in won and WARNED in won and f"{MBC}, " in won
    asked = (await teacher.expect("새 체험 신청"))["text"]
    assert "김민지 학생은 같은 시간대에 다른 일정이 있습니다" in asked


async def test_a_seat_offered_from_the_line_over_a_booking_warns_before_and_after(bot, sandbox, db):
    mbc = await a_session(db, MBC, wednesday(14), wednesday(16, 30))
    radio = await a_session(db, "라디오 PD 체험", wednesday(15), wednesday(17), capacity=1)
    minji = await join_as_student(sandbox, 9315, "김민지")
    async with db.write() as conn:
        await book_seat(conn, mbc, 9315, "confirmed")
    seojun = await join_as_student(sandbox, 9316, "이서준")
    await apply(seojun, radio)
    await seojun.expect("자리를 맡아 두었어요")
    await minji.send("/help")
    await apply(minji, radio)
    assert "대기 1번" in (await minji.expect("대기 1번"))["text"]

    await seojun.send("/my")
    await press_first(seojun)
    await seojun.press("취소")
    await seojun.press("네, 취소할게요")
    offer = (await minji.expect("자리가 났어요"))["text"]
    assert WARNED in offer and f"{MBC}, " in offer  # before taking it
    await minji.press("자리 받기")
    assert "자리를 맡아 두었어요" in minji.last_text and WARNED in minji.last_text
