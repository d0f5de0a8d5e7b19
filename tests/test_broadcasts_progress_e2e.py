"""Broadcasts end to end through the sandbox: delivery with the progress message, the report
and the CSV of the undelivered; the author's formatting, a photo by its file_id, a file
while writing; a programme found by typing."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import timedelta

import aiohttp
from sqlalchemy import select

from handlers.broadcasts import broadcast_tick, buttons
from storage.models import Program, User, utcnow
from tests.broadcasts_helpers import (
    STALE,
    TEXT,
    broadcast_row,
    compose,
    deliveries,
    panel_shown,
    press_school,
    staff_composing,
    staff_member,
    students,
)
from tests.conftest import wait_until
from tests.world_helpers import add_booking, add_session

# ----- delivery, progress, the report and the CSV --------------------------------------------


async def test_delivery_progress_report_and_csv(bot, sandbox, db):
    people, staff = await staff_composing(sandbox)
    await staff.press("🏫 학교")
    await press_school(staff, "정발중학교")
    await staff.press("받는 사람 선택으로")
    await staff.press("🚨 긴급")  # students get it at any hour: the test may run at night
    assert "긴급: 학생도 밤 시간" in staff.last_text
    await sandbox.block(8101)  # 김민지 blocked the bot
    await staff.press("📤 지금 보내기")
    await staff.press("✅ 지금 보내기")
    for user_id in (8102, 8103):
        got = await people[user_id].expect("진로 박람회 안내", timeout=15)
        assert got["text"] == TEXT
    await wait_until(lambda: _settled(db), timeout=15)
    await broadcast_tick(bot)
    report = await staff.expect("결과 보고", timeout=10)
    assert "전달: 3명 중 2명" in report["text"] and "봇 차단: 1명" in report["text"]
    progress = await staff.expect("모두 마쳤습니다")
    assert "reply_markup" not in progress or not progress["reply_markup"]
    assert (await broadcast_row(db, 1)).status == "done"
    async with db.read() as conn:
        assert await conn.scalar(select(User.active).where(User.id == 8101)) is False
    # The report once, even when the clock ticks again.
    await broadcast_tick(bot)
    await staff.refresh()
    assert sum("결과 보고" in (m.get("text") or "") for m in staff.bot_messages) == 1

    await staff.press("📄 못 받은 사람 CSV")
    document = staff.last_message["document"]
    assert document["file_name"].endswith(" 공지 미전달.csv")  # what it is, in Korean
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['file_id']}") as response:
            content = await response.read()
    assert content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        ["사용자 ID", "역할", "학교", "사유"],
        ["8101", "학생", "정발중학교", "봇 차단"],
    ]
    assert "김민지" not in content.decode("utf-8-sig")

    # /broadcasts lists it with its figures.
    await staff.send("/broadcasts")
    assert "공지: 1건" in staff.last_text and "#1" in staff.last_text
    assert "📨 2/3 · 🚫 1" in staff.last_text


async def _settled(db) -> bool:
    rows = await deliveries(db, 1)
    return bool(rows) and all(r.status in ("sent", "dead") for r in rows)


async def test_the_authors_formatting_reaches_the_students(bot, sandbox, db):
    people = await students(sandbox)
    staff = await staff_member(sandbox)
    await staff.send("/broadcast")
    formatted = '<b>박람회</b> <i>안내</i>: <a href="https://example.org/f?a=1&amp;b=2">신청</a>'
    await staff.send(formatted, formatted=True)
    await panel_shown(staff)
    preview = staff.bot_messages[-2]
    assert preview["text"] == "박람회 안내: 신청"
    assert "<b>박람회</b>" in preview["html"] and "<i>안내</i>" in preview["html"]
    assert 'href="https://example.org/f?a=1&amp;b=2"' in preview["html"]
    await staff.press("🏫 학교")
    await press_school(staff, "백석중학교")
    await staff.press("받는 사람 선택으로")
    await staff.press("🚨 긴급")
    await staff.press("📤 지금 보내기")
    await staff.press("✅ 지금 보내기")
    got = await people[8111].expect("박람회 안내", timeout=15)
    assert got["html"] == preview["html"]


async def test_a_photo_goes_by_its_file_id_with_the_caption(bot, sandbox, db):
    people = await students(sandbox)
    staff = await staff_member(sandbox)
    await staff.send("/broadcast")
    await staff.send_sticker()
    assert "글, 사진, 파일만" in staff.last_text
    await staff.send_photo(caption="가" * 1100)
    assert "1100자입니다" in staff.last_text and "1024자" in staff.last_text
    await staff.send_photo(caption="박람회 포스터")
    await panel_shown(staff, "사진과 함께 보냅니다")
    preview, panel = staff.bot_messages[-2:]
    sent = [m for m in staff.messages if not m["from_bot"] and m["photo"]]
    uploaded = sent[-1]["photo"]["file_id"]  # the photo staff sent
    assert preview["caption"] == "박람회 포스터" and preview["photo"]["file_id"] == uploaded
    assert "사진과 함께 보냅니다" in panel["text"]
    await staff.press("🌐 모두")
    assert "진로 봇의 모든 사용자" in staff.last_text and "받는 사람: 5명" in staff.last_text
    await staff.press("🚨 긴급")
    await staff.press("📤 지금 보내기")
    await staff.press("✅ 지금 보내기")
    got = await people[8111].expect("박람회 포스터", timeout=15)
    assert got["photo"]["file_id"] == uploaded
    await wait_until(lambda: _settled(db), timeout=15)
    sends = [c for c in await sandbox.calls("sendPhoto") if c["ok"]]
    assert len(sends) == 6  # the preview and five copies, all by the one file_id
    assert {c["params"]["photo"] for c in sends} == {uploaded}


async def test_a_file_sent_while_writing_is_the_broadcast_not_an_import(bot, sandbox, db):
    await students(sandbox)
    staff = await staff_member(sandbox)
    await staff.send("/broadcast")
    await staff.send_document("안내문.pdf", b"%PDF-1.4 demo", "application/pdf", caption="안내문")
    await panel_shown(staff, "파일과 함께 보냅니다")
    preview, panel = staff.bot_messages[-2:]
    assert preview["document"]["file_name"] == "안내문.pdf" and preview["caption"] == "안내문"
    assert "파일과 함께 보냅니다" in panel["text"]
    # Changing the message keeps the audience.
    await staff.press("🌐 모두")
    await staff.press("✏️ 메시지 바꾸기")
    assert "고른 받는 사람은 그대로" in staff.last_text
    await staff.send("바뀐 안내")
    await panel_shown(staff)
    assert staff.bot_messages[-2]["text"] == "바뀐 안내"
    assert "진로 봇의 모든 사용자" in staff.last_text


async def test_staff_find_a_programme_by_typing_and_reach_its_students(bot, sandbox, db):
    await students(sandbox)
    async with db.write() as conn:
        program_id, title = (
            await conn.execute(select(Program.id, Program.title).order_by(Program.id))
        ).first()
        session_id = await add_session(conn, program_id, utcnow() + timedelta(days=4), capacity=10)
        for student, status in ((8101, "confirmed"), (8111, "requested"), (8102, "waitlisted")):
            await add_booking(conn, session_id, student, status)
    staff = await staff_member(sandbox)
    await compose(staff)
    await staff.press("📚 프로그램 / 회차")
    assert "프로그램 이름의 일부를 입력하십시오" in staff.last_text
    await staff.send("없는프로그램이름")
    assert "들어간 프로그램이 없습니다" in staff.last_text
    await staff.send(title[:4])
    await staff.press(title[:20])
    assert title in staff.last_text and "학생 2명" in " ".join(staff.buttons)
    await staff.press("이 프로그램 예약 학생 모두")
    assert f"“{title}”에 예약한 학생(모든 회차)" in staff.last_text
    assert "받는 사람: 2명 (학생 2)" in staff.last_text  # requested or confirmed, not waiting
    panel = staff.last_message["message_id"]
    await staff.press_data(panel, buttons.WHOLE_PROGRAMME.pack(1, 999999))  # no such programme
    assert STALE in staff.callback_answers[-1]["text"]
    await staff.press("📤 지금 보내기")
    await staff.press("✅ 지금 보내기")
    assert [r.user_id for r in await deliveries(db, 1)] == [8101, 8111]
