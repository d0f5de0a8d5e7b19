"""Mentor requests end to end, through the sandbox: a mentor's profile and free times; a
student asks, a mentor accepts, sets the time and link, both are reminded, the mentor logs
it and the student rates it.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so what a student
is told is never held back by quiet hours, and travels on from there when it needs to.
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from handlers.outbox import dispatch_tick
from storage.models import Mentor, User, utcnow
from tests.conftest import ADMIN_ID, join_as_student
from tests.mentors_e2e_helpers import QUESTION, add_mentor, ask, requests, travel_tick

# ----- the mentor's profile -------------------------------------------------------------------


async def test_a_mentor_keeps_a_profile_free_times_and_can_pause(tuesday_morning, bot, sandbox, db):
    from storage import invites

    async with db.write() as conn:
        invite = await invites.create(
            conn, role="mentor", created_by=ADMIN_ID, days=7, now=utcnow()
        )
    mentor = sandbox.user(1301, "하늘")
    await mentor.send(f"/start {invite.code}")
    await mentor.send("정하늘")
    await mentor.press("대학생 멘토")
    await mentor.send("보건·의료")
    await mentor.send("/profile")
    assert "정하늘" in mentor.last_text and "대학생 멘토" in mentor.last_text
    assert "/slots" in mentor.last_text  # no free time yet: told requests cannot come
    await mentor.press("✏️ 직함·전공")
    await mentor.send("간호학과 3학년")
    assert "간호학과 3학년" in mentor.last_text
    await mentor.press("학교 방문")
    await mentor.press("일산동구")
    assert "방문 가능 지역: 덕양구" not in mentor.last_text and "일산동구" in mentor.last_text
    await mentor.press("동시 요청 수")
    await mentor.press("5")
    assert "동시 요청 수: 5건" in mentor.last_text
    await mentor.press("🗂 분야")
    await mentor.press("반려동물")
    assert "선택: 보건·의료, 반려동물" in mentor.last_text
    await mentor.press("✅ 완료")

    await mentor.send("/slots")
    assert "아직 없습니다" in mentor.last_text
    await mentor.press("가능한 시간 추가")
    await mentor.send("아무 때나요")
    assert "가능한 시간으로 읽을 수 없습니다" in mentor.last_text
    await mentor.send("목요일 19시-20시 30분")
    assert "매주 목요일 19:00–20:30 (90분)" in mentor.last_text  # read back first
    await mentor.press("✅ 이대로 추가")
    assert "매주 목 19:00 (90분)" in mentor.last_text
    await mentor.press("가능한 시간 추가")
    await mentor.send("화 16:00")
    await mentor.press("✅ 이대로 추가")
    assert "매주 화 16:00 (60분)" in mentor.last_text
    assert "앞으로 3주 안의 가능한 시간: 6개" in mentor.last_text
    await mentor.press("✕ 매주 화")
    assert "매주 화" not in mentor.last_text

    await mentor.send("/profile")
    await mentor.press("요청 잠시 멈춤")
    assert "잠시 멈췄습니다" in mentor.callback_answers[-1]["text"]
    assert "잠시 멈춤: 새 요청이 오지 않습니다" in mentor.last_text
    async with db.read() as conn:
        profile = (
            await conn.execute(
                select(Mentor.__table__)
                .join(User, User.mentor_id == Mentor.id)
                .where(User.id == 1301)
            )
        ).one()
    assert (profile.title, profile.school_visits, profile.districts, profile.max_open) == (
        "간호학과 3학년",
        True,
        "일산동구",
        5,
    )
    assert profile.paused and profile.kind == "university"


# ----- a student and a mentor meet ------------------------------------------------------------


async def test_a_student_asks_a_mentor_meets_them_and_rates_it(tuesday_morning, bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8001, "윤서진")
    minji = await join_as_student(sandbox, 8101, "김민지")
    await ask(minji, times=["평일 방과 후"])
    assert "요청을 보냈어요" in minji.last_text and "멘토가 요청을 보고 있어요" in minji.last_text

    offer = (await pd.expect("새 멘토 요청"))["text"]
    # The mentor sees the student's given name, grade, school and question; nothing else.
    assert "정발중학교 2학년 민지" in offer and QUESTION in offer
    assert "김민지" not in offer and "8101" not in offer and "⭐" not in offer
    assert pd.buttons == ["✅ 수락", "❌ 거절"]
    await pd.press("수락")
    assert "요청을 수락하셨습니다" in pd.last_text
    await minji.expect("멘토가 요청을 수락했어요")
    assert "윤서진" in minji.last_text and "방송 PD" in minji.last_text

    wednesday = tuesday_morning + timedelta(days=1)
    await pd.press("(수) 16:00")  # the second free time: tomorrow after school
    assert "온라인 회의실 링크" in pd.last_text
    await pd.send("회의실은 나중에")
    assert "링크가 아닙니다" in pd.last_text
    await pd.send("https://meet.example/pd-room")
    assert "만남이 정해졌습니다" in pd.last_text
    news = await minji.expect("멘토링 만남이 정해졌어요")
    assert "https://meet.example/pd-room" in news["text"]

    # The day before at 18:00 and an hour before, both are reminded.
    await travel_tick(bot, tuesday_morning.replace(hour=18, minute=1))
    await minji.expect("내일 멘토링 만남이 있어요")
    await pd.expect("내일 멘토링 만남이 있습니다")
    await travel_tick(bot, wednesday.replace(hour=15, minute=1))
    await minji.expect("한 시간 뒤에 멘토링이 시작돼요")
    assert "https://meet.example/pd-room" in minji.last_text
    await pd.expect("한 시간 뒤에 멘토링이 시작됩니다")

    # After it, the mentor logs it in two taps and a note; the student rates it.
    with time_machine.travel(wednesday.replace(hour=17, minute=1), tick=True):
        await dispatch_tick(bot)
        await pd.expect("만남은 어떠셨습니까")
        await pd.press("✅ 진행함")
        await pd.press("60분")
        assert "진행함, 60분" in pd.last_text
        await pd.send("편집 프로그램 추천을 약속했어요")
        assert "메모를 저장했습니다" in pd.last_text
        await dispatch_tick(bot)
        await minji.expect("어땠어요? 1~5점으로")
        assert minji.buttons == ["1", "2", "3", "4", "5"]
        await minji.press("5")
        await minji.send("정말 재미있었어요")
        assert "고마워요" in minji.last_text
    [request] = await requests(db)
    assert (request.status, request.rating, request.comment) == ("held", 5, "정말 재미있었어요")
    async with db.read() as conn:
        open_now = await conn.scalar(select(Mentor.open_requests).where(Mentor.name == "윤서진"))
    assert open_now == 0
