"""Days and times as adults type them, end to end: a site adds a session "오늘 오후 3시" or
"다음 주 화요일 14:00" and hears back the exact day before going on; a mentor's weekly free
time "매주 수요일 저녁 7시" is read back before it is kept; staff schedule a broadcast for
"내일 오전 9시". The clock is a Tuesday 10:00 in Seoul (tuesday_morning)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from storage.models import MentorSlot, Session
from tests.broadcasts_helpers import KST, choose, staff_composing
from tests.mentors_e2e_helpers import add_mentor
from tests.test_sessions_e2e import site_world, the_site


def said(day: date, at: str) -> str:
    """A day and time as the bot reads it back: "2026년 12월 8일 (화) 15:00"."""
    return f"{day.year}년 {day.month}월 {day.day}일 ({'월화수목금토일'[day.weekday()]}) {at}"


async def starts_of(db, program_id: int) -> set[datetime]:
    async with db.read() as conn:
        found = await conn.scalars(
            select(Session.starts_at).where(Session.program_id == program_id)
        )
        return {s.astimezone(KST) for s in found}


# ----- a site adds a session ------------------------------------------------------------------


async def test_a_site_types_today_afternoon_and_hears_the_day_back(
    tuesday_morning, bot, sandbox, db
):
    w = await site_world(db)
    today = tuesday_morning.date()
    site = await the_site(sandbox)
    await site.press("➕ 회차 추가")
    await site.press("해양 생물 관찰")
    await site.send("오늘 오후 3시")
    assert f"{said(today, '15:00')}에 시작합니다" in site.last_text
    assert "✏️ 시작 시각 다시 입력" in site.buttons

    # Read wrongly? Retype it: now next week's Tuesday.
    await site.press("✏️ 시작 시각 다시 입력")
    assert "시작 날짜와 시각을 입력해 주십시오" in site.last_text
    await site.send("다음 주 화요일 14:00")
    next_tuesday = today + timedelta(days=7)
    assert f"{said(next_tuesday, '14:00')}에 시작합니다" in site.last_text
    await site.send("4시 반")  # the end: a bare 4 o'clock is the afternoon
    await site.press("기본 정원")
    await site.press("평소 장소 그대로")
    await site.press("마감 없음")
    await site.press("✅ 회차 추가")
    assert site.callback_answers[-1]["text"] == "회차를 추가했습니다."
    start = datetime.combine(next_tuesday, time(14), tzinfo=KST)
    assert start in await starts_of(db, w["ours_program"])


async def test_a_site_is_told_what_is_missing_or_impossible(tuesday_morning, bot, sandbox, db):
    await site_world(db)
    site = await the_site(sandbox)
    await site.press("➕ 회차 추가")
    await site.press("해양 생물 관찰")
    await site.send("내일")
    assert "시각도 적어 주십시오" in site.last_text
    await site.send("오후 3시")
    assert "날짜도 적어 주십시오" in site.last_text
    await site.send("2월 30일 10시")
    assert "없는 날짜나 시각입니다" in site.last_text
    await site.send("내일 오전 15시")
    assert "없는 날짜나 시각입니다" in site.last_text
    await site.send("오늘 오전 9시")  # an hour ago
    assert "이미 지난 시각" in site.last_text
    await site.send("내일 10시")
    tomorrow = tuesday_morning.date() + timedelta(days=1)
    assert f"{said(tomorrow, '10:00')}에 시작합니다" in site.last_text


async def test_a_weekly_session_is_added_once_and_the_site_is_told(
    tuesday_morning, bot, sandbox, db
):
    w = await site_world(db)
    site = await the_site(sandbox)
    await site.press("➕ 회차 추가")
    await site.press("해양 생물 관찰")
    await site.send("매주 수요일 저녁 7시")
    wednesday = tuesday_morning.date() + timedelta(days=1)
    assert f"{said(wednesday, '19:00')}에 시작합니다" in site.last_text
    assert "회차는 한 번에 하나씩 추가합니다" in site.last_text
    await site.press("2시간")
    await site.press("기본 정원")
    await site.press("평소 장소 그대로")
    await site.press("마감 없음")
    await site.press("✅ 회차 추가")
    added = await starts_of(db, w["ours_program"])
    assert datetime.combine(wednesday, time(19), tzinfo=KST) in added
    assert datetime.combine(wednesday + timedelta(days=7), time(19), tzinfo=KST) not in added


# ----- a mentor's free time -------------------------------------------------------------------


async def mentor_slots(db) -> set[tuple]:
    async with db.read() as conn:
        found = await conn.execute(
            select(MentorSlot.weekday, MentorSlot.day, MentorSlot.starts, MentorSlot.minutes)
        )
        return {tuple(r) for r in found}


async def test_a_mentor_adds_a_weekly_evening_and_a_day_next_week(
    tuesday_morning, bot, sandbox, db
):
    mentor = await add_mentor(db, sandbox, 8301, "윤서진")
    before = await mentor_slots(db)
    await mentor.send("/slots")
    await mentor.press("가능한 시간 추가")
    await mentor.send("매주 수요일 저녁 7시")
    assert "매주 수요일 19:00–20:00 (60분)" in mentor.last_text
    assert "이 시간이 맞습니까?" in mentor.last_text
    await mentor.press("✅ 이대로 추가")
    assert mentor.callback_answers[-1]["text"] == "가능한 시간을 추가했습니다."
    assert "매주 수 19:00 (60분)" in mentor.last_text

    await mentor.press("가능한 시간 추가")
    await mentor.send("다음 주 목요일 오후 2시 (90분)")
    thursday = tuesday_morning.date() + timedelta(days=9)
    assert f"{said(thursday, '14:00')}–15:30 (90분)" in mentor.last_text
    await mentor.send("네")  # a button is waited for
    assert "버튼" in mentor.last_text
    await mentor.press("✏️ 다시 입력")  # not what was meant
    await mentor.send("다음 주 목요일 오후 3시 (90분)")
    await mentor.press("✅ 이대로 추가")
    assert f"{thursday:%m/%d} 15:00 (90분)" in mentor.last_text

    added = await mentor_slots(db) - before
    assert added == {(2, None, time(19), 60), (None, thursday, time(15), 90)}
    # The confirm button of a finished step is old now.
    await mentor.press_data(mentor.last_message["message_id"], "mn:sk")
    assert mentor.callback_answers[-1]["text"] == "이 버튼은 이제 쓸 수 없습니다."


async def test_a_mentor_hears_why_a_time_is_not_one(tuesday_morning, bot, sandbox, db):
    mentor = await add_mentor(db, sandbox, 8302, "임채원")
    await mentor.send("/slots")
    await mentor.press("가능한 시간 추가")
    await mentor.send("매주 수요일 밤 3시")
    assert "없는 날짜나 시각입니다" in mentor.last_text
    await mentor.send("오늘 오전 9시")
    assert "이미 지난 시각" in mentor.last_text
    await mentor.send("매주 저녁에")
    assert "가능한 시간으로 읽을 수 없습니다" in mentor.last_text


# ----- staff schedule a broadcast ---------------------------------------------------------------


async def test_staff_schedule_a_broadcast_for_tomorrow_morning(tuesday_morning, bot, sandbox, db):
    _, staff = await staff_composing(sandbox)
    await choose(staff, "👥 역할", "학생")
    await staff.press("🕘 예약")
    await staff.send("내일 오전 9시")
    tomorrow = tuesday_morning.date() + timedelta(days=1)
    assert f"{said(tomorrow, '09:00')}에 보냅니다" in staff.last_text


# ----- a student picks a day to search ----------------------------------------------------------


async def test_a_student_asked_which_day_may_say_tomorrow_or_saturday(
    tuesday_morning, bot, sandbox, db
):
    from tests.conftest import join_as_student

    minji = await join_as_student(sandbox, 8401, "김민지")
    await minji.send("/search")
    await minji.press("날짜: 언제든")
    await minji.press("📅 날짜 입력")
    assert "<i>내일</i>" in minji.last_message["html"] or "내일" in minji.last_text
    await minji.send("내일")
    tomorrow = tuesday_morning.date() + timedelta(days=1)
    assert f"날짜: {tomorrow.month}월 {tomorrow.day}일" in minji.buttons
    await minji.press(f"날짜: {tomorrow.month}월 {tomorrow.day}일")
    await minji.press("📅 날짜 입력")
    await minji.send("토요일")
    saturday = tuesday_morning.date() + timedelta(days=4)
    assert f"날짜: {saturday.month}월 {saturday.day}일" in minji.buttons
