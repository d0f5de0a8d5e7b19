"""Staff import and export spreadsheets in the chat, end to end through the sandbox."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import aiohttp
from openpyxl import load_workbook
from sqlalchemy import func, select

from handlers import imports
from storage.models import Program, Session, User, utcnow
from storage.spreadsheet import HEADERS
from tests.conftest import ADMIN_ID, KST, join_as_student
from tests.test_import import FIRE, GOOD, HEAD, csv_bytes


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KST)


async def programme_count(db) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(func.count()).select_from(Program.__table__))


async def test_staff_import_a_file_after_confirming(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    await staff.send("/import")
    assert "파일로 보내 주십시오" in staff.last_text
    await staff.send("여기요")
    assert "첨부해 보내 주십시오" in staff.last_text
    before = await programme_count(db)

    await staff.send_document("programmes.csv", csv_bytes(GOOD, "cp949"))
    assert "programmes.csv 가져오기 준비 완료" in staff.last_text
    assert "회차: 3개 (새로 3, 변경 0, 그대로 0)" in staff.last_text
    assert await programme_count(db) == before  # nothing written before the press
    await staff.press("가져오기")
    assert "가져오기 완료" in staff.last_text
    assert await programme_count(db) == before + 2
    file_message = [m for m in staff.messages if not m["from_bot"] and m["document"]][-1]
    again = imports.GO.pack(file_message["message_id"])  # the import pressed again
    await staff.press_data(staff.last_message["message_id"], again)
    assert "쓸 수 없습니다" in staff.callback_answers[-1]["text"]

    # The same file again, sent without /import: nothing to change, nothing to press.
    await staff.send_document("programmes.csv", csv_bytes(GOOD))
    assert "바뀌는 내용이 없습니다" in staff.last_text and not staff.buttons

    # A student typing the programme's name now finds it.
    minji = await join_as_student(sandbox, 5101, "김민지")
    await minji.send("소방관")
    assert "119 소방관 체험" in minji.last_text or "119 소방관 체험" in str(minji.buttons)


async def test_a_bad_file_is_explained_and_nothing_is_written(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    rows = [row[:] for row in GOOD]
    rows.append([*FIRE[:2], "체험", *FIRE[3:], "2030-12-24 14:00~16:00"])
    rows += [[*FIRE[:5], "서울", *FIRE[6:], f"2030-12-{day} 14:00~16:00"] for day in range(1, 29)]
    before = await programme_count(db)
    await staff.send_document("틀린 파일.csv", csv_bytes(rows))
    text = staff.last_text
    assert "아무것도 가져오지 않았습니다" in text
    assert "6행, 체험유형: 알 수 없는 체험유형 “체험”입니다" in text
    assert "7행, 지역: “서울”은 고양시의 구가 아닙니다" in text
    assert "모두 29건" in text and "외 9건이 더 있습니다" in text
    assert len(text) < 4096
    assert await programme_count(db) == before

    await staff.send_document("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64)
    assert "예전 엑셀 파일(.xls)" in staff.last_text
    await staff.send_document("huge.csv", b"a" * (2 * 1024 * 1024 + 10))
    assert "2 MB보다 큽니다" in staff.last_text


async def test_staff_can_cancel_before_anything_is_written(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    before = await programme_count(db)
    await staff.send_document("programmes.csv", csv_bytes(GOOD))
    first = staff.last_message["message_id"]
    # Another file replaces it: the preview above keeps no Import or Cancel to press.
    await staff.send_document("programmes.csv", csv_bytes(GOOD, "cp949"))
    assert "가져오기 준비 완료" in staff.last_text and staff.last_message["message_id"] != first
    assert not next(m for m in staff.bot_messages if m["message_id"] == first).get("reply_markup")
    await staff.send("안녕")
    assert "버튼" in staff.last_text
    await staff.press("취소")
    await staff.expect("가져오기를 취소했습니다")  # the preview itself now says so
    assert await programme_count(db) == before
    async with db.read() as conn:
        flow = await conn.scalar(select(User.flow).where(User.id == ADMIN_ID))
    assert flow is None


async def test_export_sends_a_spreadsheet_that_imports_unchanged(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    await staff.send("/export")
    message = staff.last_message
    document = message["document"]
    assert document["file_name"].startswith("jinro-programmes-")
    assert document["file_name"].endswith(".xlsx")
    assert "다가오는 회차" in message["caption"]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['file_id']}") as response:
            content = await response.read()
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(HEADERS)
    async with db.read() as conn:
        upcoming = await conn.scalar(
            select(func.count()).where(Session.starts_at > utcnow(), Session.status == "scheduled")
        )
    assert len(rows) - 1 == upcoming  # a row per session (every demo programme has some)

    await staff.send_document(document["file_name"], content)
    assert "바뀌는 내용이 없습니다" in staff.last_text


async def test_a_student_sending_a_file_is_not_importing(bot, sandbox, db):
    minji = await join_as_student(sandbox, 5102, "김민지")
    before = await programme_count(db)
    await minji.send_document("programmes.csv", csv_bytes(GOOD))
    assert "글자와 버튼만 알아들을 수 있어요" in minji.last_text
    await minji.send("/import")
    assert "programmes.csv" not in minji.last_text
    assert await programme_count(db) == before
    guest = sandbox.user(5103, "손님")
    await guest.send_document("programmes.csv", csv_bytes([HEAD]))
    assert "글자와 버튼만" in guest.last_text


async def test_days_without_a_year_are_the_coming_ones_and_words_are_refused(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    soon = (utcnow() + timedelta(days=10)).astimezone(KST).date()
    week_after = soon + timedelta(days=7)
    tail = ["2", "무료", "운동화", "10분 전 도착"]
    rows = [
        HEAD,
        [*FIRE, f"{soon.month}월 {soon.day}일 오후 2시 ~ 4시 반", *tail],
        [*FIRE, f"{week_after.month}/{week_after.day} 14:00-16:00", *tail],
    ]
    await staff.send_document("programmes.csv", csv_bytes(rows))
    assert "회차: 2개 (새로 2, 변경 0, 그대로 0)" in staff.last_text
    await staff.press("가져오기")
    assert "가져오기 완료" in staff.last_text
    async with db.read() as conn:
        found = await conn.execute(
            select(Session.starts_at, Session.ends_at)
            .join(Program, Program.id == Session.program_id)
            .where(Program.external_key == "고양소방서|119 소방관 체험")
            .order_by(Session.starts_at)
        )
        sessions = [tuple(row) for row in found]
    assert sessions == [
        (at(soon, 14), at(soon, 16, 30)),
        (at(week_after, 14), at(week_after, 16)),
    ]

    rows = [HEAD, [*FIRE, "내일 오후 2시~4시", *tail]]
    await staff.send_document("내일.csv", csv_bytes(rows))
    assert "2행, 운영일시: “내일 오후 2시~4시”의 날짜는 가져오는 날에 따라" in staff.last_text
