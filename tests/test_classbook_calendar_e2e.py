"""/calendar for teachers end to end: the school's bookings by day this week and next (class
bookings and students' own), the school year as a spreadsheet with attendance, each read
audited; a student's /calendar points to their own calendar file in /my."""

from __future__ import annotations

import io
from datetime import timedelta

import aiohttp
import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select, update

from storage.models import AuditEntry, Booking, Session, utcnow
from tests.conftest import join_as_student
from tests.test_classbook_e2e import start_from_card
from tests.test_pending_e2e import apply
from tests.world_helpers import add_program, add_session, add_site, add_teacher

pytestmark = pytest.mark.usefixtures("tuesday_morning")


async def school_file(teacher, sandbox) -> list[tuple]:
    """The school year as a spreadsheet, as the teacher gets it: its rows."""
    await teacher.press("이번 학년도 전체 엑셀 파일")
    document = teacher.last_message["document"]
    assert document["file_name"].startswith("jinro-school-bookings-")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['file_id']}") as response:
            book = load_workbook(io.BytesIO(await response.read()), read_only=True)
    return [tuple(r) for r in book["예약"].iter_rows(values_only=True)]


async def two_sessions(db) -> tuple[int, int]:
    """A session tomorrow (Wednesday: this week) and one a week from now (next week)."""
    now = utcnow().replace(microsecond=0)
    async with db.write() as conn:
        site_id = await add_site(conn, "하늘 방송국")
        radio = await add_program(conn, site_id, "하늘 라디오 체험", external_key="sky|1")
        camera = await add_program(conn, site_id, "하늘 카메라 체험", external_key="sky|2")
        this_week = await add_session(conn, radio, now + timedelta(days=1), capacity=20)
        next_week = await add_session(conn, camera, now + timedelta(days=7), capacity=20)
    return this_week, next_week


async def test_a_teacher_sees_who_goes_where_by_day_and_gets_the_year_as_a_file(bot, sandbox, db):
    this_week, next_week = await two_sessions(db)
    minji = await join_as_student(sandbox, 7401, "김민지", grade=2)
    seojun = await join_as_student(sandbox, 7402, "이서준", grade=2)
    await join_as_student(sandbox, 7403, "박하늘", school="화정", grade=2)  # another school
    teacher = await add_teacher(db, sandbox, 7411, "박선영")

    await start_from_card(teacher, this_week)
    await teacher.send("3")
    await teacher.press("3석 예약")
    await teacher.press("김민지 (2)")
    await teacher.send("홍길동")
    await apply(seojun, next_week)
    await teacher.expect("2학년 이서준 학생이 신청했습니다")  # the request's news, first

    await teacher.send("/calendar")
    text = teacher.last_text
    assert "이번 주 우리 학교 예약" in text
    assert "하늘 라디오 체험 · 하늘 방송국" in text
    assert "학급 단체 예약(박선영 선생님): 3석: 김민지, 홍길동 · 이름 없는 자리 1석" in text
    assert "이서준" not in text and "박하늘" not in text
    await teacher.press("다음 주 ▶")
    assert "다음 주 우리 학교 예약" in teacher.last_text
    assert "하늘 카메라 체험" in teacher.last_text and "이서준 ⏳" in teacher.last_text
    await teacher.press("◀ 이번 주")
    assert "김민지, 홍길동" in teacher.last_text

    # Minji went and Gildong did not: once the session has begun, the file has the year with
    # attendance (before its start a confirmed booking's attendance is left blank).
    async with db.write() as conn:
        for student, mark in ((minji.id, "attended"), (None, "no_show")):
            named = Booking.student_id == student if student else Booking.student_name == "홍길동"
            await conn.execute(
                update(Booking)
                .where(named, Booking.session_id == this_week)
                .values(attendance=mark)
            )
    rows = await school_file(teacher, sandbox)
    assert rows[0][-2:] == ("상태", "출석")
    assert {r[5]: r[10] for r in rows[1:]}["김민지"] is None  # not begun: nothing taken yet
    async with db.read() as conn:
        begins = await conn.scalar(select(Session.starts_at).where(Session.id == this_week))
    with time_machine.travel(begins + timedelta(minutes=30), tick=True):
        rows = await school_file(teacher, sandbox)
    assert rows[0] == (
        "날짜",
        "시작",
        "끝",
        "프로그램",
        "체험처",
        "학생",
        "학년",
        "구분",
        "예약한 교사",
        "상태",
        "출석",
    )
    people = {(r[3], r[5], r[7], r[9], r[10]) for r in rows[1:]}
    assert ("하늘 라디오 체험", "김민지", "반 예약", "확정", "참여") in people
    assert ("하늘 라디오 체험", "홍길동", "반 예약", "확정", "불참") in people
    assert ("하늘 라디오 체험", "(이름 미정)", "반 예약", "확정", "미확인") in people
    assert ("하늘 카메라 체험", "이서준", "개인 신청", "선생님 확인 대기", None) in people
    assert len(rows) == 5 and not any("박하늘" in str(r) for r in rows)

    async with db.read() as conn:
        reads = (
            await conn.scalars(
                select(AuditEntry.object_type).where(
                    AuditEntry.actor_id == teacher.id, AuditEntry.action == "read"
                )
            )
        ).all()
    assert reads.count("school_bookings") == 3 and reads.count("school_bookings_file") == 2

    # A student's /calendar: their own calendar file, from /my.
    await minji.send("/calendar")
    assert "/my 에서 예약을 누른 다음 “📅 내 달력에 추가”" in minji.last_text
