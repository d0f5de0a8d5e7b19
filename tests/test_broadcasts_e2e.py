"""Broadcasts end to end through the sandbox: staff write, choose the audience (with the
count), preview, confirm; a photo keeps its file_id; scheduling, pausing and cancelling;
delivery with the progress message, the report and the CSV of the undelivered; bad input
and old buttons; a student may not broadcast; a teacher and a site reach only their own."""

from __future__ import annotations

import codecs
import csv
import html
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import insert, select

from handlers.broadcasts import broadcast_tick
from handlers.reminders import dispatch_tick
from storage.models import Booking, Broadcast, Program, Reminder, School, Session, User, utcnow
from tests.conftest import ADMIN_ID, join_as_student, wait_until

KST = ZoneInfo("Asia/Seoul")
STALE = "이 버튼은 이제 쓸 수 없"  # students: 없어요, adults: 없습니다
TEACHER, OTHER_TEACHER, SITE_USER = 8201, 8202, 8301
JEONGBAL = [(8101, "김민지", 1), (8102, "이서준", 2), (8103, "최하나", 2)]  # 정발중학교
BAEKSEOK = (8111, "박도윤", 2)  # 백석중학교
TEXT = "진로 박람회 안내 <b>12/5</b> & 신청"  # typed as is: shown as is


async def students(sandbox) -> dict:
    people = {}
    for user_id, name, grade in JEONGBAL:
        people[user_id] = await join_as_student(sandbox, user_id, name, grade=grade)
    user_id, name, grade = BAEKSEOK
    people[user_id] = await join_as_student(sandbox, user_id, name, school="백석", grade=grade)
    return people


async def staff_member(sandbox):
    staff = sandbox.user(ADMIN_ID, "시청")
    await staff.send("/help")
    return staff


async def press_school(user, name: str) -> None:
    """Press a school in the paged list, turning pages until it shows."""
    for _ in range(10):
        if any(name in button for button in user.buttons):
            await user.press(name)
            return
        await user.press("다음 ▶")
    raise AssertionError(f"{name} is not in the list")


async def deliveries(db, broadcast_id: int | None = None) -> list:
    query = select(Reminder.__table__).where(Reminder.kind == "broadcast")
    if broadcast_id is not None:
        query = query.where(Reminder.broadcast_id == broadcast_id)
    async with db.read() as conn:
        return list((await conn.execute(query.order_by(Reminder.user_id))).all())


async def broadcast_row(db, broadcast_id: int):
    async with db.read() as conn:
        query = select(Broadcast.__table__).where(Broadcast.id == broadcast_id)
        return (await conn.execute(query)).one()


async def latest_broadcast(db) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(Broadcast.id).order_by(Broadcast.id.desc()))


async def compose(staff, text: str = TEXT) -> None:
    await staff.send("/broadcast")
    assert "새 공지" in staff.last_text
    await staff.send(text)
    await panel_shown(staff)


async def panel_shown(user, fragment: str = "(작성 중)") -> None:
    """Wait until the newest bot message is the panel: it comes after the preview, maybe
    after a busy moment."""

    async def newest() -> bool:
        await user.refresh()
        return fragment in user.last_text

    await wait_until(newest)


def student_due(now: datetime) -> set[datetime]:
    """When a non-urgent student copy confirmed `now` is due: now, or 08:00 after quiet hours
    (the test may run at night)."""
    local = now.astimezone(KST)
    if time(8) <= local.time() < time(21):
        return {"now"}
    day = local.date() if local.time() < time(8) else local.date() + timedelta(days=1)
    return {datetime.combine(day, time(8), tzinfo=KST)}


# ----- staff: compose, audience, count, preview, confirm -------------------------------------


async def test_staff_composes_chooses_previews_and_confirms(bot, sandbox, db):
    people = await students(sandbox)
    staff = await staff_member(sandbox)
    await compose(staff)
    preview, panel = staff.bot_messages[-2:]
    assert preview["text"] == TEXT and not preview.get("reply_markup")
    assert "공지 #1 (작성 중)" in panel["text"] and "받는 사람: 0명" in panel["text"]
    assert "아직 아무도 고르지 않았습니다" in panel["text"]

    await staff.press("📤 지금 보내기")  # nobody chosen: refused with an alert
    assert "아직 받는 사람이 없습니다" in staff.callback_answers[-1]["text"]
    await staff.press("🏫 학교")
    assert "어느 학교에 보낼까요?" in staff.last_text
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
    assert "공지 #1: 보낼까요?" in staff.last_text and "바로 보냅니다" in staff.last_text
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
    await staff.press_data(confirm_message, "bc:y:1")
    assert STALE in staff.callback_answers[-1]["text"]
    await staff.press_data(panel["message_id"], "bc:e:1")
    assert STALE in staff.callback_answers[-1]["text"]
    assert len(await deliveries(db, 1)) == 2
    assert 8101 in people  # (the grade 1 student and the other school got nothing written)


# ----- delivery, progress, the report and the CSV --------------------------------------------


async def test_delivery_progress_report_and_csv(bot, sandbox, db):
    people = await students(sandbox)
    staff = await staff_member(sandbox)
    await compose(staff)
    await staff.press("🏫 학교")
    await press_school(staff, "정발중학교")
    await staff.press("받는 사람 선택으로")
    await staff.press("🚨 긴급")  # students get it at any hour: the test may run at night
    assert "긴급: 학생도 조용한 시간" in staff.last_text
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
    assert document["file_name"] == "broadcast-1-undelivered.csv"
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
        start = utcnow() + timedelta(days=4)
        session_id = (
            await conn.execute(
                insert(Session)
                .values(
                    program_id=program_id,
                    starts_at=start,
                    ends_at=start + timedelta(hours=2),
                    capacity=10,
                )
                .returning(Session.id)
            )
        ).scalar_one()
        for student, status in ((8101, "confirmed"), (8111, "requested"), (8102, "waitlisted")):
            school = await conn.scalar(select(User.school_id).where(User.id == student))
            await conn.execute(
                insert(Booking).values(
                    session_id=session_id,
                    student_id=student,
                    school_id=school,
                    booked_by=student,
                    status=status,
                )
            )
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
    await staff.press_data(panel, "bc:fa:1:999999")  # a programme that does not exist
    assert STALE in staff.callback_answers[-1]["text"]
    await staff.press("📤 지금 보내기")
    await staff.press("✅ 지금 보내기")
    assert [r.user_id for r in await deliveries(db, 1)] == [8101, 8111]


# ----- scheduling, pausing, cancelling ---------------------------------------------------------


async def test_schedule_then_pause_resume_and_cancel(bot, sandbox, db):
    await students(sandbox)
    staff = await staff_member(sandbox)
    await compose(staff)
    await staff.press("👥 역할")
    await staff.press("학생")
    await staff.press("받는 사람 선택으로")
    await staff.press("🕘 예약")
    await staff.send("내일 오후")
    assert "날짜와 시각으로 읽을 수 없습니다" in staff.last_text
    await staff.send("13/45 10:00")
    assert "없는 날짜나 시각" in staff.last_text
    yesterday = (utcnow().astimezone(KST) - timedelta(days=1)).date()
    await staff.send(f"{yesterday.year}-{yesterday.month}-{yesterday.day} 10:00")
    assert "이미 지난 시각" in staff.last_text
    day = (utcnow().astimezone(KST) + timedelta(days=3)).date()
    await staff.send(f"{day.month}/{day.day} 10:00")
    assert "에 보냅니다" in staff.last_text and "받는 사람: 4명" in staff.last_text
    await staff.press("✅ 예약하기")
    assert "예약됨" in staff.last_text
    moment = datetime.combine(day, time(10), tzinfo=KST)
    assert {r.due_at for r in await deliveries(db, 1)} == {moment}
    assert (await broadcast_row(db, 1)).status == "scheduled"
    await dispatch_tick(bot)  # not due: nobody gets it yet
    assert {r.status for r in await deliveries(db, 1)} == {"pending"}

    await staff.press("⏸ 일시 정지")
    assert staff.callback_answers[-1]["text"] == "일시 정지했습니다."
    assert "일시 정지" in staff.last_text and "▶ 다시 보내기" in staff.buttons
    assert {r.status for r in await deliveries(db, 1)} == {"held"}
    await staff.press("▶ 다시 보내기")
    assert "예약됨" in staff.last_text
    assert {r.status for r in await deliveries(db, 1)} == {"pending"}

    await staff.send("/broadcasts")
    assert "#1 · 예약됨" in staff.last_text
    await staff.press("#1")
    assert "예약:" in staff.last_text and "받는 사람" in staff.last_text
    await staff.press("⏸ 일시 정지")  # from the detail this time: the detail is shown again
    assert "#1</b> · 일시 정지" in staff.last_message["html"] and "◀ 목록으로" in staff.buttons
    await staff.press("▶ 다시 보내기")
    assert "▶ 다시 보내기" not in staff.buttons and "⏸ 일시 정지" in staff.buttons
    await staff.press("✖ 취소")
    assert "취소하시겠습니까?" in staff.last_text and "4명에게는" in staff.last_text
    await staff.press("아니요, 계속 보냅니다")
    assert (await broadcast_row(db, 1)).status == "scheduled"
    await staff.press_data(staff.last_message["message_id"], "bl:cx:1")
    await staff.press("✖ 네, 취소합니다")
    assert "4명에게는 보내지 않습니다" in staff.last_text
    assert {(r.status, r.last_error) for r in await deliveries(db, 1)} == {("skipped", "cancelled")}
    await broadcast_tick(bot)
    report = await staff.expect("취소: 결과 보고")
    assert "취소되어 보내지 않음: 4명" in report["text"]
    await staff.press_data(staff.last_message["message_id"], "bl:rs:1")
    assert "바뀌었습니다" in staff.callback_answers[-1]["text"]


async def test_a_non_urgent_broadcast_respects_students_quiet_hours(bot, sandbox, db):
    await students(sandbox)
    staff = await staff_member(sandbox)
    await compose(staff)
    await staff.press("👥 역할")
    await staff.press("학생")
    await staff.press("교사")
    await staff.press("받는 사람 선택으로")
    assert "긴급 아님: 학생은 08:00–21:00에만" in staff.last_text
    before = utcnow()
    await staff.press("📤 지금 보내기")
    await staff.press("✅ 지금 보내기")
    due = {r.due_at for r in await deliveries(db, 1)}
    expected = student_due(before)
    if expected == {"now"}:
        assert all(before <= d <= utcnow() for d in due)
    else:
        assert due == expected


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
    for data in ("bc:p:1", "bl:ps:1", "bl:csv:1"):
        await minji.press_data(minji.last_message["message_id"], data)
        assert STALE in minji.callback_answers[-1]["text"]
    for data in ("bc:rt:1:99", "bc:zz:1", "bc:p:2", "bc:gt:1:7", "bc:st:1:999999:0", "bc:p"):
        await staff.press_data(panel, data)
        assert STALE in staff.callback_answers[-1]["text"], data
    await staff.press("🗑 버리기")
    assert "아무것도 보내지 않았습니다" in staff.last_text
    await staff.press_data(panel, "bc:r:1")
    assert STALE in staff.callback_answers[-1]["text"]
    async with db.read() as conn:
        assert await conn.scalar(select(Broadcast.id)) is None
    # /cancel while writing leaves nothing to send.
    await staff.send("/broadcast")
    await staff.send("/cancel")
    await staff.send("그냥 검색어")
    assert "새 공지" not in staff.last_text
    assert await deliveries(db) == []


# ----- teachers and sites: the same flow, their own people only -------------------------------


async def test_a_teacher_reaches_only_their_schools_students(bot, sandbox, db):
    people = await students(sandbox)
    async with db.write() as conn:
        for user_id, school in ((TEACHER, "정발중학교"), (OTHER_TEACHER, "백석중학교")):
            school_id = await conn.scalar(select(School.id).where(School.name == school))
            await conn.execute(
                insert(User).values(
                    id=user_id, role="teacher", name="선생님", school_id=school_id, grades=""
                )
            )
        baekseok = await conn.scalar(select(School.id).where(School.name == "백석중학교"))
    teacher = sandbox.user(TEACHER, "선영")
    await teacher.send("/help")
    assert "/broadcast" in teacher.last_text
    await teacher.send("/broadcast")
    assert "우리 학교 학생에게 보냅니다" in teacher.last_text
    await teacher.send("내일 체험 안내입니다")
    await panel_shown(teacher)
    text, buttons = teacher.last_text, teacher.buttons
    assert "학교: 정발중학교" in text and "받는 사람: 3명 (학생 3)" in text
    assert "🎓 학년" in buttons and not any(
        b.startswith(("🏫", "🌐", "🚨", "👥", "📍", "🏢", "📚")) for b in buttons
    )
    panel = teacher.last_message["message_id"]
    broadcast_id = await latest_broadcast(db)
    for data in (
        f"bc:e:{broadcast_id}",
        f"bc:u:{broadcast_id}",
        f"bc:st:{broadcast_id}:{baekseok}:0",
        f"bc:rt:{broadcast_id}:1",
        f"bc:f:{broadcast_id}",
    ):
        await teacher.press_data(panel, data)
        assert STALE in teacher.callback_answers[-1]["text"], data
    await teacher.press("🎓 학년")
    await teacher.press("2학년")
    await teacher.press("받는 사람 선택으로")
    assert "받는 사람: 2명" in teacher.last_text
    await teacher.press("📤 지금 보내기")
    await teacher.press("✅ 지금 보내기")
    assert [r.user_id for r in await deliveries(db, broadcast_id)] == [8102, 8103]
    assert (await broadcast_row(db, broadcast_id)).urgent is False
    # Another school's teacher sees none of it and cannot steer it.
    other = sandbox.user(OTHER_TEACHER, "도현")
    await other.send("/broadcasts")
    assert "아직 없습니다" in other.last_text
    await other.press_data(other.last_message["message_id"], f"bl:ps:{broadcast_id}")
    assert STALE in other.callback_answers[-1]["text"]
    assert (await broadcast_row(db, broadcast_id)).status in ("sending", "done")
    assert 8111 in people


async def test_a_site_reaches_only_students_booked_on_its_sessions(bot, sandbox, db):
    await students(sandbox)
    async with db.write() as conn:
        programs = (
            await conn.execute(select(Program.id, Program.site_id).order_by(Program.id))
        ).all()
        ours, theirs = programs[0], next(p for p in programs if p.site_id != programs[0].site_id)
        await conn.execute(
            insert(User).values(id=SITE_USER, role="site", name="담당", site_id=ours.site_id)
        )
        sessions = {}
        for program in (ours, theirs):
            start = utcnow() + timedelta(days=5)
            sessions[program.id] = (
                await conn.execute(
                    insert(Session)
                    .values(
                        program_id=program.id,
                        starts_at=start,
                        ends_at=start + timedelta(hours=2),
                        capacity=10,
                    )
                    .returning(Session.id)
                )
            ).scalar_one()
        for student, program, status in (
            (8101, ours.id, "confirmed"),
            (8102, ours.id, "requested"),
            (8103, ours.id, "cancelled"),
            (8111, theirs.id, "confirmed"),
        ):
            school = await conn.scalar(select(User.school_id).where(User.id == student))
            await conn.execute(
                insert(Booking).values(
                    session_id=sessions[program],
                    student_id=student,
                    school_id=school,
                    booked_by=student,
                    status=status,
                )
            )
    site = sandbox.user(SITE_USER, "체험처")
    await site.send("/broadcast")
    assert "우리 체험처 회차에 예약한 학생" in site.last_text
    await site.send("준비물 안내")
    await panel_shown(site)
    assert "받는 사람: 2명 (학생 2)" in site.last_text
    panel = site.last_message["message_id"]
    broadcast_id = await latest_broadcast(db)
    await site.press_data(panel, f"bc:fp:{broadcast_id}:{theirs.id}")
    assert STALE in site.callback_answers[-1]["text"]
    await site.press_data(panel, f"bc:fs:{broadcast_id}:{sessions[theirs.id]}")
    assert STALE in site.callback_answers[-1]["text"]
    await site.press("📚 프로그램 / 회차")
    assert "어느 프로그램인가요?" in site.last_text
    await site.press_data(site.last_message["message_id"], f"bc:fp:{broadcast_id}:{ours.id}")
    assert "학생 2명" in " ".join(site.buttons)
    await site.press("학생 2명")
    assert "회차에 예약한 학생" in site.last_text and "받는 사람: 2명" in site.last_text
    await site.press("📤 지금 보내기")
    await site.press("✅ 지금 보내기")
    assert [r.user_id for r in await deliveries(db, broadcast_id)] == [8101, 8102]
