"""Staff's figures follow things as they are now: a session marked and then called off by
its site took no place, so its attendance and survey answers are not counted."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import aiohttp
from openpyxl import load_workbook
from sqlalchemy import insert, update

from storage import stats
from storage.models import Session, SurveyAnswer, User, utcnow
from tests.conftest import ADMIN_ID
from tests.world_helpers import (
    add_program,
    add_session,
    add_site,
    book_seat,
    school_named,
    student_row,
)

KST = ZoneInfo("Asia/Seoul")


async def test_a_session_called_off_after_attendance_counts_no_one(demo):
    yesterday = utcnow() - timedelta(days=1)
    async with demo.write() as conn:
        school = await school_named(conn)
        await conn.execute(
            insert(User), [student_row(8801, "김민지", school), student_row(8802, "이서준", school)]
        )
        site = await add_site(conn, "통계 체험처")
        program = await add_program(conn, site, "통계 체험", external_key="통계|체험")
        held = await add_session(conn, program, yesterday, capacity=5)
        called_off = await add_session(conn, program, yesterday + timedelta(hours=3), capacity=5)
        for session in (held, called_off):
            for student in (8801, 8802):
                booking = await book_seat(conn, session, student, attendance="attended")
                await conn.execute(insert(SurveyAnswer).values(booking_id=booking, score=5))
        before = await stats.figures(conn)
        await conn.execute(
            update(Session).where(Session.id == called_off).values(status="cancelled")
        )
        after = await stats.figures(conn)
    assert after.attended == before.attended - 2
    assert after.answers == before.answers - 2


async def _world_with_bookings(db) -> tuple[int, int]:
    """Two schools' students booked on two programmes' sessions (past ones attended)."""
    yesterday = utcnow() - timedelta(days=1)
    async with db.write() as conn:
        jeongbal = await school_named(conn)
        baekseok = await school_named(conn, "백석중학교")
        await conn.execute(
            insert(User),
            [
                student_row(8811, "김민지", jeongbal),
                student_row(8812, "이서준", jeongbal),
                student_row(8813, "박하늘", baekseok),
            ],
        )
        site = await add_site(conn, "통계 체험처")
        first = await add_program(conn, site, "통계 체험 하나", external_key="통계|하나")
        second = await add_program(
            conn, site, "통계 체험 둘", external_key="통계|둘", field="방송영상"
        )
        past = await add_session(conn, first, yesterday, capacity=5)
        coming = await add_session(conn, second, utcnow() + timedelta(days=3), capacity=5)
        for student in (8811, 8812, 8813):
            booking = await book_seat(conn, past, student, attendance="attended")
            await conn.execute(insert(SurveyAnswer).values(booking_id=booking, score=4))
        await book_seat(conn, coming, 8811, status="requested")
    return jeongbal, baekseok


async def test_the_figures_by_school_field_and_month(demo):
    await _world_with_bookings(demo)
    async with demo.read() as conn:
        by_school = {line.name: line for line in await stats.breakdown(conn, "school", tz=KST)}
        by_field = {line.name: line for line in await stats.breakdown(conn, "field", tz=KST)}
        by_month = await stats.breakdown(conn, "month", tz=KST)
    jeongbal = by_school["정발중학교"]
    assert (jeongbal.applied, jeongbal.confirmed, jeongbal.attended) == (3, 2, 2)
    assert (jeongbal.answers, jeongbal.average) == (2, 4.0)
    assert by_school["백석중학교"].applied == 1
    assert by_field["방송영상"].applied == 1 and by_field["환경"].attended == 3
    assert sum(line.applied for line in by_month) == 4
    assert all(len(line.name) == 7 for line in by_month)  # "2026-12"


async def test_staff_see_a_breakdown_and_get_every_one_as_a_spreadsheet(bot, sandbox, db):
    await _world_with_bookings(db)
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/stats")
    await staff.press("학교별")
    assert "프로그램 현황 · 학교별" in staff.last_text
    assert "1. 정발중학교 — 3 · 2 · 2 · 0 · 4.0 (2)" in staff.last_text
    # Every line has the header's five columns (no survey answer yet: "–").
    await staff.press("분야별")
    lines = [t for t in staff.last_text.splitlines() if " — " in t]
    assert lines and all(t.count(" · ") == 4 for t in lines), lines
    assert any(t.startswith(("1. 방송영상", "2. 방송영상")) and t.endswith(" · –") for t in lines)
    await staff.press("학교별")
    await staff.press("📊 전체를 엑셀 파일로 받기")
    document = staff.last_message["document"]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['file_id']}") as response:
            book = load_workbook(io.BytesIO(await response.read()), read_only=True)
    assert book.sheetnames == ["학교별", "지역별", "프로그램별", "분야별", "월별"]
    rows = list(book["학교별"].iter_rows(values_only=True))
    assert rows[0][:3] == ("이름", "신청", "확정")
    assert ("정발중학교", 3, 2, 2, 0, 2, 4) in [tuple(r) for r in rows[1:]]

    minji = sandbox.user(8811, "김민지")
    await minji.send("/stats")
    assert "쓸 수 없어요" in minji.last_text
