"""Broadcasts end to end through the sandbox: staff write, choose the audience (with the
count), preview, confirm; bad input and old buttons; a student may not broadcast."""

from __future__ import annotations

import html

from sqlalchemy import select

from handlers.broadcasts import buttons
from storage.models import Broadcast
from tests.broadcasts_helpers import (
    STALE,
    TEXT,
    broadcast_row,
    compose,
    deliveries,
    press_school,
    staff_composing,
    staff_member,
    students,
)

# ----- staff: compose, audience, count, preview, confirm -------------------------------------


async def test_staff_composes_chooses_previews_and_confirms(bot, sandbox, db):
    people, staff = await staff_composing(sandbox)
    preview, panel = staff.bot_messages[-2:]
    assert preview["text"] == TEXT and not preview.get("reply_markup")
    assert "공지 #1 (작성 중)" in panel["text"] and "받는 사람: 0명" in panel["text"]
    assert "아직 아무도 고르지 않았습니다" in panel["text"]

    await staff.press("📤 지금 보내기")  # nobody chosen: refused with an alert
    assert "아직 받는 사람이 없습니다" in staff.callback_answers[-1]["text"]
    await staff.press("🏫 학교")
    assert "어느 학교에 보내시겠습니까?" in staff.last_text
    await press_school(staff, "정발중학교")
    assert "받는 사람: 3명 (학생 3)" in staff.last_text
    await staff.press("받는 사람 선택으로")
    assert "학교: 정발중학교" in staff.last_text and "🏫 학교 · 1" in staff.buttons
    await staff.press("🎓 학년")
    await staff.press("2학년")
    assert "받는 사람: 2명" in staff.last_text
    await staff.press("받는 사람 선택으로")
    assert "학년: 2학년" in staff.last_text and "받는 사람: 2명 (학생 2)" in staff.last_text

    await staff.send("아무 말")  # the panel takes buttons only
    assert "버튼" in staff.last_text
    await staff.press("👁 미리보기")
    assert staff.bot_messages[-2]["text"] == TEXT and "받는 사람: 2명" in staff.last_text
    await staff.press("📤 지금 보내기")
    assert "공지 #1: 이대로 보내시겠습니까?" in staff.last_text
    assert "바로 보냅니다" in staff.last_text
    assert await deliveries(db) == []  # nothing in the outbox before the confirm
    confirm_message = staff.last_message["message_id"]
    await staff.press("✅ 지금 보내기")
    progress = await staff.expect("공지 #1")
    assert "전달: 2명 중" in progress["text"]
    assert progress["message_id"] == confirm_message  # the confirm became the progress
    written = await deliveries(db, 1)
    assert [r.user_id for r in written] == [8102, 8103]
    assert all(r.key == f"broadcast:1:{r.user_id}" for r in written)
    row = await broadcast_row(db, 1)
    assert (row.total, row.text) == (2, html.escape(TEXT))  # Telegram's entities as HTML
    assert row.audience["grades"] == [2] and len(row.audience["schools"]) == 1
    # The confirm pressed again, or an old panel button: nothing more is written.
    await staff.press_data(confirm_message, buttons.CONFIRM.pack(1))
    assert STALE in staff.callback_answers[-1]["text"]
    await staff.press_data(panel["message_id"], buttons.EVERYONE.pack(1))
    assert STALE in staff.callback_answers[-1]["text"]
    assert len(await deliveries(db, 1)) == 2
    assert 8101 in people  # (the grade 1 student and the other school got nothing written)


# ----- bad input and other people -------------------------------------------------------------


async def test_students_may_not_broadcast_and_old_buttons_do_nothing(bot, sandbox, db):
    people = await students(sandbox)
    minji = people[8101]
    await minji.send("/broadcast")
    assert "이 기능은 쓸 수 없어요" in minji.last_text
    await minji.send("/broadcasts")
    assert "이 기능은 쓸 수 없어요" in minji.last_text
    staff = await staff_member(sandbox)
    await compose(staff)
    panel = staff.last_message["message_id"]
    for data in (buttons.PANEL.pack(1), buttons.PAUSE.pack(1), buttons.CSV.pack(1)):
        await minji.press_data(minji.last_message["message_id"], data)
        assert STALE in minji.callback_answers[-1]["text"]
    another_draft, no_such_school = buttons.PANEL.pack(2), buttons.SCHOOL.pack(1, 999999, 0)
    forged = ("bc:rt:1:99", "bc:zz:1", "bc:gt:1:7", "bc:p")  # no such role, action, grade; no id
    for data in (*forged, another_draft, no_such_school):
        await staff.press_data(panel, data)
        assert STALE in staff.callback_answers[-1]["text"], data
    await staff.press("🗑 버리기")
    assert "아무것도 보내지 않았습니다" in staff.last_text
    await staff.press_data(panel, buttons.ROLES.pack(1))
    assert STALE in staff.callback_answers[-1]["text"]
    async with db.read() as conn:
        assert await conn.scalar(select(Broadcast.id)) is None
    # /cancel while writing leaves nothing to send.
    await staff.send("/broadcast")
    await staff.send("/cancel")
    await staff.send("그냥 검색어")
    assert "새 공지" not in staff.last_text
    assert await deliveries(db) == []
