"""Buttons left on older messages of a multi-step flow change nothing a later step settled.

An inspection's item answered and left behind is changed only from its own screen (◀ back
to it), not by the buttons of an older message of the same item; once the result is
confirmed, no press changes anything. A class booking's seats, once ✔️ Finish was pressed,
take no student from an older seats screen: the "finished" message keeps telling the truth.
Every old press gets the stale answer and the chat gets no new message.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.classbook.buttons import FINISH, NEW, PICK
from handlers.inspections import buttons as inspection_buttons
from storage.models import Inspection, InspectionItem
from tests.conftest import join_as_student
from tests.test_inspection_photos_e2e import an_inspection_started
from tests.test_pending_e2e import world
from tests.world_helpers import add_teacher, session_bookings

STALE_ADULT = "이 버튼은 이제 쓸 수 없습니다."


def message(user, message_id: int) -> dict:
    return next(m for m in user.bot_messages if m["message_id"] == message_id)


def data_of(msg: dict, fragment: str) -> str:
    """The callback data of the message's first button whose label holds `fragment`."""
    rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
    return next(b["callback_data"] for row in rows for b in row if fragment in b["text"])


async def results(db, inspection_id: int) -> list:
    async with db.read() as conn:
        found = await conn.execute(
            select(InspectionItem.result)
            .where(InspectionItem.inspection_id == inspection_id)
            .order_by(InspectionItem.position)
        )
        return list(found.scalars().all())


# ----- an inspection ----------------------------------------------------------------------------


async def test_an_old_item_message_does_not_change_a_saved_answer(
    tuesday_morning, bot, sandbox, db
):
    monitor, inspection = await an_inspection_started(sandbox, db, 1461)
    first = monitor.last_message["message_id"]  # item 1, its buttons stay after 📎
    await monitor.press("📎 사진·메모")
    await monitor.send_photo(caption="비상구 앞에 상자가 쌓여 있음")
    assert "항목 1/8" in monitor.last_text and first != monitor.last_message["message_id"]
    await monitor.press("🔧 보완 필요")
    assert "항목 2/8" in monitor.last_text
    shown = len(monitor.bot_messages)

    # The first item-1 message's ❌ (and 📎): stale, item 1 stays 🔧, no item 2 again.
    for data in (
        inspection_buttons.ANSWER.pack(inspection.id, 1, "fail"),
        inspection_buttons.ATTACH.pack(inspection.id, 1),
    ):
        await monitor.press_data(first, data)
        assert monitor.callback_answers[-1]["text"] == STALE_ADULT, data
    assert (await results(db, inspection.id))[:2] == ["fix", None]
    assert len(monitor.bot_messages) == shown and "항목 2/8" in monitor.last_text

    # An item not answered yet may be answered from where it is shown.
    await monitor.press("✅ 적합")
    assert "항목 3/8" in monitor.last_text
    # Back to item 1 from the current screen: there it may be changed.
    await monitor.press("◀ 이전 항목")
    await monitor.press("◀ 이전 항목")
    assert "항목 1/8" in monitor.last_text and "지금 답: 🔧 보완 필요" in monitor.last_text
    await monitor.press("❌ 부적합")
    assert "항목 3/8" in monitor.last_text
    assert (await results(db, inspection.id))[:3] == ["fail", "pass", None]

    labels = {"pass": "✅ 적합", "fix": "🔧 보완 필요"}
    for number, answer in enumerate(["pass", "fix", "pass", "pass", "pass", "pass"], start=3):
        assert f"항목 {number}/8" in monitor.last_text
        await monitor.press(labels[answer])
    assert "모든 항목에 답했습니다" in monitor.last_text
    # On the summary, item 1's older message still may not change it.
    await monitor.press_data(first, inspection_buttons.ANSWER.pack(inspection.id, 1, "pass"))
    assert monitor.callback_answers[-1]["text"] == STALE_ADULT
    await monitor.press("🔧 보완 필요")  # the overall result
    await monitor.press("의견 없이 진행")
    await monitor.press("✅ 결과 확정")
    assert "기록했습니다: 보완 필요" in monitor.last_text
    answers = await results(db, inspection.id)
    assert answers == ["fail", "pass", "pass", "fix", "pass", "pass", "pass", "pass"]

    # Confirmed: no press on any of its messages changes it.
    shown = len(monitor.bot_messages)
    for data in (
        inspection_buttons.ANSWER.pack(inspection.id, 1, "pass"),
        inspection_buttons.ANSWER.pack(inspection.id, 8, "fail"),
        inspection_buttons.ATTACH.pack(inspection.id, 2),
        inspection_buttons.RESULT_CHOSEN.pack(inspection.id, "failed"),
        inspection_buttons.CONFIRM.pack(inspection.id),
    ):
        await monitor.press_data(first, data)
        assert monitor.callback_answers[-1]["text"] == STALE_ADULT, data
    assert await results(db, inspection.id) == answers
    async with db.read() as conn:
        done = (await conn.execute(select(Inspection.__table__))).one()
    assert done.status == "done" and done.result == "needs_fix"
    assert len(monitor.bot_messages) == shown


# ----- a class booking --------------------------------------------------------------------------


@pytest.mark.usefixtures("tuesday_morning")
async def test_after_finish_an_older_seats_screen_names_nobody(bot, sandbox, db):
    session_id = await world(db, capacity=20)
    await join_as_student(sandbox, 7401, "김민지", grade=2)
    seojun = await join_as_student(sandbox, 7402, "이서준", grade=2)
    teacher = await add_teacher(db, sandbox, 7411, "박선영", grades="2")
    await teacher.press_data(teacher.last_message["message_id"], NEW.pack(session_id))
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")
    older = teacher.last_message  # the seats with the students to pick
    pick_seojun = data_of(older, "이서준")
    await teacher.send("홍길동")  # the seats again, below
    assert "이름을 1개 넣었습니다" in teacher.last_text
    await teacher.press("마치기")
    finished = teacher.last_message
    assert "이름이 없는 자리가 4석" in finished["text"]

    # The older screen's student and ✔️ Finish: stale, nobody put on a seat.
    for data in (pick_seojun, FINISH.pack(session_id)):
        await teacher.press_data(older["message_id"], data)
        assert teacher.callback_answers[-1]["text"] == STALE_ADULT, data
    seats = await session_bookings(db, session_id)
    assert sorted(s.student_name or "" for s in seats) == ["", "", "", "", "홍길동"]
    assert not [s for s in seats if s.student_id is not None]
    assert "이름이 없는 자리가 4석" in message(teacher, finished["message_id"])["text"]
    await seojun.send("/my")
    assert "라디오 PD 체험" not in seojun.last_text

    # Back from /classbook, the screen shown names students again.
    await teacher.send("/classbook")
    await teacher.press("(1/5)")
    await teacher.press("이서준")
    assert "이서준 학생을 명단에 넣고 알렸습니다" in teacher.last_text
    assert PICK.match(pick_seojun) is not None
