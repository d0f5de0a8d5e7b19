"""Mentor requests end to end: a full group session, a teacher's school visit, a meeting
cancelled by either side, a request nobody takes.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so what a student
is told is never held back by quiet hours, and travels on from there when it needs to.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import Mentor, MentorRequest, School
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import (
    a_request_for_two_mentors,
    accept,
    add_mentor,
    ask,
    count,
    requests,
    travel_tick,
)
from tests.world_helpers import add_teacher

# ----- group sessions -------------------------------------------------------------------------


async def test_a_group_session_fills_up_with_five_schools(tuesday_morning, bot, sandbox, db):
    mentor = await add_mentor(
        db, sandbox, 8006, "배준우", "스마트시티", online=False, group_sessions=True
    )
    async with db.read() as conn:
        names = list(
            (await conn.execute(select(School.name).order_by(School.id).limit(6))).scalars()
        )
    first = await add_teacher(db, sandbox, 8201, "박선영", school=names[0])
    await ask(
        first,
        field="스마트시티",
        mode="단체 멘토링",
        question="2학년 3반 28명, 데이터로 동네 문제 풀기",
    )
    await mentor.expect("새 멘토 요청")
    assert "박선영 선생님" in mentor.last_text
    await accept(mentor, "https://meet.example/city")
    assert "다른 학교도 이 단체 멘토링에 참여할 수 있습니다" in mentor.last_text

    teachers = [
        await add_teacher(db, sandbox, 8202 + n, f"교사{n}", school=names[1 + n]) for n in range(5)
    ]
    for teacher in teachers[:4]:
        await teacher.send("/mentor")
        await teacher.press("단체 멘토링 참여 (1개 모집 중)")
        # The button says what its numbers count, not a bare "(1/5)".
        assert any("스마트시티 · 5개 학교 중" in text for text in teacher.buttons), teacher.buttons
        await teacher.press("스마트시티")
        assert "https://meet.example/city" in teacher.last_text
    await mentor.expect("5개 학교 중 5개")
    late = teachers[4]
    await late.send("/mentor")
    await late.press("단체 멘토링 참여")
    await late.press("스마트시티")
    assert "자리가 다 찼습니다" in late.callback_answers[-1]["text"]
    async with db.read() as conn:
        joined = await conn.scalar(
            select(func.count()).where(
                MentorRequest.mode == "group", MentorRequest.status == "scheduled"
            )
        )
    assert joined == 5


async def test_a_teacher_gets_a_school_visit(tuesday_morning, bot, sandbox, db):
    far = await add_mentor(
        db,
        sandbox,
        8014,
        "최민호",
        "소방·안전",
        online=False,
        school_visits=True,
        districts="일산서구",
    )
    near = await add_mentor(
        db, sandbox, 8015, "강소방", "소방·안전", online=False, school_visits=True
    )
    teacher = await add_teacher(db, sandbox, 8220, "박선영")  # 정발중학교, 일산동구
    await ask(
        teacher,
        field="소방·안전",
        mode="학교 방문 멘토링",
        question="1학년 2반 30명, 소방관의 하루",
    )
    offer = (await near.expect("새 멘토 요청"))["text"]
    assert "정발중학교 박선영 선생님" in offer and "학교 방문" in offer
    await far.refresh()
    assert count(far, "멘토 요청") == 0  # does not visit 일산동구
    await near.press("수락")
    await near.press("(화) 16:00")
    assert "학교의 어디에서" in near.last_text
    await near.press("정발중학교에서")
    assert "만남이 정해졌습니다" in near.last_text and "📍 정발중학교" in near.last_text
    news = await teacher.expect("멘토링 만남 일정이 정해졌습니다")
    assert "📍 정발중학교" in news["text"] and "강소방" in news["text"]
    # An hour before, both are reminded (the day before had passed already).
    await travel_tick(bot, tuesday_morning.replace(hour=15, minute=1))
    await teacher.expect("한 시간 뒤에 멘토링이 시작됩니다")
    await near.expect("한 시간 뒤에 멘토링이 시작됩니다")


async def test_cancelling_a_meeting_either_side(tuesday_morning, bot, sandbox, db):
    pd, other, minji = await a_request_for_two_mentors(db, sandbox, 8016, 8017, 8110)
    await accept(pd, "https://meet.example/a")
    await minji.expect("멘토링 만남이 정해졌어요")
    # The mentor's desk lists it; they cannot come after all.
    await pd.send("/mentor")
    assert "예정된 만남: 1건" in pd.last_text
    await pd.press("📅")
    await pd.press("만남 취소")
    await pd.send("갑자기 출장이 잡혔어요")
    assert "만남을 취소하고" in pd.last_text
    await minji.expect("멘토가 만남을 취소해야 했어요")
    await other.expect("새 멘토 요청")  # the request went on to the next mentor
    await accept(other, "https://meet.example/b")
    await minji.expect("https://meet.example/b")
    # Now the student cancels: the mentor hears, and their place frees.
    await minji.send("/mentor")
    await minji.press("방송영상")
    await minji.press("요청 취소")
    await minji.press("네, 취소할게요")
    await other.expect("요청한 분이 취소했습니다")
    [request] = await requests(db)
    assert request.status == "cancelled"
    async with db.read() as conn:
        held = dict((await conn.execute(select(Mentor.name, Mentor.open_requests))).all())
    assert held["윤서진"] == held["임채원"] == 0


async def test_a_request_nobody_takes_expires_after_two_weeks(tuesday_morning, bot, sandbox, db):
    minji = await join_as_student(sandbox, 8111, "김민지")
    await ask(minji, field="K-바이오", typed=True)
    assert "지금은 맡을 수 있는 멘토가 없어요" in minji.last_text
    await travel_tick(bot, tuesday_morning + timedelta(days=14, minutes=1))
    await minji.expect("2주 동안 요청(K-바이오)을 맡을 멘토가 없어")
    [request] = await requests(db)
    assert request.status == "expired"
