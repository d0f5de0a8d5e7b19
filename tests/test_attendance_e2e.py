"""Attendance is what happened, end to end through the sandbox, with the clock set relative
to the session: before its start (by the bot's clock) the site has no attendance button and
every press that would record or report attendance is told from when it can be taken; an
unnamed class seat is never marked, so /stats counts people who attended; the student's /my
and the school's spreadsheet show the attendance once it is taken."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import time_machine
from sqlalchemy import func, select

from handlers.sessions import buttons
from storage.models import AuditEntry
from tests.conftest import ADMIN_ID, join_as_student
from tests.test_classbook_calendar_e2e import school_file
from tests.test_sessions_e2e import (
    KST,
    TEACHER,
    add_session,
    audit_count,
    book,
    booking_row,
    site_world,
    the_site,
)
from tests.world_helpers import add_teacher

WEEKDAYS = "월화수목금토일"


def ten_o_clock() -> datetime:
    """10:00 (Seoul) two days from now: a session's start the test's clock is set around."""
    day = datetime.now(KST).date() + timedelta(days=2)
    return datetime.combine(day, time(10), tzinfo=KST)


def from_when(start: datetime) -> str:
    return f"{start.month}월 {start.day}일 ({WEEKDAYS[start.weekday()]}) 10:00부터"


async def session_at(db, w, start: datetime) -> int:
    async with db.write() as conn:
        return await add_session(conn, w["ours_program"], start, capacity=10)


async def refusals(db) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(func.count()).where(AuditEntry.action == "button.refused"))


async def attended_figure(staff) -> tuple[int, int]:
    """(attended, absent) as /stats shows them to staff."""
    await staff.send("/stats")
    found = re.search(r"참여: (\d+)명 · 불참: (\d+)명", staff.last_text)
    assert found, staff.last_text
    return int(found[1]), int(found[2])


async def test_attendance_before_the_start_is_refused_on_every_path(bot, sandbox, db):
    start = ten_o_clock()
    with time_machine.travel(start.replace(hour=4, minute=39), tick=True):
        w = await site_world(db)
        session = await session_at(db, w, start)
        teacher = await add_teacher(db, sandbox, TEACHER)
        await join_as_student(sandbox, 7131, "김민지")
        minji = await book(db, session, 7131, "confirmed")
        site = await the_site(sandbox)
        await site.press("10:00")
        assert "✅ 출석 체크" not in site.buttons
        assert "출석 체크는 회차가 시작한 뒤에 할 수 있습니다." in site.last_text

        # An old or forged press on each path: the list, a mark, "everyone else", "done".
        message = site.last_message["message_id"]
        before = await refusals(db)
        for data in (
            buttons.ATTENDANCE.pack(session, 0),
            buttons.MARK.pack(minji, 0),
            buttons.ALL_ATTENDED.pack(session, 0),
            buttons.ATTENDANCE_DONE.pack(session),
        ):
            await site.press_data(message, data)
            answer = site.callback_answers[-1]["text"]
            assert answer == f"출석 체크는 회차가 시작하는 {from_when(start)} 할 수 있습니다."
        assert await refusals(db) == before + 4
        assert (await booking_row(db, minji)).attendance is None
        assert await audit_count(db, "booking.attendance") == 0
        assert await audit_count(db, "session.all_attended") == 0
        assert await audit_count(db, "session.attendance_reported") == 0

    # Once it has begun, the same site takes it and the teacher is told.
    with time_machine.travel(start + timedelta(minutes=5), tick=True):
        await site.send("/sessions")
        await site.press("10:00")
        await site.press("✅ 출석 체크")
        assert "⬜ 미확인 1" in site.last_text
        await site.press("김민지")
        assert "✅ 김민지 · 정발중학교 2학년" in site.buttons
        await site.press("📨 완료")
        report = await teacher.expect("체험처 출석 결과")
        assert "✅ 김민지 2학년 · 참여함" in report["text"]
        assert (await booking_row(db, minji)).attendance == "attended"


async def test_an_unnamed_seat_is_not_a_person_who_attended(bot, sandbox, db):
    start = ten_o_clock()
    with time_machine.travel(start + timedelta(minutes=10), tick=True):
        w = await site_world(db)
        session = await session_at(db, w, start)
        await join_as_student(sandbox, 7131, "김민지")
        minji = await book(db, session, 7131, "confirmed")
        named = await book(db, session, None, "confirmed", name="박하늘", by=TEACHER)
        unnamed = [await book(db, session, None, "confirmed", by=TEACHER) for _ in range(2)]
        staff = sandbox.user(ADMIN_ID, "담당자")
        attended, absent = await attended_figure(staff)

        site = await the_site(sandbox)
        await site.press("10:00")
        await site.press("✅ 출석 체크")
        assert "이름이 아직 없는 학급 좌석 2석은 출석을 체크할 수 없습니다." in site.last_text
        assert "⬜ 미확인 2" in site.last_text  # the two people, not the seats
        assert not any("이름 미정" in b for b in site.buttons)
        # A forged mark on an unnamed seat is refused; "everyone else" marks only people.
        await site.press_data(site.last_message["message_id"], buttons.MARK.pack(unnamed[0], 0))
        answer = site.callback_answers[-1]["text"]
        assert answer.startswith("이름이 정해지지 않은 좌석은 출석을 체크할 수 없습니다.")
        await site.press("박하늘")
        await site.press("박하늘")  # no-show
        await site.press("나머지 모두 참석")
        assert (await booking_row(db, minji)).attendance == "attended"
        assert (await booking_row(db, named)).attendance == "no_show"
        assert [(await booking_row(db, seat)).attendance for seat in unnamed] == [None, None]

        # The city's figure counts people who attended: Minji, not the two seats.
        assert await attended_figure(staff) == (attended + 1, absent + 1)


async def test_my_and_the_school_file_show_the_attendance_taken(bot, sandbox, db):
    start = ten_o_clock()
    with time_machine.travel(start - timedelta(hours=1), tick=True):
        w = await site_world(db)
        session = await session_at(db, w, start)
        teacher = await add_teacher(db, sandbox, TEACHER)
        minji_user = await join_as_student(sandbox, 7131, "김민지")
        minji = await book(db, session, 7131, "confirmed")
        await minji_user.send("/my")
        assert "해양 생물 관찰 — 확정" in minji_user.last_text

    with time_machine.travel(start + timedelta(minutes=5), tick=True):
        site = await the_site(sandbox)
        await site.press("10:00")
        await site.press("✅ 출석 체크")
        await site.press("김민지")
        await site.press("김민지")  # did not come
        assert (await booking_row(db, minji)).attendance == "no_show"
        await minji_user.send("/my")  # the session is still on: upcoming, but taken
        assert "해양 생물 관찰 — 불참" in minji_user.last_text
        assert "확정" not in minji_user.last_text
        await minji_user.press("해양 생물 관찰")
        assert "상태: 불참" in minji_user.last_text

        await teacher.send("/calendar")
        rows = await school_file(teacher, sandbox)
        assert rows[0][-1] == "출석"
        assert [r[-1] for r in rows[1:] if r[5] == "김민지"] == ["불참"]

    with time_machine.travel(start + timedelta(hours=3), tick=True):
        await site.send("/sessions")
        await site.press("10:00")
        await site.press("✅ 출석 체크")
        await site.press("김민지")  # corrected: she came
        await minji_user.send("/my")  # over now: in the past, as taken
        assert "해양 생물 관찰 — 참여함" in minji_user.last_text
        rows = await school_file(teacher, sandbox)
        assert [r[-1] for r in rows[1:] if r[5] == "김민지"] == ["참여"]
