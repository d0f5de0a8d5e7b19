"""Mentor requests end to end, through the sandbox: a mentor's profile and free times; a
student asks, a mentor accepts, sets the time and link, both are reminded, the mentor logs
it and the student rates it; a request passing to a second mentor after a decline and after
a timeout (time travel); two mentors pressing accept at once (one wins); a full group
session; a paused mentor who receives nothing; consent; a teacher's priority mark that no
mentor sees; words typed for a field; staff figures and the evaluation file; forged buttons.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so what a student
is told is never held back by quiet hours, and travels on from there when it needs to.
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, insert, select, update

from handlers.mentors import clock_tick
from handlers.reminders import dispatch_tick
from storage import mentor_reports
from storage.models import (
    Mentor,
    MentorOffer,
    MentorRequest,
    MentorSlot,
    Reminder,
    School,
    User,
    utcnow,
)
from tests.conftest import ADMIN_ID, join_as_student

KST = ZoneInfo("Asia/Seoul")
STALE = "이 버튼은 이제 쓸 수 없"  # 없어요 to students, 없습니다 to adults
QUESTION = "방송 PD가 되려면 중학생 때 무엇을 해 보면 좋을까요?"
# Weekdays at 16:00 and Saturday at 10:00.
WEEKLY = [(d, time(16, 0)) for d in range(5)] + [(5, time(10, 0))]


# ----- people ---------------------------------------------------------------------------------


async def add_mentor(db, sandbox, user_id: int, name: str, field="방송영상", **values):
    """A mentor on Jinro with a profile and weekly free times; their chat opened."""
    profile = {
        "kind": "professional",
        "name": name,
        "field": field,
        "title": "방송 PD",
        "organization": "MBC",
        "online": True,
        "group_sessions": False,
        "school_visits": False,
        "districts": "일산동구",  # where 정발중학교 is
        "max_open": 3,
        **values,
    }
    async with db.write() as conn:
        mentor_id = await conn.scalar(insert(Mentor).values(**profile).returning(Mentor.id))
        for weekday, starts in WEEKLY:
            await conn.execute(
                insert(MentorSlot).values(
                    mentor_id=mentor_id, weekday=weekday, starts=starts, minutes=60
                )
            )
        await conn.execute(
            insert(User).values(id=user_id, role="mentor", name=name, mentor_id=mentor_id)
        )
    person = sandbox.user(user_id, name)
    await person.send("/help")
    return person


async def add_teacher(db, sandbox, user_id: int, name: str, school="정발중학교"):
    async with db.write() as conn:
        school_id = await conn.scalar(select(School.id).where(School.name == school))
        await conn.execute(
            insert(User).values(
                id=user_id, role="teacher", name=name, school_id=school_id, grades=""
            )
        )
    person = sandbox.user(user_id, name)
    await person.send("/help")
    return person


async def ask(
    student, *, field="방송영상", mode="온라인 1:1", times=(), question=QUESTION, typed=False
):
    """The student (or teacher) asks through /mentor, as in the chat: the field by its
    button among those with mentors free, or `typed` as words when none is."""
    await student.send("/mentor")
    await student.press("멘토에게 묻기")
    if typed:
        await student.send(field)
    await student.press(field)
    await student.press(mode)
    for name in times:
        await student.press(name)
    await student.press("다음 ▶" if times else "언제든")
    await student.send(question)
    await student.press("보내기")


async def requests(db) -> list:
    async with db.read() as conn:
        found = await conn.execute(select(MentorRequest.__table__).order_by(MentorRequest.id))
        return list(found.all())


def count(person, fragment: str) -> int:
    return sum(fragment in m.get("text", "") for m in person.bot_messages)


async def travel_tick(bot, moment: datetime) -> None:
    """The clock at `moment`: the mentor step, then the outbox."""
    with time_machine.travel(moment, tick=True):
        await clock_tick(bot)
        await dispatch_tick(bot)


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
    assert "매주 목 19:00 (90분)" in mentor.last_text
    await mentor.press("가능한 시간 추가")
    await mentor.send("화 16:00")
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
    assert "민지, 2학년, 정발중학교" in offer and QUESTION in offer
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


# ----- passing on -----------------------------------------------------------------------------


async def test_a_declined_request_passes_to_a_second_mentor(tuesday_morning, bot, sandbox, db):
    first = await add_mentor(db, sandbox, 8002, "윤서진")
    second = await add_mentor(db, sandbox, 8003, "임채원", districts="일산서구")
    minji = await join_as_student(sandbox, 8102, "김민지")
    await ask(minji)
    await first.expect("새 멘토 요청")
    assert count(second, "새 멘토 요청") == 0
    await first.press("거절")
    assert "사유를 짧게" in first.last_text
    await first.send("이번 주는 촬영이 있어요")
    assert "다른 멘토에게 갑니다" in first.last_text
    await second.expect("새 멘토 요청")
    await first.press("수락")  # the old offer's button: too late now
    assert "이미 다른 멘토에게 갔거나" in first.last_text
    async with db.read() as conn:
        offers = dict((await conn.execute(select(MentorOffer.mentor_id, MentorOffer.reason))).all())
    assert "이번 주는 촬영이 있어요" in offers.values()
    await minji.send("/mentor")
    await minji.press("방송영상")
    assert "멘토가 요청을 보고 있어요" in minji.last_text


async def test_an_unanswered_offer_passes_on_and_two_mentors_accept_at_once(
    tuesday_morning, bot, sandbox, db
):
    first = await add_mentor(db, sandbox, 8004, "윤서진")
    second = await add_mentor(db, sandbox, 8005, "임채원", districts="일산서구")
    minji = await join_as_student(sandbox, 8103, "김민지")
    await ask(minji)
    await first.expect("새 멘토 요청")
    # Four hours before it passes on, the first mentor is reminded.
    await travel_tick(bot, tuesday_morning + timedelta(hours=20, minutes=1))
    await first.expect("요청이 아직 답을 기다리고 있습니다")
    assert count(second, "멘토 요청") == 0
    # A day on, nobody answered: the clock passes it to the second mentor.
    later = tuesday_morning + timedelta(hours=24, minutes=1)
    await travel_tick(bot, later)
    await second.expect("새 멘토 요청")
    # Both press accept at the same moment: the one it is offered to now wins.
    with time_machine.travel(later + timedelta(minutes=1), tick=True):
        await asyncio.gather(first.press("수락"), second.press("수락"))
    await first.refresh()
    await second.refresh()
    assert any("이미 다른 멘토에게 갔거나" in m.get("text", "") for m in first.bot_messages)
    assert any("요청을 수락하셨습니다" in m.get("text", "") for m in second.bot_messages)
    [request] = await requests(db)
    async with db.read() as conn:
        winner = await conn.scalar(select(User.mentor_id).where(User.id == 8005))
        outcomes = sorted((await conn.execute(select(MentorOffer.outcome))).scalars())
    assert (request.status, request.mentor_id) == ("accepted", winner)
    assert outcomes == ["accepted", "timeout"]


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
    await mentor.press("수락")
    await mentor.press("(화) 16:00")
    await mentor.send("https://meet.example/city")
    assert "다른 학교도 이 단체 멘토링에 참여할 수 있습니다" in mentor.last_text

    teachers = [
        await add_teacher(db, sandbox, 8202 + n, f"교사{n}", school=names[1 + n]) for n in range(5)
    ]
    for teacher in teachers[:4]:
        await teacher.send("/mentor")
        await teacher.press("단체 멘토링 참여 (1)")
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
    assert "박선영 선생님, 정발중학교" in offer and "학교 방문" in offer
    await far.refresh()
    assert count(far, "멘토 요청") == 0  # does not visit 일산동구
    await near.press("수락")
    await near.press("(화) 16:00")
    assert "학교의 어디에서" in near.last_text
    await near.press("정발중학교에서")
    assert "만남이 정해졌습니다" in near.last_text and "📍 정발중학교" in near.last_text
    news = await teacher.expect("멘토링 만남이 정해졌어요")
    assert "📍 정발중학교" in news["text"] and "강소방" in news["text"]
    # An hour before, both are reminded (the day before had passed already).
    await travel_tick(bot, tuesday_morning.replace(hour=15, minute=1))
    await teacher.expect("한 시간 뒤에 멘토링이 시작돼요")
    await near.expect("한 시간 뒤에 멘토링이 시작됩니다")


async def test_cancelling_a_meeting_either_side(tuesday_morning, bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8016, "윤서진")
    other = await add_mentor(db, sandbox, 8017, "임채원", districts="일산서구")
    minji = await join_as_student(sandbox, 8110, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")
    await pd.press("(화) 16:00")
    await pd.send("https://meet.example/a")
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
    await other.press("수락")
    await other.press("(화) 16:00")
    await other.send("https://meet.example/b")
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


# ----- nobody available -----------------------------------------------------------------------


async def test_a_paused_mentor_receives_nothing_until_they_resume(
    tuesday_morning, bot, sandbox, db
):
    mentor = await add_mentor(db, sandbox, 8007, "윤서진")
    await mentor.send("/profile")
    await mentor.press("요청 잠시 멈춤")
    minji = await join_as_student(sandbox, 8104, "김민지")
    await minji.send("/mentor")
    await minji.press("멘토에게 묻기")
    await minji.send("방송")  # typed words, matched like programme search
    await minji.press("방송영상")
    await minji.press("온라인 1:1")
    assert "시간이 되는 멘토가 없어요" in minji.last_text
    await minji.press("언제든")
    await minji.send(QUESTION)
    await minji.press("보내기")
    assert "지금은 맡을 수 있는 멘토가 없어요" in minji.last_text
    # The nearest alternatives: a related field's mentor, and programmes in the field.
    await add_mentor(db, sandbox, 8008, "임채원", "디자인")
    await minji.send("/mentor")
    await minji.press("방송영상")
    assert "관련 분야 디자인에서 시간이 되는 멘토: 1명" in minji.last_text
    assert "이 분야의 체험 프로그램" in minji.last_text

    await travel_tick(bot, tuesday_morning + timedelta(minutes=5))
    await mentor.refresh()
    assert count(mentor, "멘토 요청") == 0
    [request] = await requests(db)
    assert request.status in ("waiting", "offered") and request.mentor_id != (
        await _mentor_of(db, 8007)
    )
    # The related-field mentor may have been offered it; the paused one never.
    async with db.read() as conn:
        asked = set((await conn.execute(select(MentorOffer.mentor_id))).scalars())
    assert await _mentor_of(db, 8007) not in asked

    await mentor.send("/profile")
    await mentor.press("요청 다시 받기")
    async with db.write() as conn:  # the other mentor lets it go
        await conn.execute(update(Mentor).where(Mentor.name == "임채원").values(paused=True))
        await conn.execute(
            update(MentorRequest)
            .where(MentorRequest.status == "offered")
            .values(offer_expires_at=datetime.now(KST))
        )
    await travel_tick(bot, tuesday_morning + timedelta(minutes=10))
    await mentor.expect("새 멘토 요청")


async def _mentor_of(db, user_id: int) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(User.mentor_id).where(User.id == user_id))


async def test_a_student_under_14_needs_consent_first(tuesday_morning, bot, sandbox, db):
    await add_mentor(db, sandbox, 8009, "윤서진")
    seojun = await join_as_student(sandbox, 8105, "이서준", under14=True, grade=1)
    await seojun.send("/mentor")
    assert "보호자 동의가 필요해요" in seojun.last_text
    await seojun.press("멘토에게 묻기")
    assert "/consent" in seojun.callback_answers[-1]["text"]
    assert await requests(db) == []


# ----- priority: staff and the student's teacher, never the mentor ----------------------------


async def test_a_teacher_marks_priority_which_no_mentor_ever_sees(
    tuesday_morning, bot, sandbox, db
):
    teacher = await add_teacher(db, sandbox, 8210, "박선영")
    other_school = await add_teacher(db, sandbox, 8211, "최교사", school="일산중학교")
    minji = await join_as_student(sandbox, 8106, "김민지")
    await ask(minji, field="K-바이오", typed=True)  # nobody yet: it waits in line
    await teacher.send("/mentor")
    await teacher.press("우리 학생들의 요청 (1)")
    assert "김민지" in teacher.last_text and "멘토 대기 중" in teacher.last_text
    await teacher.press("☆ 김민지")
    assert "⭐ 김민지" in teacher.last_text
    [request] = await requests(db)
    assert request.priority
    await other_school.send("/mentor")
    assert "우리 학생들의 요청 (0)" in other_school.buttons[-2]
    await other_school.press_data(other_school.last_message["message_id"], f"rq:p:{request.id}:0")
    assert STALE in other_school.callback_answers[-1]["text"]

    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/mentors")
    assert "우선 요청(시범사업) 중 미배정: 1건" in staff.last_text
    await staff.press("멘토를 기다리는 요청 (1)")
    assert "⭐ 민지 · 정발중학교" in staff.last_text

    bio = await add_mentor(db, sandbox, 8010, "정하은", "K-바이오")
    await travel_tick(bot, tuesday_morning + timedelta(minutes=2))
    offer = (await bio.expect("새 멘토 요청"))["text"]
    for word in ("⭐", "우선", "priority", "김민지"):
        assert word not in offer
    await minji.send("/mentor")
    await minji.press("K-바이오")
    assert "⭐" not in minji.last_text and "우선" not in minji.last_text


async def test_the_offer_a_mentor_gets_is_the_same_with_or_without_priority(sqlite_db):
    """Rendered from the storage view a mentor gets: the mark cannot leak into it."""
    from messages import render
    from storage import mentors as store

    db = sqlite_db
    async with db.write() as conn:
        school = await conn.scalar(
            insert(School).values(name="정발중학교", district="일산동구").returning(School.id)
        )
        await conn.execute(
            insert(User).values(id=1, role="student", name="김민지", school_id=school, grade=2)
        )
        mentor_id = await conn.scalar(
            insert(Mentor)
            .values(kind="professional", name="멘토", field="방송영상")
            .returning(Mentor.id)
        )
        texts = []
        now = datetime.now(KST)
        for priority in (False, True):
            request_id = await conn.scalar(
                insert(MentorRequest)
                .values(
                    requester_id=1,
                    school_id=school,
                    mode="online",
                    field="방송영상",
                    question=QUESTION,
                    status="offered",
                    priority=priority,
                    mentor_id=mentor_id,
                    offer_expires_at=now + timedelta(hours=24),
                )
                .returning(MentorRequest.id)
            )
            await conn.execute(
                insert(MentorOffer).values(
                    request_id=request_id, mentor_id=mentor_id, offered_at=now, expires_at=now
                )
            )
            seen = await store.for_mentor(conn, request_id, mentor_id)
            assert not hasattr(seen, "priority")
            values = {"request": seen, "mine": True, "schools": [], "nudge": False, "tz": KST}
            texts.append([render("mentors/request", lang, **values) for lang in ("ko", "en")])
    assert texts[0] == texts[1]
    assert "민지, 2학년, 정발중학교" in texts[0][0] and "김민지" not in texts[0][0]


# ----- staff ----------------------------------------------------------------------------------


async def test_staff_see_the_figures_and_get_the_evaluation_file(tuesday_morning, bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8011, "윤서진")
    minji = await join_as_student(sandbox, 8107, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/mentors")
    text = staff.last_text
    assert "멘토링 현황" in text and "직업인 멘토" in text and "대학생 멘토" in text
    assert "수락, 시간 미정: 1건" in text and "방송영상" in text
    await staff.press("중간 평가")
    message = await staff.expect("중간 평가: 멘토")
    document = message["document"]
    assert document["file_name"].startswith("jinro-mentors-")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['file_id']}") as response:
            content = await response.read()
    rows = list(
        load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert tuple(rows[0]) == mentor_reports.HEADERS
    async with db.read() as conn:
        profiles = await conn.scalar(select(func.count()).select_from(Mentor))
    assert len(rows) - 1 == profiles
    [ours] = [r for r in rows if r[0] == "윤서진" and r[3] == "MBC"]
    assert ours[5:7] == (1, 1)  # one request received, one accepted
    assert all("김민지" not in str(cell) for row in rows for cell in row)


# ----- forged and old buttons -----------------------------------------------------------------


async def test_forged_buttons_get_the_same_answer_as_missing_ones(
    tuesday_morning, bot, sandbox, db
):
    pd = await add_mentor(db, sandbox, 8012, "윤서진")
    other = await add_mentor(db, sandbox, 8013, "임채원", "환경")
    minji = await join_as_student(sandbox, 8108, "김민지")
    seojun = await join_as_student(sandbox, 8109, "이서준")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    [request] = await requests(db)
    message = other.last_message["message_id"]
    for forged in (f"mr:v:{request.id}", f"mr:tm:{request.id}", f"mr:c:{request.id}", "mr:a:x"):
        await other.press_data(message, forged)
        assert STALE in other.callback_answers[-1]["text"], forged
    await other.press_data(message, f"mr:a:{request.id}")  # never offered to them
    assert "더 이상 진행 중이 아닙니다" in other.last_text
    message = seojun.last_message["message_id"]
    for forged in (
        f"rq:v:{request.id}",
        f"rq:xy:{request.id}",
        f"rq:r:{request.id}:5",
        f"mr:a:{request.id}",
    ):
        await seojun.press_data(message, forged)
        assert STALE in seojun.callback_answers[-1]["text"], forged
    [still] = await requests(db)
    assert (still.status, still.mentor_id) == ("offered", request.mentor_id)
    async with db.read() as conn:
        kinds = set((await conn.execute(select(Reminder.kind))).scalars())
    assert "mentor_offer" in kinds
