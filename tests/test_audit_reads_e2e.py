"""An adult's read of other people's personal data leaves one audit entry, end to end through
the sandbox: who read (actor), action "read", what kind of object (object_type) and which
(object_id), and the answer they got, with counts and codes in the detail and never a name
or a text. Staff, the mediating monitor and a teacher open a case; a teacher and a site list
bookings to open a case about; a site opens a roster and takes attendance; a teacher opens
/pending, /consents and a class booking's seats; staff and a teacher list students' mentor
requests; a mentor opens their desk and a student's request. A student reading their own
case or request leaves none. And the entry itself refuses a name or a text in its detail.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so nothing a
student or mentor is told waits for the morning.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from handlers.bookings.buttons import APPLY
from handlers.classbook.buttons import NEW as CLASS_BOOKING
from storage.models import AuditEntry, MentorRequest, User, utcnow
from storage.search import refresh_next
from tests.cases_e2e_helpers import (
    MONITOR,
    SITE_USER,
    STUDENT,
    TEACHER,
    USERNAMES,
    cases,
    open_as,
    world_with_minji,
)
from tests.conftest import ADMIN_ID, join_as_student
from tests.mentors_e2e_helpers import QUESTION, add_mentor, ask, travel_tick
from tests.world_helpers import (
    add_program,
    add_session,
    add_site,
    add_teacher,
    book_seat,
    school_named,
)

pytestmark = pytest.mark.usefixtures("tuesday_morning")


# ----- reading the log ------------------------------------------------------------------------


async def reads(db) -> list:
    """Every audited read: (actor, object_type, object_id, detail), oldest first."""
    async with db.read() as conn:
        found = await conn.execute(
            select(
                AuditEntry.actor_id, AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail
            )
            .where(AuditEntry.action == "read")
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in found.all()]


def entries(found: list, actor: int, kind: str, object_id) -> list[dict]:
    """The details of the reads by `actor` of `kind` `object_id` (None: a list of everyone's)."""
    wanted = None if object_id is None else str(object_id)
    return [d for a, k, o, d in found if (a, k, o) == (actor, kind, wanted)]


def assert_read(found: list, actor: int, kind: str, object_id, **detail) -> dict:
    """At least one such read, the newest with `detail` among its own; that detail."""
    seen = entries(found, actor, kind, object_id)
    assert seen, (actor, kind, object_id, found)
    newest = seen[-1]
    assert newest.get("answer") in ("shown", "empty"), newest
    assert detail.items() <= newest.items(), (detail, newest)
    return newest


def assert_nothing_personal(found: list, words: list[str]) -> None:
    """No entry's id or detail holds a name or a text of the world; every detail value is a
    count, a flag, a short code or a list of ids (the students a /consents page showed)."""
    assert found
    for _, _, object_id, detail in found:
        shown = json.dumps(detail, ensure_ascii=False) + (object_id or "")
        for word in words:
            assert word not in shown, (word, object_id, detail)
        for value in detail.values():
            assert (
                value is None
                or isinstance(value, int)
                or (isinstance(value, str) and value.isascii() and len(value) <= 20)
                or (isinstance(value, list) and all(isinstance(v, int) for v in value))
            ), detail


# ----- cases: staff, the mediator, a teacher; bookings to open a case about -------------------

CASE_TEXT = "그날 학교 시험이 있어서 시간을 바꾸고 싶어요"


async def test_reading_a_case_and_the_bookings_to_open_one_about(bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox)
    teacher, site, monitor, staff = w["teacher"], w["site"], w["monitor"], w["staff"]
    await open_as(minji, "일정 변경", CASE_TEXT)
    [case] = await cases(db)

    # The student reads her own case: not audited.
    await minji.send("/cases")
    await minji.press(f"#{case.id}")
    assert CASE_TEXT in minji.last_text

    # The mediator opens it from the news; staff and the teacher (a party) from /cases.
    await monitor.expect(f"사례 #{case.id}", timeout=10)
    await monitor.press("사례 보기")
    assert CASE_TEXT in monitor.last_text
    await staff.send("/cases")
    await staff.press(f"#{case.id}")
    assert CASE_TEXT in staff.last_text
    await teacher.expect(f"사례 #{case.id}", timeout=10)  # the news first, as the site's below
    await teacher.send("/cases")
    await teacher.press(f"#{case.id}")
    assert CASE_TEXT in teacher.last_text

    # The bookings a case could be about, with the students' first names.
    await teacher.send("/cases")
    await teacher.press("새 사례")
    assert any("민지" in label for label in teacher.buttons)
    # The site's news of the case comes through the outbox in its own time: waited for, so
    # that it does not land between the site's press and the roster the test reads.
    await site.expect(f"사례 #{case.id}", timeout=10)
    await site.send("/sessions")
    await site.press("해양 생물")
    assert "김민지" in site.last_text  # the roster
    await site.press("중재 요청")
    assert any("민지" in label for label in site.buttons)

    found = await reads(db)
    assert_read(found, MONITOR, "case", case.id, seen="mediator", page=0)
    assert_read(found, ADMIN_ID, "case", case.id, seen="staff", page=0)
    assert_read(found, TEACHER, "case", case.id, seen="party", page=0)
    assert_read(found, TEACHER, "case_bookings", None, rows=1)
    assert_read(found, SITE_USER, "roster", w["session"], rows=1)
    assert_read(found, SITE_USER, "case_bookings", w["session"], rows=1)
    assert not [row for row in found if row[0] == STUDENT]
    assert len(entries(found, ADMIN_ID, "case", case.id)) == 1  # one read, one entry
    names = ["김민지", "민지", "박지훈", "지훈", "최가람", "가람", "한수진", "수진", "오은정"]
    assert_nothing_personal(found, [CASE_TEXT, "시험", *names, *USERNAMES.values()])


# ----- the site: its roster and attendance -----------------------------------------------------

SITE = 735201
TEACHER_OF_CLASS = 735101


async def test_a_site_reading_its_roster_and_taking_attendance(bot, sandbox, db):
    now = utcnow()
    async with db.write() as conn:
        site_id = await add_site(conn, "숲 체험관", address="고양시 덕양구 2")
        program_id = await add_program(conn, site_id, "숲 해설", external_key="숲 체험관|숲 해설")
        running = await add_session(conn, program_id, now - timedelta(minutes=30), capacity=10)
        await refresh_next(conn, [program_id], now=now)
        await conn.execute(
            insert(User).values(id=SITE, role="site", name="숲 담당자", site_id=site_id, lang="ko")
        )
    await join_as_student(sandbox, 735001, "김민지")
    async with db.write() as conn:
        await book_seat(conn, running, 735001, created_at=now)
        await book_seat(
            conn,
            running,
            None,
            student_name="박하늘",
            booked_by=TEACHER_OF_CLASS,
            school_id=await school_named(conn),
            created_at=now,
        )
    site = sandbox.user(SITE, "숲")
    await site.send("/sessions")
    await site.press("1. ")
    assert "김민지" in site.last_text and "박하늘" in site.last_text
    await site.press("✅ 출석 체크")
    assert "⬜ 김민지 · 정발중학교 2학년" in site.buttons
    await site.press("김민지")  # a mark, then the list again: a read again

    found = await reads(db)
    assert_read(found, SITE, "roster", running, rows=2)
    attendance = entries(found, SITE, "attendance", running)
    assert len(attendance) == 2 and attendance[0] == {"answer": "shown", "page": 0, "rows": 2}
    assert_nothing_personal(found, ["김민지", "민지", "박하늘", "하늘", "숲 담당자"])


# ----- the teacher: /pending, /consents, a class booking's seats --------------------------------

TEACHER2 = 736101


async def test_a_teacher_reading_requests_consents_and_seats(bot, sandbox, db):
    async with db.write() as conn:
        site_id = await add_site(conn, "라디오 방송국", kind="company")
        program_id = await add_program(
            conn, site_id, "라디오 PD 체험", external_key="라디오 PD 체험|1", capacity=20
        )
        starts = utcnow().replace(microsecond=0) + timedelta(days=5)
        session_id = await add_session(conn, program_id, starts, capacity=20)
        school_id = await school_named(conn)
    teacher = await add_teacher(db, sandbox, TEACHER2, "박선영")
    minji = await join_as_student(sandbox, 736001, "김민지")
    await minji.press_data(minji.last_message["message_id"], APPLY.pack(session_id))
    await teacher.expect("새 체험 신청")
    await join_as_student(sandbox, 736002, "이서준", under14=True, grade=1)
    await join_as_student(sandbox, 736003, "최하나")

    await teacher.send("/pending")
    assert "1. 김민지 (2학년)" in teacher.last_text
    await teacher.send("/consents")
    assert "이서준: 동의서 받음" in teacher.buttons
    await teacher.press_data(teacher.last_message["message_id"], CLASS_BOOKING.pack(session_id))
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")
    assert "최하나 (2)" in teacher.buttons

    found = await reads(db)
    assert_read(found, TEACHER2, "pending", school_id, page=0, rows=1)
    assert_read(found, TEACHER2, "consents", school_id, page=0, rows=1, student_ids=[736002])
    assert_read(found, TEACHER2, "class_seats", session_id, page=0, seats=5)
    assert entries(found, TEACHER2, "class_seats", session_id)[-1]["students"] >= 1
    assert not [row for row in found if row[0] in (736001, 736002, 736003)]
    names = ["김민지", "민지", "이서준", "서준", "최하나", "하나", "박선영"]
    assert_nothing_personal(found, names)


# ----- mentoring: staff's and a teacher's lists, the mentor's desk and request -----------------

TEACHER3, MINJI3, MENTOR = 737101, 737001, 737201


async def test_mentor_requests_read_by_staff_a_teacher_and_the_mentor(
    tuesday_morning, bot, sandbox, db
):
    teacher = await add_teacher(db, sandbox, TEACHER3, "박선영")
    minji = await join_as_student(sandbox, MINJI3, "김민지")
    await ask(minji, field="K-바이오", typed=True)  # nobody yet: it waits in line
    async with db.read() as conn:
        school_id = await school_named(conn)
        [request_id] = (await conn.execute(select(MentorRequest.id))).scalars().all()

    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/mentors")
    await staff.press("멘토를 기다리는 요청 (1)")
    assert "민지 · 정발중학교" in staff.last_text
    await teacher.send("/mentor")
    await teacher.press("우리 학생들의 요청 (1)")
    assert "김민지" in teacher.last_text

    mentor = await add_mentor(db, sandbox, MENTOR, "정하은", "K-바이오")
    await travel_tick(bot, tuesday_morning + timedelta(minutes=2))
    await mentor.expect("새 멘토 요청")
    await mentor.send("/mentor")
    assert "답을 기다리는 요청: 1건" in mentor.last_text
    await mentor.press("📨")
    assert QUESTION in mentor.last_text

    # The student looks at her own request: not audited.
    await minji.send("/mentor")
    await minji.press("K-바이오")

    async with db.read() as conn:
        mentor_id = await conn.scalar(select(User.mentor_id).where(User.id == MENTOR))
    found = await reads(db)
    assert_read(found, ADMIN_ID, "mentor_requests", None, page=0, rows=1)
    assert_read(found, TEACHER3, "mentor_requests", school_id, page=0, rows=1)
    assert_read(found, MENTOR, "mentor_desk", mentor_id, rows=1)
    assert_read(found, MENTOR, "mentor_request", request_id, status="offered")
    assert not [row for row in found if row[0] == MINJI3]
    names = ["김민지", "민지", "박선영", "정하은", "정발중학교"]
    assert_nothing_personal(found, [QUESTION, *names])


# ----- the entry itself -------------------------------------------------------------------------


async def test_a_read_entry_keeps_codes_and_counts_and_refuses_words(db):
    from storage import audit

    now = utcnow()
    async with db.write() as conn:
        await audit.read(conn, 1, "roster", 7, now=now, rows=0)
        await audit.read(conn, 1, "case", 8, now=now, seen="staff", page=1)
        for wrong in ({"name": "김민지"}, {"text": "Minji Kim"}, {"ids": ["a"]}, {"at": now}):
            with pytest.raises(ValueError):
                await audit.read(conn, 1, "roster", 7, now=now, **wrong)
    assert await reads(db) == [
        (1, "roster", "7", {"answer": "empty", "rows": 0}),
        (1, "case", "8", {"answer": "shown", "seen": "staff", "page": 1}),
    ]
