"""The experience site's sessions, end to end through the sandbox: the list and the roster,
adding a session, changing capacity, cancelling a session (students and teachers are told),
attendance on the day (the teacher is told), and forged buttons for another site's session."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

from handlers.sessions import buttons
from storage.models import (
    AuditEntry,
    Booking,
    Program,
    Session,
    User,
    utcnow,
)
from storage.search import refresh_next
from tests.conftest import join_as_student
from tests.world_helpers import (
    add_program,
    add_session,
    add_site,
    add_teacher,
    book_seat,
    school_named,
)

KST = ZoneInfo("Asia/Seoul")
SITE_USER = 7001
TEACHER = 7201
STALE = "이 버튼은 이제 쓸 수 없습니다."  # to adults, formally


# ----- a small world --------------------------------------------------------------------------


async def site_world(db) -> dict:
    """Our site with a programme, a session in three days (2 seats) and one that began half an
    hour ago; another site with a session of its own; our site's user."""
    now = utcnow()
    ids = {}
    async with db.write() as conn:
        for key, name, title in (
            ("ours", "바다 체험관", "해양 생물 관찰"),
            ("theirs", "숲 체험관", "숲 해설"),
        ):
            site_id = await add_site(conn, name, address="고양시 덕양구 1")
            ids[f"{key}_site"] = site_id
            ids[f"{key}_program"] = await add_program(
                conn, site_id, title, external_key=f"{name}|{title}", place="본관 2층"
            )
        ours, theirs = ids["ours_program"], ids["theirs_program"]
        ids["later"] = await add_session(conn, ours, now + timedelta(days=3), capacity=2)
        ids["running"] = await add_session(conn, ours, now - timedelta(minutes=30), capacity=10)
        ids["their_session"] = await add_session(conn, theirs, now + timedelta(days=3), capacity=5)
        await conn.execute(
            insert(User).values(
                id=SITE_USER, role="site", name="바다 담당자", site_id=ids["ours_site"], lang="ko"
            )
        )
        await refresh_next(conn, [ids["ours_program"], ids["theirs_program"]], now=now)
    return ids


async def book(
    db,
    session_id: int,
    student_id: int | None,
    status: str = "confirmed",
    *,
    name: str | None = None,
    by: int | None = None,
) -> int:
    """A booking as the booking flows leave it (a class seat of 정발중학교 when `student_id`
    is None)."""
    async with db.write() as conn:
        school = {} if student_id is not None else {"school_id": await school_named(conn)}
        return await book_seat(
            conn,
            session_id,
            student_id,
            status,
            student_name=name,
            booked_by=by or student_id,
            created_at=utcnow(),
            **school,
        )


async def the_site(sandbox):
    site = sandbox.user(SITE_USER, "바다")
    await site.send("/sessions")
    return site


async def session_row(db, session_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(Session.__table__).where(Session.id == session_id))).one()


async def booking_row(db, booking_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(Booking.__table__).where(Booking.id == booking_id))).one()


async def audit_count(db, action: str) -> int:
    async with db.read() as conn:
        return await conn.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )


# ----- the list and the roster ----------------------------------------------------------------


async def test_list_roster_and_paging(bot, sandbox, db):
    w = await site_world(db)
    await join_as_student(sandbox, 7101, "김민지")
    await join_as_student(sandbox, 7102, "이서준", grade=1)
    await join_as_student(sandbox, 7103, "최하나")
    await book(db, w["later"], 7101, "confirmed")
    await book(db, w["later"], 7102, "requested")
    await book(db, w["later"], 7103, "waitlisted")
    site = await the_site(sandbox)
    text = site.last_text
    assert "우리 체험처 회차: 2개" in text and "해양 생물 관찰" in text
    assert "정원 2명 중 2명 예약 · 대기 1명" in text
    assert "숲 해설" not in text  # another site's session
    assert site.buttons[0].startswith("1. ") and site.buttons[1].startswith("2. ")

    await site.press("2. ")
    text = site.last_text
    assert "김민지 — 정발중학교 2학년 · 확정" in text
    assert "이서준 — 정발중학교 1학년 · 선생님 확인 대기" in text
    assert "최하나" not in text and "대기: 1명" in text
    assert "7101" not in text and "@" not in text
    # Attendance is what happened: no button for it before the start.
    assert "👥 정원 변경" in site.buttons and "✅ 출석 체크" not in site.buttons
    assert "출석 체크는 회차가 시작한 뒤에 할 수 있습니다." in text

    async with db.write() as conn:
        for days in range(4, 9):
            await add_session(conn, w["ours_program"], utcnow() + timedelta(days=days), capacity=5)
    await site.press("목록으로")
    assert "우리 체험처 회차: 7개" in site.last_text and "2쪽 중 1쪽" in site.last_text
    await site.press("다음 ▶")
    assert "2쪽 중 2쪽" in site.last_text and site.buttons[0].startswith("6. ")


async def test_only_sites_use_sessions_and_help_lists_it(bot, sandbox, db):
    await site_world(db)
    minji = await join_as_student(sandbox, 7104, "김민지")
    await minji.send("/sessions")
    assert "이 기능은 쓸 수 없어요" in minji.last_text
    site = sandbox.user(SITE_USER, "바다")
    await site.send("/help")
    assert "/sessions" in site.last_text


async def test_another_sites_session_by_forged_buttons_is_like_a_missing_one(bot, sandbox, db):
    w = await site_world(db)
    minji = await join_as_student(sandbox, 7105, "김민지")
    theirs = await book(db, w["their_session"], 7105, "confirmed")
    site = await the_site(sandbox)
    message_id = site.last_message["message_id"]
    before = site.last_text
    await site.press_data(message_id, buttons.OPEN.pack(999999, 0))
    missing = site.callback_answers[-1]["text"]
    assert missing == STALE
    their = w["their_session"]
    for data in (
        buttons.OPEN.pack(their, 0),
        buttons.CAPACITY.pack(their),
        buttons.CANCEL.pack(their),
        buttons.CANCEL_NOW.pack(their),
        buttons.ATTENDANCE.pack(their, 0),
        buttons.ALL_ATTENDED.pack(their, 0),
        buttons.ATTENDANCE_DONE.pack(their),
        buttons.MARK.pack(theirs, 0),
        buttons.ADD_PROGRAMME.pack(w["theirs_program"]),
        "ss:s:abc:0",
        "ss:s:²:0",
    ):
        await site.press_data(message_id, data)
        assert site.callback_answers[-1]["text"] == missing, data
    assert site.last_text == before
    assert (await booking_row(db, theirs)).attendance is None
    assert (await session_row(db, their)).status == "scheduled"
    # Each refusal is in the audit log: which button and id, the answer; not the data sent.
    async with db.read() as conn:
        refused = (
            await conn.execute(
                select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail).where(
                    AuditEntry.action == "button.refused"
                )
            )
        ).all()
    assert len(refused) == 12
    assert ("ss:c", str(their), {"answer": "stale"}) in refused
    assert ("ss:am", str(theirs), {"answer": "stale"}) in refused
    assert refused.count(("unknown", None, {"answer": "stale"})) == 2  # "abc", "²": no button
    # A student pressing a site's button gets the same answer, in a student's words.
    await minji.press_data(minji.last_message["message_id"], buttons.OPEN.pack(w["later"], 0))
    assert minji.callback_answers[-1]["text"] == "이 버튼은 이제 쓸 수 없어요."


# ----- adding a session -----------------------------------------------------------------------


async def test_site_adds_a_session(bot, sandbox, db):
    w = await site_world(db)
    site = await the_site(sandbox)
    await site.press("➕ 회차 추가")
    assert "어느 프로그램" in site.last_text and site.buttons[0] == "해양 생물 관찰"
    await site.press("해양 생물 관찰")
    assert "시작 날짜와 시각을 입력해 주십시오" in site.last_text
    await site.send("내일 오후")
    assert "시각도 적어 주십시오" in site.last_text
    await site.send("아무 때나")
    assert "날짜와 시각으로 읽을 수 없습니다" in site.last_text
    await site.send("13/45 14:00")
    assert "없는 날짜나 시각입니다" in site.last_text
    day = (utcnow().astimezone(KST) + timedelta(days=10)).date()
    await site.send(f"{day.month}/{day.day} 14:00")
    assert "언제 끝납니까" in site.last_text and "2시간" in site.buttons
    await site.send("12:00")
    assert "시작 시각보다 뒤여야" in site.last_text
    await site.send("16시 30분")
    assert "정원은 몇 명입니까" in site.last_text and "20명 (기본 정원)" in site.buttons
    await site.send("많이")
    assert "1에서 1000 사이" in site.last_text
    await site.send("25명")
    assert "어디에서 진행합니까" in site.last_text and "평소 장소: 본관 2층" in site.last_text
    await site.send("https://meet.example.org/sea?a=1&b=2")
    assert "스스로 예약을 취소할 수 있는 기한" in site.last_text
    await site.press("1일 전")
    text = site.last_text
    assert "이 회차를 추가하시겠습니까?" in text and "정원 25명" in text
    assert "https://meet.example.org/sea?a=1&amp;b=2" not in text  # shown as written
    assert "https://meet.example.org/sea?a=1&b=2" in text
    await site.press("✅ 회차 추가")
    assert site.callback_answers[-1]["text"] == "회차를 추가했습니다."
    assert (
        "정원 25명 중 0명 예약" in site.last_text
        and "아직 예약한 학생이 없습니다" in site.last_text
    )

    start = datetime.combine(day, time(14, 0), tzinfo=KST)
    async with db.read() as conn:
        added = (
            await conn.execute(
                select(Session.__table__).where(
                    Session.program_id == w["ours_program"], Session.starts_at == start
                )
            )
        ).one()
        next_start = await conn.scalar(
            select(Program.next_start).where(Program.id == w["ours_program"])
        )
    assert added.ends_at == datetime.combine(day, time(16, 30), tzinfo=KST)
    assert (added.capacity, added.booked, added.status) == (25, 0, "scheduled")
    assert added.online_url == "https://meet.example.org/sea?a=1&b=2" and added.place is None
    assert added.cancel_deadline == start - timedelta(days=1)
    assert next_start is not None
    assert await audit_count(db, "session.added") == 1
    # Each question answered by typing (or asked again below) lost its buttons: no "2시간",
    # usual seats or usual place is left above that could only say "no longer active".
    questions = ("언제 끝납니까", "정원은 몇 명입니까", "어디에서 진행합니까")
    asked = [m for m in site.bot_messages if any(q in m.get("text", "") for q in questions)]
    assert len(asked) >= 4 and not [m["text"][:20] for m in asked if m.get("reply_markup")]
    # The finished flow's buttons are old now.
    await site.press_data(site.last_message["message_id"], buttons.ADD_NOW.pack())
    assert site.callback_answers[-1]["text"] == STALE


async def test_adding_keeps_the_usual_place_and_can_be_dropped(bot, sandbox, db):
    w = await site_world(db)
    site = await the_site(sandbox)
    await site.press("➕ 회차 추가")
    await site.press("해양 생물 관찰")
    day = (utcnow().astimezone(KST) + timedelta(days=12)).date()
    await site.send(f"{day.month}월 {day.day}일 10시")
    await site.press("3시간")
    await site.press("기본 정원")
    await site.press("평소 장소 그대로")
    await site.send("아무 말")  # a button step: asked to press one
    assert "버튼" in site.last_text
    await site.press("마감 없음")
    summary = await site.expect("이 회차를 추가하시겠습니까?")
    assert "학생 취소 가능: 시작 전까지" in summary["text"] and "정원 20명" in summary["text"]
    await site.press("추가하지 않기")
    async with db.read() as conn:
        count = await conn.scalar(
            select(func.count()).where(Session.program_id == w["ours_program"])
        )
    assert count == 2


# ----- capacity -------------------------------------------------------------------------------


async def test_capacity_never_below_held_seats_and_new_seats_go_to_the_line(bot, sandbox, db):
    w = await site_world(db)
    await join_as_student(sandbox, 7111, "김민지")
    await join_as_student(sandbox, 7112, "이서준")
    hana = await join_as_student(sandbox, 7113, "최하나")
    await book(db, w["later"], 7111, "confirmed")
    await book(db, w["later"], 7112, "requested")
    waiting = await book(db, w["later"], 7113, "waitlisted")
    site = await the_site(sandbox)
    await site.press("2. ")
    await site.press("👥 정원 변경")
    assert "지금 정원은 2명이고 그중 2명이 자리를 잡았습니다" in site.last_text
    await site.send("1")
    refused = "이미 자리를 잡은 2명(신청·확정·제안 중)보다 정원을 적게 줄일 수 없습니다"
    assert refused in site.last_text
    assert (await session_row(db, w["later"])).capacity == 2
    await site.send("0")
    assert "1에서 1000 사이" in site.last_text
    await site.send("3")
    texts = [m["text"] for m in site.bot_messages[-2:]]
    assert "정원을 바꿨습니다: 2 → 3명" in texts[0] and "대기자에게 제안한 자리: 1석" in texts[0]
    assert "정원 3명 중 3명 예약" in texts[1]
    assert "그중 1명의 자리는 대기 학생에게 제안해" in texts[1]
    offer = await hana.expect("자리가 났어요")
    assert f"bk:ofa:{waiting}" in str(offer["reply_markup"])
    assert f"bk:ofd:{waiting}" in str(offer["reply_markup"])
    row = await session_row(db, w["later"])
    assert (row.capacity, row.booked) == (3, 3)
    assert (await booking_row(db, waiting)).status == "offered"
    assert await audit_count(db, "session.capacity") == 1


# ----- cancelling -----------------------------------------------------------------------------


async def test_cancelling_tells_the_booked_the_line_and_the_teachers(bot, sandbox, db):
    w = await site_world(db)
    teacher = await add_teacher(db, sandbox, TEACHER)
    minji = await join_as_student(sandbox, 7121, "김민지")
    alex = await join_as_student(sandbox, 7122, "Alex")
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 7122).values(lang="en"))
    booked = await book(db, w["later"], 7121, "confirmed")
    waiting = await book(db, w["later"], 7122, "waitlisted")
    site = await the_site(sandbox)
    await site.press("2. ")
    await site.press("❌ 회차 취소")
    assert "취소하는 사유를 짧게 입력해 주십시오" in site.last_text
    await site.send("x")
    assert "조금 더 자세히" in site.last_text
    await site.send("강사 사정으로 <휴강>합니다")
    assert "이 회차를 취소하시겠습니까?" in site.last_text
    assert "예약 1명, 대기 1명" in site.last_text
    await site.press("❌ 네, 회차를 취소합니다")
    assert "회차를 취소했습니다." in site.last_text
    assert "알린 학생 2명 · 알린 선생님 1명" in site.last_text

    told = await minji.expect("체험처 사정으로 취소됐어요")
    assert (
        "사유: 강사 사정으로 <휴강>합니다" in told["text"] and "예약이 취소됐어요" in told["text"]
    )
    told = await alex.expect("A session you applied for was cancelled by the site.")
    assert "You were in line for it" in told["text"]
    told = await teacher.expect("체험처가 회차를 취소했습니다")
    assert "김민지 2학년" in told["text"] and "Alex" in told["text"]  # the line ended too

    row = await session_row(db, w["later"])
    assert (row.status, row.cancel_reason, row.booked) == (
        "cancelled",
        "강사 사정으로 <휴강>합니다",
        0,
    )
    assert (await booking_row(db, booked)).status == "cancelled"
    assert (await booking_row(db, waiting)).status == "cancelled"
    assert await audit_count(db, "session.cancelled") == 1
    assert await audit_count(db, "booking.session_cancelled") == 2
    # The confirmation pressed again, and the list afterwards.
    await site.press_data(site.last_message["message_id"], buttons.CANCEL_NOW.pack(w["later"]))
    assert site.callback_answers[-1]["text"] == STALE
    await site.send("/sessions")
    assert "우리 체험처 회차: 1개" in site.last_text


async def test_a_started_session_cannot_be_cancelled(bot, sandbox, db):
    w = await site_world(db)
    site = await the_site(sandbox)
    await site.press_data(site.last_message["message_id"], buttons.CANCEL.pack(w["running"]))
    assert "이미 시작했거나 취소된 회차" in site.callback_answers[-1]["text"]


# ----- attendance -----------------------------------------------------------------------------


async def test_attendance_before_the_start_is_explained(bot, sandbox, db):
    w = await site_world(db)
    site = await the_site(sandbox)
    await site.press("2. ")
    await site.press_data(site.last_message["message_id"], buttons.ATTENDANCE.pack(w["later"], 0))
    assert "출석 체크는 회차가 시작하는 " in site.callback_answers[-1]["text"]
    assert (await session_row(db, w["later"])).status == "scheduled"


async def test_attendance_by_tapping_names_tells_the_teacher(bot, sandbox, db):
    w = await site_world(db)
    teacher = await add_teacher(db, sandbox, TEACHER)
    await join_as_student(sandbox, 7131, "김민지")
    minji = await book(db, w["running"], 7131, "confirmed")
    named = await book(db, w["running"], None, "confirmed", name="박하늘", by=TEACHER)
    unnamed = await book(db, w["running"], None, "confirmed", by=TEACHER)
    site = await the_site(sandbox)
    await site.press("1. ")
    await site.press("✅ 출석 체크")
    assert "참석 0 · ❌ 불참 0 · ⬜ 미확인 2" in site.last_text
    assert "이름이 아직 없는 학급 좌석 1석은 출석을 체크할 수 없습니다." in site.last_text
    assert not any("이름 미정" in b for b in site.buttons)
    assert "⬜ 김민지 · 정발중학교 2학년" in site.buttons
    assert "⬜ 박하늘 · 정발중학교" in site.buttons
    await site.press("김민지")
    assert "✅ 김민지 · 정발중학교 2학년" in site.buttons
    await site.press("박하늘")
    await site.press("박하늘")
    assert "❌ 박하늘 · 정발중학교" in site.buttons
    await site.press("📨 완료")
    assert "선생님 1명께 출석 결과를 보냈습니다." in site.last_text

    report = await teacher.expect("체험처 출석 결과")
    assert "✅ 김민지 2학년 · " in report["text"]
    assert "❌ 박하늘 · 불참" in report["text"]
    assert "⬜ (이름 미정) · 미확인" in report["text"]
    assert (await booking_row(db, minji)).attendance == "attended"
    assert (await booking_row(db, named)).attendance == "no_show"

    await site.press("출석 체크로 돌아가기")
    await site.press("📨 완료")
    assert "이미 보냈습니다" in site.callback_answers[-1]["text"]
    # Every named person is marked; the unnamed seat is no person to count and stays so.
    assert not any("나머지 모두 참석" in b for b in site.buttons)
    assert (await booking_row(db, unnamed)).attendance is None
    assert await audit_count(db, "booking.attendance") == 3
