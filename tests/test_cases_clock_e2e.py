"""The cases' service levels end to end, after time travel: no mediator, a reminder, then
staff; no answer for 48 hours, a reminder, then staff.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so nothing a
student is told waits for the morning, and travels on from there when it needs to.
"""

from __future__ import annotations

from datetime import timedelta

from tests.cases_e2e_helpers import cases, open_as, relayed, travel_tick, world_with_minji

# ----- service levels ---------------------------------------------------------------------------


async def test_no_mediator_a_reminder_then_staff(tuesday_morning, bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox, monitors_free=False)
    await open_as(minji, "일정 변경", "시간을 바꿀 수 있을까요?")
    assert "시청 담당자가 찾아 줄 거예요" in minji.last_text
    staff, monitor = w["staff"], w["monitor"]
    await staff.expect("중재자가 없습니다", timeout=10)
    (found,) = await cases(db)
    assert found.monitor_id is None
    # A monitor comes back from a pause; four hours on, they are asked to take it.
    await monitor.send("/cases")
    await monitor.press("다시 맡기")
    assert "차례대로 배정받습니다" in monitor.last_text
    await travel_tick(bot, tuesday_morning + timedelta(hours=3, minutes=59))
    await monitor.refresh()
    assert not relayed(monitor, "중재자가 없습니다")
    await travel_tick(bot, tuesday_morning + timedelta(hours=4, minutes=1))
    reminder = await monitor.expect("4시간째 중재자가 없습니다", timeout=10)
    labels = [b["text"] for row in reminder["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["🙋 이 사례 맡기"]
    # Nobody takes it: four hours later it goes to staff.
    await travel_tick(bot, tuesday_morning + timedelta(hours=8, minutes=2))
    news = await staff.expect("제때 중재자가 없음", timeout=10)
    assert "사례 #1" in news["text"]
    (found,) = await cases(db)
    assert (found.status, found.escalation) == ("escalated", "no_mediator")
    # The monitor's old button still takes it (staff may assign someone else instead).
    await monitor.press("이 사례 맡기")
    assert "사례 #1" in monitor.last_text and "민지 학생" in monitor.last_text
    await minji.expect("학부모 지원단 한수진 님이 이 사례를 도와줄 거예요", timeout=10)


async def test_no_answer_for_48_hours_a_reminder_then_staff(tuesday_morning, bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox)
    await open_as(minji, "기타", "체험 장소가 바뀌었나요?")
    monitor, staff = w["monitor"], w["staff"]
    await monitor.expect("사례 #1", timeout=10)
    await monitor.press("사례 보기")
    await monitor.press("모두에게")
    await monitor.send("어느 장소 안내를 받으셨는지 알려 주세요.")
    start = tuesday_morning
    await travel_tick(bot, start + timedelta(hours=47))
    await minji.refresh()
    assert not relayed(minji, "답을 기다리고")
    await travel_tick(bot, start + timedelta(hours=48, minutes=5))
    await minji.expect("학부모 지원단이 답을 기다리고 있어요", timeout=10)
    await w["teacher"].expect("중재자가 이 사례에서 답을 기다리고", timeout=10)
    await monitor.expect("48시간째 당사자의 답이 없습니다", timeout=10)
    await travel_tick(bot, start + timedelta(hours=72, minutes=10))
    await staff.expect("제때 답이 없음", timeout=10)
    (found,) = await cases(db)
    assert (found.status, found.escalation) == ("escalated", "no_answer")
