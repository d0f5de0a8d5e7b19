"""A monitor's photos land on the item they were sent for, and nothing typed is lost.

Choosing a result shows the next item at once: a photo sent right after is asked about
(the item just answered, or the one shown); after 📎, or after going back with ◀, it is
attached where the monitor is. A note or a caption too long comes back to be shortened.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.models import InspectionItem
from tests.test_inspections_e2e import inspections_of, join_monitor, staff


async def items_of(db, inspection_id: int) -> list:
    async with db.read() as conn:
        found = await conn.execute(
            select(InspectionItem.__table__)
            .where(InspectionItem.inspection_id == inspection_id)
            .order_by(InspectionItem.position)
        )
        return list(found.all())


async def an_inspection_started(sandbox, db, monitor_id: int):
    admin = await staff(sandbox)
    monitor = await join_monitor(sandbox, db, monitor_id, "은정", "일산서구")
    await admin.send("/inspections")
    await admin.press("점검 기록 없음")
    await admin.press("그린셀바이오")
    await admin.press("은정 (일산서구)")
    await monitor.expect("안전 점검을 부탁드립니다")
    await monitor.press("▶ 점검 시작")
    [inspection] = await inspections_of(db)
    return monitor, inspection


async def test_a_photo_sent_after_a_result_goes_where_the_monitor_says(
    tuesday_morning, bot, sandbox, db
):
    monitor, inspection = await an_inspection_started(sandbox, db, 1451)
    assert "항목 1/8" in monitor.last_text
    await monitor.press("🔧 보완 필요")
    assert "항목 2/8" in monitor.last_text  # the next item comes at once
    # The photo of item 1's problem, sent a moment too late: which item is it for?
    await monitor.send_photo(caption="비상구 앞에 상자가 쌓여 있음")
    assert "어느 항목의 사진입니까" in monitor.last_text
    question = monitor.last_message["message_id"]
    assert monitor.buttons[0].startswith("◀ 1. ") and monitor.buttons[1].startswith("2. ")
    await monitor.send("1번이요")  # words where a button is expected: the photo still waits
    await monitor.send_photo()  # another photo too: first the one before
    assert "아래 버튼 중에서 골라 주십시오" in monitor.last_text
    await monitor.press("◀ 1. ")
    # The question became item 1, with the photo and its caption as the note.
    shown = next(m for m in monitor.bot_messages if m["message_id"] == question)["text"]
    assert "항목 1/8" in shown and "사진을 저장했습니다" in shown
    assert "비상구 앞에 상자가 쌓여 있음" in shown
    first, second = (await items_of(db, inspection.id))[:2]
    assert first.photo and first.note == "비상구 앞에 상자가 쌓여 있음" and second.photo is None

    # Choosing the result again goes on to the first item without one.
    await monitor.press("🔧 보완 필요")
    assert "항목 2/8" in monitor.last_text
    await monitor.press("✅ 적합")
    assert "항목 3/8" in monitor.last_text
    # ◀ back to item 2: a photo now is plainly for it, no question.
    await monitor.press("◀ 이전 항목")
    assert "항목 2/8" in monitor.last_text
    await monitor.send_photo()
    assert "항목 2/8" in monitor.last_text and "사진을 저장했습니다" in monitor.last_text
    assert (await items_of(db, inspection.id))[1].photo


async def test_the_first_item_s_photo_needs_no_question(tuesday_morning, bot, sandbox, db):
    monitor, inspection = await an_inspection_started(sandbox, db, 1452)
    await monitor.send_photo()
    assert "항목 1/8" in monitor.last_text and "사진을 저장했습니다" in monitor.last_text
    assert (await items_of(db, inspection.id))[0].photo


async def test_a_note_too_long_comes_back_whole_and_the_step_stays(
    tuesday_morning, bot, sandbox, db
):
    monitor, inspection = await an_inspection_started(sandbox, db, 1453)
    await monitor.press("📎 사진·메모")
    long_note = "소화기 점검표가 " + "오래되어 " * 100 + "교체가 필요함"
    await monitor.send(long_note)
    assert f"{len(long_note)}자입니다" in monitor.last_text and "500자까지" in monitor.last_text
    assert long_note in monitor.last_text  # given back as sent, to copy and shorten
    await monitor.send("소화기 점검표가 오래되어 교체가 필요함")
    assert "메모를 저장했습니다" in monitor.last_text
    assert (await items_of(db, inspection.id))[0].note == "소화기 점검표가 오래되어 교체가 필요함"

    # A caption too long: the photo is kept, the caption given back for a shorter note.
    await monitor.press("📎 사진·메모")
    await monitor.send_photo(caption=long_note)
    assert long_note in monitor.last_text and "저장하지 않았습니다" in monitor.last_text
    assert (await items_of(db, inspection.id))[0].photo
    await monitor.send("점검표 교체 필요")
    assert (await items_of(db, inspection.id))[0].note == "점검표 교체 필요"
