"""Dates and deadlines as people expect them, end to end through the sandbox (issue 20): a
deadline someone is told falls on a round time and is kept as told; a safety result that needs
fixing has one date everywhere; example dates in questions lie ahead of the city's today; a
student's date filter takes a time too; a card names the session's time span and the hours
credited apart; a second booking of the same programme is pointed out before it is made.

Each test sets its own clock (time-machine, ticking) or reads the city's today: they pass at any
date and hour.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from messages import render
from storage.bookings import answer_by
from storage.inspections import RECHECK_AFTER, result_dates
from storage.models import Site, User
from storage.moments import round_deadline
from storage.search import index_programs, refresh_next
from tests.conftest import join_as_student
from tests.test_classbook_picker_e2e import programmes as picker_programmes
from tests.test_classbook_picker_e2e import titles as picker_titles
from tests.test_deadlines_e2e import (
    KST,
    another_session,
    apply,
    bookings_of,
    day,
    moment,
    next_tuesday,
    tuesday_at,
    world,
)
from tests.test_inspections_e2e import answer_all, join_monitor
from tests.test_inspections_e2e import open_card as open_card_of
from tests.world_helpers import add_program, add_session, add_site, add_teacher

# ----- a deadline falls on a round time, kept as told ------------------------------------------


async def test_a_teachers_answer_deadline_is_a_whole_hour_kept_as_told(bot, sandbox, db):
    # 03:27 on Tuesday for a session six days off: 48 hours would end at Thursday 03:27;
    # the deadline is Thursday 03:00, never later than the rule allows.
    with tuesday_at(3, 27) as start:
        later = start.date() + timedelta(days=6)
        session_id = await world(db, datetime.combine(later, time(10), tzinfo=KST))
        teacher = await add_teacher(db, sandbox, 6501, "박선영")
        minji = await join_as_student(sandbox, 6511, "김민지")
        await apply(minji, session_id)
        await minji.expect("자리를 맡아 두었어요")
        due = datetime.combine(start.date() + timedelta(days=2), time(3), tzinfo=KST)
        assert f"선생님께 {moment(due)}까지 승인해 달라고 요청했어요" in minji.last_text
        assert ":27" not in minji.last_text
        notice = await teacher.expect("새 체험 신청")
        assert f"{moment(due)}까지 답해 주십시오" in notice["text"]
        await teacher.send("/pending")
        assert f"{moment(due)}까지 답변" in teacher.last_text
        [booking] = await bookings_of(db, session_id)
        assert booking.expires_at == due  # kept as told

        # In English, the same moment.
        async with db.write() as conn:
            await conn.execute(update(User).where(User.id == 6501).values(lang="en"))
        await teacher.send("/pending")
        assert f"answer by {due.day} {due:%b %Y} 03:00" in teacher.last_text
        assert ":27" not in teacher.last_text


def test_a_deadline_is_rounded_down_never_past_and_never_later_than_the_rule():
    tuesday = next_tuesday()

    def at(days: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(tuesday + timedelta(days=days), time(hour, minute), tzinfo=KST)

    hold = timedelta(hours=48)
    assert answer_by(at(9, 10), at(0, 3, 27), hold) == at(2, 3)  # the whole hour before
    assert answer_by(at(1, 10), at(0, 3, 27), hold) == at(0, 17)  # the roster: round already
    # Close to the start, the whole hour has passed: the half or quarter hour, never the past.
    assert answer_by(at(1, 10, 30), at(1, 10, 10), hold) == at(1, 10, 30)
    assert answer_by(at(1, 10, 20), at(1, 10, 5), hold) == at(1, 10, 15)
    assert round_deadline(at(1, 10, 20), at(1, 10, 16)) == at(1, 10, 20)
    for minute in range(60):
        now = at(0, 9, minute)
        shown = answer_by(at(9, 10), now, hold)
        assert now < shown <= now + hold and shown.minute == 0


# ----- a result that needs fixing: one date, everywhere ----------------------------------------


async def test_a_result_that_needs_fixing_is_reviewed_before_confirming_with_one_date(
    tuesday_morning, bot, sandbox, db
):
    monitor = await join_monitor(sandbox, db, 1461, "은정", "일산동구")
    recheck = tuesday_morning.date() + RECHECK_AFTER
    until = tuesday_morning.date() + timedelta(days=365)  # what a pass would hold until
    await monitor.send("/inspections")
    await monitor.press("📋 점검할 곳 고르기")
    await monitor.press("흙담 도자기공방")
    await monitor.press("▶ 점검 시작")
    await answer_all(monitor, ["pass"] * 7 + ["fix"])
    await monitor.press("🔧 보완 필요")
    await monitor.press("의견 없이 진행")
    # A review before confirming, not "결과 확정" while nothing is confirmed yet.
    title = monitor.last_text.splitlines()[0]
    assert title == "확정하기 전에 확인해 주십시오: 흙담 도자기공방 점검 결과"
    assert f"{day(recheck)}까지 재점검해야 합니다" in monitor.last_text
    assert day(until) not in monitor.last_text and "유효" not in monitor.last_text
    await monitor.press("✅ 결과 확정")
    assert "기록했습니다: 보완 필요" in monitor.last_text
    assert f"재점검 기한은 {day(recheck)}입니다" in monitor.last_text
    assert day(until) not in monitor.last_text and "유효" not in monitor.last_text
    # What the site holds until is that same day, not a year (it books until then only).
    async with db.read() as conn:
        held = await conn.scalar(
            select(Site.safety_valid_until).where(Site.name == "흙담 도자기공방")
        )
    assert held == recheck

    # The student's card: the very same day.
    minji = await join_as_student(sandbox, 7261, "김민지")
    await open_card_of(minji, "도예가 체험")
    assert f"{day(recheck)}까지 재점검" in minji.last_text
    assert day(until) not in minji.last_text

    # In English the review names the one day too.
    dates = result_dates("needs_fix", tuesday_morning, 365)
    english = render(
        "inspections/confirm",
        "en",
        site="Heuk-dam",
        result="needs_fix",
        note=None,
        suggestion="needs_fix",
        items=[],
        inspection=dates,
        site_nobody=False,
        tz=KST,
    )
    assert english.startswith("<b>Before you confirm: the inspection of Heuk-dam</b>")
    assert f"inspected again by {dates.recheck_by.day} {dates.recheck_by:%b %Y}" in english
    # The rule itself has one day: the result holds until its re-inspection.
    assert dates.valid_until == dates.recheck_by


# ----- example days lie ahead of the city's today ----------------------------------------------


def example_days(text: str, today) -> list:
    """Every "12/10", "12월 10일" or "2026-12-10" in `text` (but what the person typed, quoted
    back), read as the bot reads a year-less day."""
    text = re.sub("“[^”]*”", "", text)
    days = [date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", text)]
    text = re.sub(r"\d{4}-\d{2}-\d{2}", "", text)
    found = re.findall(r"\b(\d{1,2})/(\d{1,2})\b|(\d{1,2})월 (\d{1,2})일", text)
    for a, b, c, d in found:
        month, dom = int(a or c), int(b or d)
        day = date(today.year, month, dom)
        days.append(day if day >= today else date(today.year + 1, month, dom))
    return days


async def test_example_days_in_questions_lie_ahead_of_today(tuesday_morning, bot, sandbox, db):
    today = tuesday_morning.date()
    minji = await join_as_student(sandbox, 6611, "김민지")
    await minji.send("/search")
    assert example_days(minji.last_text, today)  # "단어나 날짜(12/10, 12월 10일)를 …"
    await minji.press("날짜: 언제든")
    await minji.press("📅 날짜 입력")
    await minji.send("13/45")
    assert "알 수 없는 날짜" in minji.last_text
    shown = example_days(minji.last_text, today)
    assert len(shown) == 2 and shown[0] == shown[1], minji.last_text
    for shown_day in shown:  # soon, on a school day, never today or before
        assert today < shown_day <= today + timedelta(days=7), minji.last_text
        assert shown_day.weekday() < 5

    # In English, the same.
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 6611).values(lang="en"))
    await minji.send("99/99")
    shown = example_days(minji.last_text, today)
    assert len(shown) == 2, minji.last_text
    assert all(today < d <= today + timedelta(days=7) for d in shown)


# ----- a date filter takes a time too ----------------------------------------------------------


def titled(user, title: str) -> bool:
    """A result of the list shown is this programme ("3. 라디오 PD 체험")."""
    return any(b.split(". ", 1)[-1] == title for b in user.buttons)


async def test_a_student_searching_by_a_day_and_time_gets_that_day_from_that_time_on(
    tuesday_morning, bot, sandbox, db
):
    wednesday = tuesday_morning.date() + timedelta(days=1)
    afternoon = datetime.combine(wednesday, time(16), tzinfo=KST)
    await world(db, afternoon)  # 라디오 PD 체험, Wednesday 16:00
    async with db.write() as conn:
        site_id = await add_site(conn, "아침 빵집", kind="company")
        program_id = await add_program(
            conn, site_id, "새벽 반죽 체험", external_key="빵|dates", capacity=5, field="요리"
        )
        await add_session(
            conn, program_id, datetime.combine(wednesday, time(10), tzinfo=KST), capacity=5
        )
    shown = f"{wednesday.month}월 {wednesday.day}일 15:00부터"

    minji = await join_as_student(sandbox, 6711, "김민지")
    await minji.send("내일 오후 3시")
    assert f"🔸 {shown}" in minji.last_text  # what was understood, echoed back
    assert titled(minji, "라디오 PD 체험")
    assert not titled(minji, "새벽 반죽 체험")  # that morning: before the time asked
    assert "알 수 없는 날짜" not in minji.last_text

    # The /search panel's day takes it too.
    await minji.send("/search")
    await minji.press("날짜: 언제든")
    await minji.press("📅 날짜 입력")
    await minji.send("내일 오후 3시")
    assert f"날짜: {shown}" in minji.buttons

    # In English, the same.
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 6711).values(lang="en"))
    await minji.send("tomorrow 3pm")
    assert f"🔸 {wednesday.day} {wednesday:%b} from 15:00" in minji.last_text
    assert titled(minji, "라디오 PD 체험") and not titled(minji, "새벽 반죽 체험")


# ----- a card names the session's time span and the hours credited apart -----------------------


async def test_a_card_names_the_sessions_time_span_and_the_hours_credited_apart(
    tuesday_morning, bot, sandbox, db
):
    starts = datetime.combine(tuesday_morning.date() + timedelta(days=2), time(10), tzinfo=KST)
    async with db.write() as conn:
        site_id = await add_site(conn, "푸른 목공방", kind="company")
        program_id = await add_program(
            conn, site_id, "나무 의자 만들기", external_key="의자|dates", capacity=5, hours=4
        )
        await add_session(
            conn, program_id, starts, capacity=5, ends_at=starts + timedelta(hours=2, minutes=30)
        )
        await index_programs(conn, [program_id])
        await refresh_next(conn, [program_id], now=tuesday_morning)
    minji = await join_as_student(sandbox, 6811, "김민지")
    await open_card_of(minji, "나무 의자")
    text = minji.last_text
    assert "인정 시간: 4시간 (회차의 실제 진행 시간과 관계없이 학교에 기록되는 시간이에요)" in text
    assert "다가오는 일정과 진행 시간" in text
    assert f"{moment(starts)}–12:30, 남은 자리" in text  # the span the session is held
    assert "이수 4시간" not in text

    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 6811).values(lang="en"))
    await open_card_of(minji, "나무 의자")
    assert "Hours credited: 4 hours (what your school records" in minji.last_text
    assert f"{starts:%H:%M}–12:30" in minji.last_text


# ----- the same programme twice: said before, never refused ------------------------------------


async def test_applying_again_for_a_programme_says_when_the_student_already_has_it(
    tuesday_morning, bot, sandbox, db
):
    first = datetime.combine(tuesday_morning.date() + timedelta(days=2), time(10), tzinfo=KST)
    session_id = await world(db, first)
    second = await another_session(db, first + timedelta(days=7))
    await add_teacher(db, sandbox, 6901, "박선영")
    minji = await join_as_student(sandbox, 6911, "김민지")
    await apply(minji, session_id)
    await minji.expect("자리를 맡아 두었어요")  # the first: no question

    await apply(minji, second)
    assert "이 프로그램은 이미 다른 날짜에 신청했어요" in minji.last_text
    weekday = "월화수목금토일"[first.weekday()]
    assert f"• {day(first.date())} ({weekday}) 10:00 (선생님 승인 대기)" in minji.last_text
    assert "그래도 신청할까요?" in minji.last_text
    assert len(await bookings_of(db, second)) == 0  # nothing taken before the answer
    await minji.press("신청하지 않기")
    assert "신청하지 않았어요" in minji.last_text
    assert len(await bookings_of(db, second)) == 0

    await apply(minji, second)
    await minji.press("그래도 신청하기")
    await minji.expect("자리를 맡아 두었어요")
    assert len(await bookings_of(db, second)) == 1

    # In English, the same question.
    seojun = await join_as_student(sandbox, 6912, "이서준")
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 6912).values(lang="en"))
    await apply(seojun, session_id)
    await apply(seojun, second)
    assert "You already applied for this programme on another day:" in seojun.last_text
    assert f"{first:%H:%M}" in seojun.last_text


async def test_a_teacher_picking_a_session_for_a_class_may_type_a_day_and_time(
    tuesday_morning, bot, sandbox, db
):
    await picker_programmes(db)  # 누리별 제빵사 체험: Thursday at 10:00
    thursday = tuesday_morning.date() + timedelta(days=2)
    teacher = await add_teacher(db, sandbox, 7311, "박선영")
    await teacher.send("/classbook")
    await teacher.press("학급 단체 예약하기")
    await teacher.send(f"{thursday.month}/{thursday.day} 오전 9시")
    await teacher.send("누리별")
    assert f"🔎 “누리별” · {thursday.month}월 {thursday.day}일 09:00부터" in teacher.last_text
    assert picker_titles(teacher) == ["누리별 제빵사 체험"]
    await teacher.press("✕ 검색 지우기")
    await teacher.send(f"{thursday.month}/{thursday.day} 오후 3시")
    await teacher.send("누리별")
    assert f"{thursday.month}월 {thursday.day}일 15:00부터" in teacher.last_text
    assert picker_titles(teacher) == []  # that morning's session is before the time asked
