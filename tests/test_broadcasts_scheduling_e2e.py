"""Broadcasts end to end through the sandbox: scheduling, pausing, resuming and cancelling;
students' quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from handlers.broadcasts import broadcast_tick, buttons
from handlers.outbox import dispatch_tick
from storage.models import utcnow
from tests.broadcasts_helpers import (
    KST,
    broadcast_row,
    choose,
    deliveries,
    staff_composing,
    student_due,
)

# ----- scheduling, pausing, cancelling ---------------------------------------------------------


async def test_schedule_then_pause_resume_and_cancel(bot, sandbox, db):
    _, staff = await staff_composing(sandbox)
    await choose(staff, "👥 역할", "학생")
    await staff.press("🕘 예약")
    when_asked = staff.last_message["message_id"]  # the panel, now asking when
    await staff.send("내일 오후")
    assert "시각도 적어 주십시오" in staff.last_text
    await staff.send("아무 때나")
    assert "날짜와 시각으로 읽을 수 없습니다" in staff.last_text
    await staff.send("13/45 10:00")
    assert "없는 날짜나 시각" in staff.last_text
    yesterday = (utcnow().astimezone(KST) - timedelta(days=1)).date()
    await staff.send(f"{yesterday.year}-{yesterday.month}-{yesterday.day} 10:00")
    assert "이미 지난 시각" in staff.last_text
    day = (utcnow().astimezone(KST) + timedelta(days=3)).date()
    await staff.send(f"{day.month}/{day.day} 10:00")
    assert "에 보냅니다" in staff.last_text and "받는 사람: 4명" in staff.last_text
    # The moment came typed: the question of it keeps no "◀" above the confirmation.
    asked = next(m for m in staff.bot_messages if m["message_id"] == when_asked)
    assert "언제" in asked["text"] and not asked.get("reply_markup")
    await staff.press("✅ 예약하기")
    assert "예약됨" in staff.last_text
    moment = datetime.combine(day, time(10), tzinfo=KST)
    assert {r.due_at for r in await deliveries(db, 1)} == {moment}
    assert (await broadcast_row(db, 1)).status == "scheduled"
    await dispatch_tick(bot)  # not due: nobody gets it yet
    assert {r.status for r in await deliveries(db, 1)} == {"pending"}

    await staff.press("⏸ 일시 정지")
    assert staff.callback_answers[-1]["text"] == "일시 정지했습니다."
    assert "일시 정지" in staff.last_text and "▶ 다시 보내기" in staff.buttons
    assert {r.status for r in await deliveries(db, 1)} == {"held"}
    await staff.press("▶ 다시 보내기")
    assert "예약됨" in staff.last_text
    assert {r.status for r in await deliveries(db, 1)} == {"pending"}

    await staff.send("/broadcasts")
    assert "#1 · 예약됨" in staff.last_text
    await staff.press("#1")
    assert "예약:" in staff.last_text and "받는 사람" in staff.last_text
    await staff.press("⏸ 일시 정지")  # from the detail this time: the detail is shown again
    assert "#1</b> · 일시 정지" in staff.last_message["html"] and "◀ 목록으로" in staff.buttons
    await staff.press("▶ 다시 보내기")
    assert "▶ 다시 보내기" not in staff.buttons and "⏸ 일시 정지" in staff.buttons
    await staff.press("✖ 취소")
    assert "취소하시겠습니까?" in staff.last_text and "4명에게는" in staff.last_text
    await staff.press("아니요, 계속 보냅니다")
    assert (await broadcast_row(db, 1)).status == "scheduled"
    await staff.press_data(staff.last_message["message_id"], buttons.CANCEL.pack(1))
    await staff.press("✖ 네, 취소합니다")
    assert "4명에게는 보내지 않습니다" in staff.last_text
    assert {(r.status, r.last_error) for r in await deliveries(db, 1)} == {("skipped", "cancelled")}
    await broadcast_tick(bot)
    report = await staff.expect("취소: 결과 보고")
    assert "취소되어 보내지 않음: 4명" in report["text"]
    await staff.press_data(staff.last_message["message_id"], buttons.RESUME.pack(1))
    assert "바뀌었습니다" in staff.callback_answers[-1]["text"]


async def test_a_non_urgent_broadcast_respects_students_quiet_hours(bot, sandbox, db):
    _, staff = await staff_composing(sandbox)
    await choose(staff, "👥 역할", "학생", "선생님")
    assert "긴급 아님: 학생은 08:00–21:00에만" in staff.last_text
    before = utcnow()
    await staff.press("📤 지금 보내기")
    await staff.press("✅ 지금 보내기")
    due = {r.due_at for r in await deliveries(db, 1)}
    expected = student_due(before)
    if expected == {"now"}:
        assert all(before <= d <= utcnow() for d in due)
    else:
        assert due == expected
