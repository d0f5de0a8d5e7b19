"""Deadlines that agree with each other, end to end through the sandbox (issue 20): a seat
past its cancellation deadline is asked for first and never offers a "Cancel" that cannot
work; a teacher's answer is due before the site's roster, never after the session, and the
student is told that moment; a decision made at night tells the teacher when the student
will hear; a safety result shows the monitor the very dates the card and the lists show.

Each test sets its own clock (time-machine, ticking): the city's day and hour are inputs.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from handlers.bookings.buttons import APPLY, CANCEL
from handlers.outbox import dispatch_tick
from storage.bookings import answer_by
from storage.models import Booking, Program
from tests.conftest import join_as_student
from tests.test_inspections_e2e import (
    add_site_person,
    answer_all,
    join_monitor,
)
from tests.test_inspections_e2e import open_card as open_card_of
from tests.world_helpers import add_program, add_session, add_site, add_teacher

KST = ZoneInfo("Asia/Seoul")


def next_tuesday() -> date:
    today = datetime.now(KST).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


@contextmanager
def tuesday_at(hour: int, minute: int = 0):
    """Next Tuesday at this time in Seoul, the clock ticking from there."""
    start = datetime.combine(next_tuesday(), time(hour, minute), tzinfo=KST)
    with time_machine.travel(start, tick=True):
        yield start


@pytest.fixture
def small_hours():
    with tuesday_at(3, 27) as start:
        yield start


@pytest.fixture
def late_evening():
    with tuesday_at(22, 30) as start:
        yield start


@pytest.fixture
def morning():
    with tuesday_at(10, 0) as start:
        yield start


def day(d: date) -> str:
    return f"{d.year}년 {d.month}월 {d.day}일"


def moment(at: datetime) -> str:
    """As the bot writes a date and time (messages/templates/_macros.html.j2)."""
    local = at.astimezone(KST)
    return f"{day(local.date())} {local:%H:%M}"


async def world(db, starts: datetime, *, capacity: int = 5, **values) -> int:
    """A site that passed its check, one programme, one session at `starts`; its id."""
    async with db.write() as conn:
        site_id = await add_site(conn, "하늘 방송국", kind="company")
        program_id = await add_program(
            conn,
            site_id,
            "라디오 PD 체험",
            external_key="라디오|deadlines",
            capacity=capacity,
            type="job_practice",
            field="방송·영상",
        )
        return await add_session(conn, program_id, starts, capacity=capacity, **values)


async def another_session(db, starts: datetime) -> int:
    """A second session of the programme `world` made."""
    async with db.write() as conn:
        program_id = await conn.scalar(
            select(Program.id).where(Program.external_key == "라디오|deadlines")
        )
        return await add_session(conn, program_id, starts, capacity=5)


async def apply(student, session_id: int) -> None:
    """The student presses "apply" on the session (the card's button, by its data)."""
    await student.press_data(student.last_message["message_id"], APPLY.pack(session_id))


async def bookings_of(db, session_id: int) -> list:
    async with db.read() as conn:
        stmt = select(Booking.__table__).where(Booking.session_id == session_id)
        return list((await conn.execute(stmt.order_by(Booking.id))).all())


def labels(user) -> list[str]:
    markup = (user.last_message or {}).get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


# ----- a seat past its cancellation deadline ----------------------------------------------------


async def test_a_seat_past_its_cancellation_deadline_is_asked_for_and_never_offers_cancel(
    morning, bot, sandbox, db
):
    deadline = (morning - timedelta(hours=1)).replace(second=0, microsecond=0)
    session_id = await world(db, morning + timedelta(days=2), capacity=1, cancel_deadline=deadline)
    teacher = await add_teacher(db, sandbox, 6201, "박선영")
    minji = await join_as_student(sandbox, 6211, "김민지")

    # Asked before anything is taken, and can walk away.
    await apply(minji, session_id)
    assert f"이 체험은 취소 기한({moment(deadline)})이 이미 지났어요" in minji.last_text
    assert "그래도 신청할까요?" in minji.last_text
    assert await bookings_of(db, session_id) == []
    await minji.press("신청하지 않기")
    assert "신청하지 않았어요" in minji.last_text
    assert await bookings_of(db, session_id) == []

    # Applying all the same: held, told it cannot be cancelled, and no "Cancel" anywhere.
    await apply(minji, session_id)
    await minji.press("그래도 신청하기")
    await minji.expect("자리를 맡아 두었어요")
    assert f"취소 기한({moment(deadline)})이 이미 지났어요" in minji.last_text
    assert "취소" not in labels(minji)
    await minji.send("/my")
    await minji.press("라디오 PD 체험")
    assert f"취소 기한이 지났어요({moment(deadline)})" in minji.last_text
    assert "선생님께 말씀드리고" in minji.last_text
    assert "취소" not in labels(minji) and "🆘 문제 알리기" in labels(minji)
    # A "Cancel" of an older message shows the booking as it is, never "Cancel it?".
    [booking] = await bookings_of(db, session_id)
    await minji.press_data(minji.last_message["message_id"], CANCEL.pack(booking.id))
    assert "취소 기한이 지났어요" in minji.last_text and "취소할까요" not in minji.last_text

    # The session is full now: joining the line needs no question (it can be left at will),
    # and the seat offered later says it cannot be cancelled before it is taken.
    seojun = await join_as_student(sandbox, 6212, "이서준")
    await apply(seojun, session_id)
    assert "대기 1번" in seojun.last_text
    await teacher.expect("김민지")
    await teacher.press("❌ 거절")
    await teacher.press("사유 없이 거절")
    offer = await seojun.expect("자리가 났어요")
    assert f"취소 기한({moment(deadline)})이 이미 지났어요" in offer["text"]
    assert "자리를 받으면 봇에서 취소할 수 없어요" in offer["text"]


# ----- the teacher's answer is due before the site's roster -----------------------------------


async def test_the_answer_is_due_before_the_sites_roster_and_the_student_is_told_when(
    small_hours, bot, sandbox, db
):
    # 03:27 on Tuesday, for Wednesday 10:00: the site's roster goes at 17:00 on Tuesday.
    wednesday = small_hours.date() + timedelta(days=1)
    session_id = await world(db, datetime.combine(wednesday, time(10, 0), tzinfo=KST))
    roster = datetime.combine(small_hours.date(), time(17, 0), tzinfo=KST)
    teacher = await add_teacher(db, sandbox, 6301, "박선영")
    minji = await join_as_student(sandbox, 6311, "김민지")
    await apply(minji, session_id)
    await minji.expect("자리를 맡아 두었어요")
    assert f"선생님께 {moment(roster)}까지 승인해 달라고 요청했어요" in minji.last_text
    assert "48시간" not in minji.last_text

    notice = await teacher.expect("새 체험 신청")
    assert f"{moment(roster)}까지 답해 주십시오" in notice["text"]
    await teacher.send("/pending")
    assert f"{moment(roster)}까지 답변" in teacher.last_text
    [booking] = await bookings_of(db, session_id)
    assert booking.expires_at == roster

    # A session further off than the hold: HOLD_HOURS (48) is the earlier one.
    later = await another_session(db, small_hours + timedelta(days=6))
    seojun = await join_as_student(sandbox, 6312, "이서준")
    await apply(seojun, later)
    await seojun.expect("자리를 맡아 두었어요")
    held_until = (small_hours + timedelta(hours=48)).replace(minute=0, second=0, microsecond=0)
    assert f"선생님께 {moment(held_until)}까지" in seojun.last_text


# ----- a decision at night --------------------------------------------------------------------


async def test_a_decision_at_night_tells_the_teacher_when_the_student_hears(
    late_evening, bot, sandbox, db
):
    session_id = await world(db, late_evening + timedelta(days=5))
    teacher = await add_teacher(db, sandbox, 6401, "박선영")
    minji = await join_as_student(sandbox, 6411, "김민지")
    seojun = await join_as_student(sandbox, 6412, "이서준")
    hana = await join_as_student(sandbox, 6413, "정하나")
    for student in (minji, seojun, hana):
        await apply(student, session_id)
        await student.expect("자리를 맡아 두었어요")
    await teacher.expect_many("새 체험 신청", 3)
    morning = datetime.combine(late_evening.date() + timedelta(days=1), time(8), tzinfo=KST)

    await teacher.press("✅ 승인")  # on the newest notice
    assert f"학생에게는 {moment(morning)}에 알립니다" in teacher.last_text
    assert "학생에게 알렸습니다" not in teacher.last_text
    await teacher.send("/pending")
    await teacher.press("모두 승인")
    assert f"학생들에게는 {moment(morning)}에 알립니다" in teacher.last_text

    await dispatch_tick(bot)  # nothing reaches a student at night
    for student in (minji, seojun, hana):
        await student.refresh()
        assert not any("승인했어요" in m.get("text", "") for m in student.bot_messages)
    with time_machine.travel(morning + timedelta(minutes=1), tick=True):
        await dispatch_tick(bot)
        for student in (minji, seojun, hana):
            await student.expect("선생님이 체험 신청을 승인했어요")


# ----- one safety date, everywhere ------------------------------------------------------------


async def test_the_monitor_confirms_the_dates_the_card_the_site_and_the_lists_show(
    morning, bot, sandbox, db
):
    monitor = await join_monitor(sandbox, db, 1451, "은정", "일산동구")
    site_person = await add_site_person(db, sandbox, 7051, "흙담 도자기공방")
    recheck, until = morning.date() + timedelta(days=30), morning.date() + timedelta(days=365)
    await monitor.send("/inspections")
    await monitor.press("📋 점검할 곳 고르기")
    await monitor.press("흙담 도자기공방")
    await monitor.press("▶ 점검 시작")
    await answer_all(monitor, ["pass"] * 7 + ["fix"])
    await monitor.press("🔧 보완 필요")
    await monitor.press("의견 없이 진행")
    # Before confirming: the one date itself, not "365 days" nor a second date.
    assert f"{day(recheck)}까지 재점검해야 합니다" in monitor.last_text
    assert day(until) not in monitor.last_text
    assert "365일" not in monitor.last_text and "30일" not in monitor.last_text
    await monitor.press("✅ 결과 확정")
    assert day(until) not in monitor.last_text
    assert f"재점검 기한은 {day(recheck)}입니다" in monitor.last_text

    # The site, the student's card and the monitor's list: the same re-inspection day.
    told = await site_person.expect("안전 점검 결과: 보완 필요")
    assert f"{day(recheck)}까지 지원단원이 다시 점검합니다" in told["text"]
    minji = await join_as_student(sandbox, 7251, "김민지")
    await open_card_of(minji, "도예가 체험")
    assert f"{day(recheck)}까지 재점검" in minji.last_text
    await monitor.send("/inspections")
    await monitor.press("📋 점검할 곳 고르기")
    assert f"{day(morning.date())} 보완 필요, {day(recheck)}까지 재점검" in monitor.last_text

    # Passed at the re-inspection: the monitor confirms the day the card then shows.
    await monitor.press("흙담 도자기공방")
    await monitor.press("▶ 점검 시작")
    await answer_all(monitor, ["pass"] * 8)
    await monitor.press("✅ 통과")
    await monitor.press("의견 없이 진행")
    assert f"{day(until)}까지 점검 완료로 표시됩니다" in monitor.last_text
    assert "365일" not in monitor.last_text
    await monitor.press("✅ 결과 확정")
    await open_card_of(minji, "도예가 체험")
    assert f"안전 점검 통과 ({day(until)}까지 유효)" in minji.last_text


# ----- the rule itself ------------------------------------------------------------------------


def test_the_answer_is_due_by_the_first_roster_with_time_enough_else_the_start():
    tuesday = next_tuesday()

    def at(days: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(tuesday + timedelta(days=days), time(hour, minute), tzinfo=KST)

    hold = timedelta(hours=48)
    wednesday_ten = at(1, 10)
    assert answer_by(wednesday_ten, at(0, 3, 27), hold) == at(0, 17)  # the day-before roster
    assert answer_by(wednesday_ten, at(0, 16, 59), hold) == at(1, 8)  # too close: the morning's
    assert answer_by(wednesday_ten, at(1, 7), hold) == wednesday_ten  # both gone: the start
    assert answer_by(at(1, 7, 30), at(0, 20), hold) == at(1, 7)  # starts before 08:00: the hour
    assert answer_by(at(9, 10), at(0, 3, 27), hold) == at(2, 3)  # far off: HOLD_HOURS, round
