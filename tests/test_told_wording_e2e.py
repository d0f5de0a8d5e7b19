"""An adult's confirmation says the student was told only when the student's notice reaches
them at once: in quiet hours (21:00-08:00) a student's news waits for the morning, and the
adult reads when ("학생에게는 …에 알립니다"). Each story runs on a Tuesday at 22:30 and at
10:00 in Seoul (time-machine, ticking): a teacher naming a class seat and cancelling the
class booking, a case's mediator writing to everyone, privately to the student and closing
the case, a mentor setting and cancelling a meeting a student asked for, a guardian
consenting and withdrawing. A safety case reaches the student at once, night or day."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine

from handlers.classbook.buttons import NEW
from handlers.outbox import dispatch_tick
from tests.cases_e2e_helpers import open_as, world_with_minji
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import a_request_for_two_mentors, accept
from tests.test_consent_e2e import E164, consent_link
from tests.test_deadlines_e2e import KST, moment, next_tuesday
from tests.test_pending_e2e import world
from tests.world_helpers import add_teacher


@pytest.fixture(params=[(22, 30), (10, 0)], ids=["night", "day"])
def hour(request):
    """(now, the morning a student's news waits for, or None by day), the clock ticking."""
    start = datetime.combine(next_tuesday(), time(*request.param), tzinfo=KST)
    with time_machine.travel(start, tick=True):
        night = start.hour >= 21
        morning = datetime.combine(start.date() + timedelta(days=1), time(8), tzinfo=KST)
        yield start, morning if night else None


def waits_until(morning: datetime) -> str:
    return f"학생에게는 {moment(morning)}에 알립니다. 밤 9시부터 아침 8시까지는"


async def test_a_teacher_naming_a_seat_and_cancelling_the_class(hour, bot, sandbox, db):
    _, morning = hour
    session_id = await world(db, capacity=10)
    minji = await join_as_student(sandbox, 7501, "김민지", grade=2)
    teacher = await add_teacher(db, sandbox, 7511, "박선영", grades="2")
    await teacher.send("/classbook")
    await teacher.press_data(teacher.last_message["message_id"], NEW.pack(session_id))
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")
    await teacher.press("김민지 (2)")
    if morning:
        assert "김민지 학생을 명단에 넣었습니다." in teacher.last_text
        assert waits_until(morning) in teacher.last_text
        assert "알렸습니다" not in teacher.last_text
        await dispatch_tick(bot)
        await minji.refresh()
        assert not any("학급 단체 예약" in m.get("text", "") for m in minji.bot_messages)
    else:
        assert "김민지 학생을 명단에 넣고 알렸습니다" in teacher.last_text
        await minji.expect("학급 단체 예약으로 자리를 잡아 주셨어요")

    await teacher.press("⚙️")
    await teacher.press("단체 예약 전체 취소")
    await teacher.press("네, 단체 예약을 취소합니다")
    # Nobody of the site is on Jinro here: the teacher reads so, never "the site was told".
    assert "5석을 회차에 돌려주었습니다." in teacher.last_text
    assert "담당자가 없어 체험처에 알리지 못했습니다" in teacher.last_text
    if morning:
        assert f"학생들에게는 {moment(morning)}에 알립니다" in teacher.last_text
        with time_machine.travel(morning + timedelta(minutes=1), tick=True):
            await dispatch_tick(bot)
            await minji.expect("학급 단체 예약에서 빼서, 이제 자리가 없어요")
    else:
        assert "학생들에게 알렸습니다." in teacher.last_text


async def test_a_mediator_writing_to_a_student_and_closing_the_case(hour, bot, sandbox, db):
    _, morning = hour
    w, minji = await world_with_minji(db, sandbox)
    monitor = w["monitor"]
    await open_as(minji, "일정 변경", "그날 시험이 있어서 바꾸고 싶어요")
    await monitor.expect("사례 #1", timeout=10)

    await monitor.press("사례 보기")
    await monitor.press("모두에게")
    await monitor.send("다른 날이 있는지 체험처에 여쭤볼게요.")
    if morning:
        assert "1번 사례에 남겼고, 사례의 다른 분들께는 보냈습니다." in monitor.last_text
        assert waits_until(morning) in monitor.last_text
        await w["site"].expect("다른 날이 있는지", timeout=10)  # adults at once
    else:
        assert "1번 사례에 참여한 모두에게 보냈습니다" in monitor.last_text
        await minji.expect("다른 날이 있는지", timeout=10)

    await monitor.press("사례 보기")
    await monitor.press("한 사람에게")
    await monitor.press("민지 학생")
    await monitor.send("민지 학생, 시험 날짜를 알려 줄래요?")
    if morning:
        assert "한 사람에게만 보이도록 남겼습니다" in monitor.last_text
        assert waits_until(morning) in monitor.last_text
    else:
        assert "1번 사례에서 한 사람에게만 보냈습니다" in monitor.last_text

    await monitor.press("사례 보기")
    await monitor.press("종결")
    await monitor.press("해결됨")
    await monitor.press("메모 없이 종결")
    if morning:
        assert "사례의 다른 분들께 알렸습니다." in monitor.last_text
        assert waits_until(morning) in monitor.last_text
        await dispatch_tick(bot)
        await minji.refresh()
        assert not any("다른 날이 있는지" in m.get("text", "") for m in minji.bot_messages)
        with time_machine.travel(morning + timedelta(minutes=1), tick=True):
            await dispatch_tick(bot)
            await minji.expect("다른 날이 있는지", timeout=10)
    else:
        assert "사례에 참여한 모두에게 알렸습니다" in monitor.last_text


async def test_a_safety_case_reaches_the_student_at_once(hour, bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox)
    staff = w["staff"]
    await open_as(minji, "안전", "체험장 계단 난간이 흔들려요")
    await staff.expect("사례 #1", timeout=10)
    await staff.send("/cases")
    await staff.press("#1")
    await staff.press("모두에게")
    await staff.send("확인했습니다. 오늘 바로 점검하겠습니다.")
    assert "1번 사례에 참여한 모두에게 보냈습니다" in staff.last_text
    assert "학생에게는" not in staff.last_text
    await minji.expect("바로 점검하겠습니다", timeout=10)


async def test_a_mentor_setting_and_cancelling_a_meeting_with_a_student(hour, bot, sandbox, db):
    _, morning = hour
    mentor, _, minji = await a_request_for_two_mentors(db, sandbox, 7601, 7602, 7611)
    await accept(mentor, "https://meet.example/a", slot="16:00")
    assert "만남이 정해졌습니다" in mentor.last_text
    if morning:
        assert waits_until(morning) in mentor.last_text
        assert "요청한 분께 알렸습니다" not in mentor.last_text
    else:
        assert "요청한 분께 알렸습니다" in mentor.last_text
        await minji.expect("멘토링 만남이 정해졌어요")

    await mentor.send("/mentor")
    await mentor.press("📅")
    await mentor.press("만남 취소")
    await mentor.send("갑자기 출장이 잡혔어요")
    if morning:
        assert "만남을 취소했습니다." in mentor.last_text
        assert waits_until(morning) in mentor.last_text
    else:
        assert "만남을 취소하고 요청한 분들께 알렸습니다" in mentor.last_text
        await minji.expect("멘토가 만남을 취소해야 했어요")


async def test_a_guardian_answering_and_withdrawing_consent(hour, bot, sandbox, db):
    _, morning = hour
    # Seojun's teacher is on Jinro: the guardian reads the teacher was told of the withdrawal
    # (with none, that none was: tests/test_told_lines_e2e.py).
    await add_teacher(db, sandbox, 7711, "박선영", grades="1")
    seojun = await join_as_student(sandbox, 7701, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(7702, "서준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.press("부모이며, 동의합니다")
    await mother.share_contact()
    if morning:
        assert "감사합니다. 동의가 기록되었습니다." in mother.last_text
        assert waits_until(morning) in mother.last_text
        await dispatch_tick(bot)
        await seojun.refresh()
        assert not any("보호자가 동의해" in m.get("text", "") for m in seojun.bot_messages)
    else:
        assert "동의가 기록되었고 학생에게도 알렸습니다" in mother.last_text
        await seojun.expect("보호자가 동의해 주셨어요")

    await mother.send("/consent")
    await mother.press("이서준 학생 동의 철회")
    await mother.press("네, 동의를 철회합니다")
    if morning:
        assert "동의를 철회했습니다. 선생님께 알렸습니다." in mother.last_text
        assert waits_until(morning) in mother.last_text
        with time_machine.travel(morning + timedelta(minutes=1), tick=True):
            await dispatch_tick(bot)
            await seojun.expect("보호자가 동의해 주셨어요")
            await seojun.expect("보호자가 동의를 철회했어요")
    else:
        assert "학생과 선생님께 알렸습니다" in mother.last_text
        await seojun.expect("보호자가 동의를 철회했어요")
