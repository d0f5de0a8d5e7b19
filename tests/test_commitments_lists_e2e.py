"""Clashes marked in the lists an adult decides from, end to end through the sandbox: a
teacher's /pending page and morning digest, the students a teacher picks for class seats,
and the free times a mentor picks from. Each item whose student has another commitment at
an overlapping time carries ⚠️ and a short "겹치는 일정" note naming it by title and time
only; the item can still be chosen (a warning, never a refusal).

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking); the clashes are on
the Wednesday after (the digest's: on the day it comes), where the mentors' weekly free time
at 16:00 is "(수) 16:00".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from handlers.classbook.buttons import NEW
from handlers.outbox import plan_tick
from storage.models import User
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import KST, add_mentor, ask
from tests.reminder_kinds_helpers import outbox, tick_at
from tests.test_commitments import _meeting
from tests.test_commitments_e2e import MBC, a_session, wednesday
from tests.test_pending_e2e import booking_of
from tests.world_helpers import add_teacher, book_seat

pytestmark = pytest.mark.usefixtures("tuesday_morning")

RADIO = "라디오 PD 체험"
NOTE = "⚠️ 겹치는 일정: "
CHECK = "일정이 겹쳐도 막지는 않습니다. 학생과 확인해 주십시오."


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KST)


def under(text: str, fragment: str) -> str:
    """The line after the first line containing `fragment`."""
    lines = text.splitlines()
    place = next(i for i, line in enumerate(lines) if fragment in line)
    return lines[place + 1] if place + 1 < len(lines) else ""


async def three_requests(db, day: date) -> int:
    """김민지 (a confirmed MBC seat 14:00-16:30), 이서준 (a mentor meeting at 16:00) and 박지호
    (free) each ask for the radio session 15:00-17:00 on `day`; its id."""
    mbc = await a_session(db, MBC, at(day, 14), at(day, 16, 30))
    radio = await a_session(db, RADIO, at(day, 15), at(day, 17))
    async with db.write() as conn:
        await book_seat(conn, mbc, 9411, "confirmed")
        for student in (9411, 9412, 9413):
            await book_seat(conn, radio, student, "requested")
        school_id = await conn.scalar(select(User.school_id).where(User.id == 9412))
        await _meeting(conn, 9412, school_id, at(day, 16))  # with 윤서진, in 방송영상
    return radio


async def three_students(sandbox) -> None:
    for user_id, name in ((9411, "김민지"), (9412, "이서준"), (9413, "박지호")):
        await join_as_student(sandbox, user_id, name)


def assert_marked(text: str, day: date) -> None:
    """김민지's and 이서준's lines carry their clash, by title and time; 박지호's none."""
    weekday = "월화수목금토일"[day.weekday()]
    on_day = f"{day.year}년 {day.month}월 {day.day}일 ({weekday})"
    assert under(text, "김민지") == f"{NOTE}{MBC}, {on_day} 14:00–16:30"
    assert under(text, "이서준") == f"{NOTE}멘토링 만남 (방송영상), {on_day} 16:00–17:00"
    assert not under(text, "박지호").startswith("⚠️")
    assert "윤서진" not in text  # the meeting by its field, never the mentor
    assert f"⚠️ {CHECK}" in text


async def test_pending_marks_each_request_whose_student_has_a_clash(bot, sandbox, db):
    await three_students(sandbox)
    teacher = await add_teacher(db, sandbox, 9421, "박선영")
    radio = await three_requests(db, wednesday(0).date())

    await teacher.send("/pending")
    page = teacher.last_text
    assert "승인을 기다리는 신청: 3건" in page
    assert_marked(page, wednesday(0).date())
    buttons = teacher.buttons
    assert "✅ 1. 김민지 ⚠️" in buttons and "✅ 2. 이서준 ⚠️" in buttons
    assert "✅ 3. 박지호" in buttons

    await teacher.press("✅ 1.")  # a warning, not a refusal
    assert (await booking_of(db, 9411, radio)).status == "confirmed"
    assert "승인을 기다리는 신청: 2건" in teacher.last_text
    assert MBC not in teacher.last_text  # the list moved on: 이서준's clash stays marked
    assert under(teacher.last_text, "이서준").startswith(NOTE)


async def test_the_morning_digest_marks_them_too(bot, sandbox, db):
    await three_students(sandbox)
    teacher = await add_teacher(db, sandbox, 9422, "박선영")
    await plan_tick(bot)
    [row] = [r for r in await outbox(db, "teacher_digest") if r.user_id == 9422]
    morning = row.due_at.astimezone(KST)  # the next school day's 08:30
    await three_requests(db, morning.date())

    await tick_at(bot, morning + timedelta(minutes=1))
    digest = (await teacher.expect("좋은 아침입니다"))["text"]
    assert "답변을 기다리는 신청: 3건" in digest
    assert_marked(digest, morning.date())
    assert teacher.buttons == ["📋 신청 목록 보기"]


async def test_a_teacher_naming_class_seats_sees_who_has_a_clash(bot, sandbox, db):
    mbc = await a_session(db, MBC, wednesday(14), wednesday(16, 30))
    radio = await a_session(db, RADIO, wednesday(15), wednesday(17))
    await join_as_student(sandbox, 9414, "김민지")
    await join_as_student(sandbox, 9415, "이서준")
    async with db.write() as conn:
        await book_seat(conn, mbc, 9414, "confirmed")
    teacher = await add_teacher(db, sandbox, 9423, "박선영", grades="2")

    await teacher.press_data(teacher.last_message["message_id"], NEW.pack(radio))
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")
    seats = teacher.last_text
    assert f"김민지 (2학년) {NOTE}{MBC}, " in seats and "14:00–16:30" in seats
    assert "이서준 (2학년)" not in seats and CHECK in seats
    assert "⚠️ 김민지 (2)" in teacher.buttons and "이서준 (2)" in teacher.buttons

    await teacher.press("김민지 (2)")  # a warning, not a refusal
    assert "김민지 학생을 명단에 넣고 알렸습니다" in teacher.last_text
    assert (await booking_of(db, 9414, radio)).status == "confirmed"


async def test_a_mentor_picking_a_time_sees_the_students_clash(bot, sandbox, db):
    mbc = await a_session(db, MBC, wednesday(14), wednesday(16, 30))
    minji = await join_as_student(sandbox, 9416, "김민지")
    async with db.write() as conn:
        await book_seat(conn, mbc, 9416, "confirmed")
    pd = await add_mentor(db, sandbox, 9431, "윤서진")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")

    times = pd.last_text
    day = wednesday(16).strftime("%m/%d")
    assert f"{day} (수) 16:00 {NOTE}{MBC}, " in times and "14:00–16:30" in times
    assert "김민지" not in times and CHECK in times
    marked = [b for b in pd.buttons if b.startswith("⚠️")]
    assert marked == [f"⚠️ {day} (수) 16:00"]  # only Wednesday's 16:00 clashes

    await pd.press(f"{day} (수) 16:00")  # a warning, not a refusal
    await pd.send("https://meet.example/pd-room")
    assert "만남이 정해졌습니다" in pd.last_text
