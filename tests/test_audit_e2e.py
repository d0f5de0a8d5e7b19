"""/audit end to end through the sandbox, on both databases: staff find a student by name
among others of that name, see who read or changed what about him (his joining and consent,
his guardian's consent, his booking, a teacher reading the pending requests while his was in
them and the consent list that showed him, and confirming his booking) page by page, newest
first, over the period they choose, and get the same as an XLSX file in plain Korean (no
codes, columns as wide as their content); every look is itself an audited read. A student
and a teacher are refused /audit (and the refusal audited, named in words); an entry outside
the period is not shown; an old, forged or another staff member's button gets the stale
answer. A student erased and joining again with the same Telegram account has a new trail:
nothing of the erased account is tied to the new one, by trail or by name.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so the teacher's
notice of a new request comes at once.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, update

from handlers.audit.buttons import EXPORT, PERSON, TRAIL
from handlers.bookings.buttons import APPLY
from storage import audit
from storage.models import AuditEntry, Booking, User, utcnow
from storage.school_year import year_start as school_year_start
from storage.spreadsheet import cell_width
from tests.conftest import ADMIN_ID, KST, join_as_student
from tests.test_consent_e2e import E164, consent_link
from tests.world_helpers import (
    add_program,
    add_session,
    add_site,
    add_teacher,
    school_named,
    student_row,
)

pytestmark = pytest.mark.usefixtures("tuesday_morning")

SEOJUN, NAMESAKE, TEACHER, MOTHER, OTHER_STAFF = 771001, 771002, 771101, 771201, 771301
JIHO = 771401
STALE_ADULT = "이 버튼은 이제 쓸 수 없습니다"
GONE = "더 이상 등록되어 있지 않은 사람"
GUEST = "가입하지 않은 사람(보호자 등)"
PENDING_READS = 7  # the teacher opens /pending this often while Seojun's request waits


# ----- the world --------------------------------------------------------------------------------


async def seojun_books_and_is_confirmed(db, sandbox):
    """Seojun (under 14) joins, his mother consents, he applies, the teacher reads the
    pending requests a few times and the consent list once, and confirms his. A namesake in
    another school and grade. Returns Seojun's chat, the teacher's and his booking's id."""
    async with db.write() as conn:
        site_id = await add_site(conn, "라디오 방송국", kind="company")
        program_id = await add_program(conn, site_id, "라디오 PD 체험", external_key="라디오|1")
        starts = utcnow().replace(microsecond=0) + timedelta(days=5)
        session_id = await add_session(conn, program_id, starts, capacity=20)
        other_school = await school_named(conn, "백석중학교")
        await conn.execute(insert(User).values(**student_row(NAMESAKE, "이서준", other_school, 3)))
    teacher = await add_teacher(db, sandbox, TEACHER, "박선영")
    seojun = await join_as_student(sandbox, SEOJUN, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(MOTHER, "서준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.press("부모이며, 동의합니다")
    await mother.share_contact()
    await seojun.expect("보호자가 동의해 주셨어요")
    await seojun.press_data(seojun.last_message["message_id"], APPLY.pack(session_id))
    await teacher.expect("새 체험 신청")
    for _ in range(PENDING_READS):
        await teacher.send("/pending")
        assert "1. 이서준 (1학년)" in teacher.last_text
    await teacher.send("/consents")
    assert "이서준" in teacher.last_text
    await teacher.send("/pending")  # the list to press from
    await teacher.press("✅ 1. 이서준")
    async with db.read() as conn:
        booking_id = await conn.scalar(select(Booking.id).where(Booking.student_id == SEOJUN))
        status = await conn.scalar(select(Booking.status).where(Booking.id == booking_id))
    assert status == "confirmed"
    # The news comes through the outbox, in its own time: waited for here, so that it does
    # not arrive between a later message of Seojun's and the answer the test reads.
    await seojun.expect("선생님이 체험 신청을 승인했어요", timeout=10)
    return seojun, teacher, booking_id


async def entries(db) -> list:
    async with db.read() as conn:
        found = await conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id))
        return list(found.all())


async def seojuns(db, booking_id: int, since: datetime, until: datetime) -> list:
    """The entries about Seojun in this world, picked the plain way: his own, those about
    him, about his booking, the teacher's reads of the pending list while it waited and of
    the consent list that showed him."""
    async with db.read() as conn:
        booking = (
            await conn.execute(select(Booking.__table__).where(Booking.id == booking_id))
        ).one()
    return [
        e
        for e in await entries(db)
        if since <= e.at < until
        and (
            e.actor_id == SEOJUN
            or (e.object_type == "user" and e.object_id == str(SEOJUN))
            or (e.object_type == "booking" and e.object_id == str(booking_id))
            or (
                e.action == "read"
                and e.object_type == "pending"
                and booking.created_at <= e.at < booking.decided_at
            )
            or (e.object_type == "consents" and SEOJUN in e.detail.get("student_ids", []))
        )
    ]


async def joined_long_ago(db, *ids: int) -> None:
    """These people's rows as if made 500 days ago: entries that old can be theirs (the
    log ties nothing older than a person's row to them)."""
    async with db.write() as conn:
        await conn.execute(
            update(User).where(User.id.in_(ids)).values(created_at=utcnow() - timedelta(days=500))
        )


def text_of(user, message_id: int) -> str:
    """A message's text as it is now (pressing a button edits it)."""
    [message] = [m for m in user.bot_messages if m["message_id"] == message_id]
    return message["text"]


def total_of(text: str) -> int:
    return int(re.search(r"기록 (\d+)건", text).group(1))


def shown_lines(text: str) -> list[tuple[str, str]]:
    """A trail page's entries: (who with their role, what with its object)."""
    return [(who, what) for who, what in re.findall(r"\n\d+\. [^\n]+? · ([^\n]+)\n([^\n]+)", text)]


def handle_on(user) -> int:
    """The trail on screen: the handle its page buttons carry."""
    for row in user.last_message["reply_markup"]["inline_keyboard"]:
        for button in row:
            for spec in (TRAIL, EXPORT):
                found = spec.match(button.get("callback_data", ""))
                if found:
                    return found[0]
    raise AssertionError("no trail on screen")


async def download(sandbox, message) -> bytes:
    document = message["document"]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['file_id']}") as response:
            return await response.read()


async def file_rows(staff, sandbox) -> tuple[list[tuple], object]:
    """The trail on screen as its XLSX file: its rows (headers first) and its sheet."""
    await staff.press("XLSX")
    message = await staff.expect("감사 기록 ")
    sheet = load_workbook(io.BytesIO(await download(sandbox, message))).worksheets[0]
    return list(sheet.iter_rows(values_only=True)), sheet


# ----- staff read a student's trail --------------------------------------------------------------


async def test_staff_read_a_students_trail_by_page_and_as_a_file(bot, sandbox, db):
    _, _, booking_id = await seojun_books_and_is_confirmed(db, sandbox)
    await joined_long_ago(db, SEOJUN, TEACHER)
    now = utcnow()
    async with db.write() as conn:  # older entries about him: 8 days and 400 days ago
        await audit.record(
            conn, TEACHER, "consent.reminded", "user", SEOJUN, now=now - timedelta(days=8)
        )
        await audit.record(
            conn, TEACHER, "consent.paper", "user", SEOJUN, now=now - timedelta(days=400)
        )

    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    await staff.send("/audit")
    assert "누구의 기록을 보시겠습니까" in staff.last_text
    await staff.send("서준")  # part of the name: both of that name, told apart
    assert "이름에 “서준” 글자가 들어간 사람: 2명" in staff.last_text
    assert "이서준 · 학생 · 정발중학교 1학년" in staff.last_text
    assert "이서준 · 학생 · 백석중학교 3학년" in staff.last_text
    for row in staff.last_message["reply_markup"]["inline_keyboard"]:  # no Telegram id
        assert all(str(SEOJUN) not in b["callback_data"] for b in row)
    await staff.press("정발중학교 1학년")
    trail_id = staff.last_message["message_id"]

    # The last 30 days: newest first, ten a page.
    text = staff.last_text
    assert "감사 기록" in text and "이서준 · 학생 · 정발중학교 1학년" in text
    assert "최근 30일" in text
    month_start = datetime.combine(
        now.astimezone(KST).date() - timedelta(days=29), time(0), tzinfo=KST
    )
    expected = await seojuns(db, booking_id, month_start, now)
    # join, asked, given, requested; the teacher's reads of the pending list (and once more
    # to confirm) and of the consent list; confirmed; the reminder of 8 days ago
    assert len(expected) == 4 + (PENDING_READS + 1) + 1 + 1 + 1
    assert total_of(text) == len(expected)
    first, second = text.split("\n1. ", 1)[1].split("\n2. ", 1)
    assert "신청 승인 · #" in first and "박선영 (선생님)" in first  # "신청" said once
    assert "2쪽 중 1쪽" in text and "\n10. " in text and "\n11. " not in text
    assert "승인 대기 신청 열람 · 학교 정발중학교" in text
    assert "보호자 동의 현황 열람 · 학교 정발중학교" in text  # the page that showed him
    assert ("박선영 (선생님)", "보호자 동의 현황 열람 · 학교 정발중학교") in shown_lines(text)
    handle = handle_on(staff)

    await staff.press("다음 ▶")
    text = staff.last_text
    assert "2쪽 중 2쪽" in text and "\n11. " in text and "\n1. " not in text
    assert "학생 가입 · 이서준" in text and "보호자 동의 요청 · 이서준" in text
    assert (GUEST, "보호자 동의 · 이서준") in shown_lines(text)  # his mother
    assert "학생에게 동의 요청 재안내" in text  # 8 days ago
    assert "종이 동의서 기록" not in text  # 400 days ago
    await staff.press("◀ 이전")
    assert "2쪽 중 1쪽" in staff.last_text

    # The file: the same entries, all of them, in words.
    rows, sheet = await file_rows(staff, sandbox)
    message = staff.last_message
    assert message["document"]["file_name"] == f"jinro-audit-{now.astimezone(KST):%Y%m%d}.xlsx"
    assert rows[0][:3] == ("일시", "행위자", "역할")  # the reader's language: Korean
    assert len(rows) - 1 == len(expected)
    confirmed = [r for r in rows[1:] if r[3] == "신청 승인"]
    assert len(confirmed) == 1
    assert confirmed[0][1:3] == ("박선영", "선생님") and confirmed[0][4] == "신청"
    assert isinstance(confirmed[0][0], datetime)
    assert [r[0] for r in rows[1:]] == sorted((r[0] for r in rows[1:]), reverse=True)
    by_what = {r[3]: r for r in rows[1:]}
    assert by_what["승인 대기 신청 열람"][4:] == (
        "학교",
        "정발중학교",
        "결과: 표시, 쪽: 1, 표시 건수: 1, 겹치는 일정 표시 건수: 0",
    )
    assert by_what["보호자 동의"][4:] == (
        "사람",
        "이서준",
        "보호자 확인 방법: 텔레그램 본인 번호 공유, 보호자 관계: 부모",
    )
    assert by_what["보호자 동의 현황 열람"][6] == "결과: 표시, 쪽: 1, 표시 건수: 1, 표시 학생 수: 1"
    for row in rows[1:]:  # no codes: kinds in Korean words, every detail's key known
        assert not re.search(r"[A-Za-z_]", row[4] or ""), row
        assert "=" not in (row[6] or ""), row
    # Each column as wide as its widest cell (a date-time is no "####").
    for index, letter in enumerate("ABCDEFG"):
        widest = max(cell_width(row[index]) for row in rows)
        assert sheet.column_dimensions[letter].width >= min(widest, 80), (letter, widest)
    assert sheet.column_dimensions["A"].width >= 19

    # Another period: the last 7 days leave the entry of 8 days ago out.
    await staff.press("최근 7일")
    assert total_of(text_of(staff, trail_id)) == len(expected) - 1
    await staff.press("이번 학년도")
    year_start = school_year_start(now.astimezone(KST).date())
    in_year = now - timedelta(days=8) >= datetime.combine(year_start, time(0), tzinfo=KST)
    assert total_of(text_of(staff, trail_id)) == len(expected) - (0 if in_year else 1)
    assert "• 이번 학년도" in staff.buttons

    # Each look was an audited read, with ids and counts only.
    reads = [e for e in await entries(db) if e.actor_id == ADMIN_ID and e.action == "read"]
    kinds = [(e.object_type, e.object_id) for e in reads]
    assert ("audit_people", None) in kinds
    assert kinds.count(("audit_trail", str(SEOJUN))) == 2 + 3  # opened thrice, paged twice
    assert ("audit_file", str(SEOJUN)) in kinds
    opening = next(e for e in reads if e.id == handle)
    assert opening.detail == {
        "answer": "shown",
        "period": "month",
        "page": 0,
        "rows": 10,
        "total": len(expected),
    }
    file_read = next(e for e in reads if e.object_type == "audit_file")
    assert file_read.detail["rows"] == len(expected) and file_read.detail["view"] == handle

    # Everything in a period, from the question.
    await staff.send("/audit")
    await staff.press("전체: 최근 7일")
    assert "감사 기록 · 전체\n" in staff.last_text and "최근 7일" in staff.last_text
    assert total_of(staff.last_text) > len(expected)
    # staff's own looks, named in words: no object kind twice, no codes
    assert "감사 기록 열람 · 이서준" in staff.last_text
    assert "감사 기록 대상자 검색\n" in staff.last_text


# ----- refusals, old and forged buttons ---------------------------------------------------------


async def test_only_staff_use_audit_and_old_or_forged_buttons_are_refused(bot, sandbox, db):
    seojun, teacher, _ = await seojun_books_and_is_confirmed(db, sandbox)
    await seojun.send("/audit")
    assert "이 기능은 쓸 수 없어요" in seojun.last_text
    await teacher.send("/audit")
    assert "이 기능은 사용하실 수 없습니다" in teacher.last_text
    refusals = [
        e.actor_id
        for e in await entries(db)
        if e.action == "command.refused" and e.object_id == "audit"
    ]
    assert refusals == [SEOJUN, TEACHER]
    await seojun.send("/stats")  # any command a role lacks is refused the same way
    assert "이 기능은 쓸 수 없어요" in seojun.last_text
    (stats,) = [e for e in await entries(db) if e.object_id == "stats"]
    assert (stats.action, stats.actor_id, stats.detail) == (
        "command.refused",
        SEOJUN,
        {"answer": "not_allowed"},
    )

    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    await staff.send("/audit 이서준")  # the name with the command
    await staff.press("정발중학교 1학년")
    handle = handle_on(staff)
    assert "명령어 사용 거부 · /audit" in staff.last_text  # his own refusal is on his trail
    message_id = staff.last_message["message_id"]

    # A student presses the staff's button: refused like a stale one, and audited.
    await seojun.press_data(seojun.last_message["message_id"], TRAIL.pack(handle, 1))
    assert "쓸 수 없어요" in seojun.callback_answers[-1]["text"]
    # Forged and missing trails, a trail another staff member opened, tampered data.
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=OTHER_STAFF, role="staff", name="김담당"))
    other = sandbox.user(OTHER_STAFF, "담당")
    await other.send("/help")
    await other.press_data(other.last_message["message_id"], TRAIL.pack(handle, 0))
    assert STALE_ADULT in other.callback_answers[-1]["text"]
    await other.press_data(other.last_message["message_id"], EXPORT.pack(handle))
    assert STALE_ADULT in other.callback_answers[-1]["text"]
    for data in (TRAIL.pack(handle + 1000, 0), "au:t:0:0", "au:t:abc:0", "au:x:" + "9" * 30):
        await staff.press_data(message_id, data)
        assert STALE_ADULT in staff.callback_answers[-1]["text"], data
    # A person's button once the list it was picked from is gone (another step since).
    await staff.send("/audit")
    await staff.send("서준")
    listed = staff.last_message
    pick = listed["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert PERSON.match(pick)
    await staff.send("/invite")  # a flow of its own replaces the name typed
    await staff.press_data(listed["message_id"], pick)
    assert STALE_ADULT in staff.callback_answers[-1]["text"]
    refused = [e for e in await entries(db) if e.action == "button.refused"]
    assert {e.actor_id for e in refused} == {SEOJUN, OTHER_STAFF, ADMIN_ID}
    assert len(refused) == 1 + 2 + 4 + 1
    # The staff member's own trail still answers where it was.
    answers = len(staff.callback_answers)
    await staff.press_data(message_id, TRAIL.pack(handle, 0))
    assert not any(a.get("text") for a in staff.callback_answers[answers:])
    assert "감사 기록" in text_of(staff, message_id) and "명령어 사용 거부" in text_of(
        staff, message_id
    )

    # The refused presses in words: the area whose button it was, or only "button" for data
    # that matched none; the answer and the button's number in the file, never a code.
    await staff.send("/audit")
    await staff.press("전체: 최근 7일")
    text = staff.last_text
    assert "버튼 사용 거부 · 감사 기록(담당자)" in text and "au:" not in text
    assert any(what == "버튼 사용 거부" for _, what in shown_lines(text))  # "au:t:abc:0"
    rows, _ = await file_rows(staff, sandbox)
    pressed = [r for r in rows[1:] if r[3] == "버튼 사용 거부"]
    assert len(pressed) == len(refused)
    assert {r[4] for r in pressed} == {"버튼"}
    assert {r[5] or "" for r in pressed} == {"감사 기록(담당자)", ""}
    assert {r[6].split(",")[0] for r in pressed} == {"결과: 지난 버튼 또는 위조된 버튼"}
    assert any(r[6].endswith(f"버튼 속 번호: {handle}") for r in pressed)


# ----- an erased account that joins again ------------------------------------------------------


async def test_an_erased_student_joining_again_has_a_new_trail(bot, sandbox, db):
    """Jiho joins and asks for his data, erases it, and later joins again with the same
    Telegram account under the same name: the log still holds the old entries under his
    Telegram id, but they are never his new account's: not on its trail, not by its name,
    nor as the bare account he is between leaving and joining again."""
    jiho = await join_as_student(sandbox, JIHO, "이지호")
    await jiho.send("/mydata")
    await jiho.expect("보관 중인 내 정보")
    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    await staff.send("/audit 이지호")  # his trail, opened while he is here
    await staff.press("정발중학교 2학년")
    before, before_id = handle_on(staff), staff.last_message["message_id"]
    assert total_of(staff.last_text) == 2
    await jiho.send("/deleteme")
    await jiho.press("네, 내 정보를 삭제해요")
    assert "정보를 삭제했어요" in jiho.last_text
    old = [e for e in await entries(db) if e.actor_id == JIHO]
    assert [e.action for e in old] == ["student.join", "mydata.sent", "person.erased"]

    # Back before joining: a bare account again, which his old entries are not.
    await jiho.send("/start")
    await staff.send("/audit")
    await staff.press("전체: 최근 7일")
    lines = shown_lines(staff.last_text)
    assert (GONE, "학생 가입 · " + GONE) in lines
    assert (GONE, "본인 정보 제공 · " + GONE) in lines
    assert (GONE, "개인정보 삭제 · " + GONE) in lines  # the person said once
    assert GUEST not in staff.last_text

    # He joins again, the same name: his trail is the new account's alone.
    await join_as_student(sandbox, JIHO, "이지호")
    async with db.read() as conn:
        since = await conn.scalar(select(User.created_at).where(User.id == JIHO))
    theirs = [
        e
        for e in await entries(db)
        if e.at >= since
        and JIHO in (e.actor_id, _number(e.object_id))
        and e.object_type in (None, "user")
    ]
    assert [e.action for e in theirs] == ["student.join"]
    await staff.send("/audit 이지호")
    await staff.press("정발중학교 2학년")
    text = staff.last_text
    assert "감사 기록 · 이지호 · 학생 · 정발중학교 2학년" in text
    assert total_of(text) == 1 and shown_lines(text) == [("이지호 (학생)", "학생 가입 · 이지호")]
    rows, _ = await file_rows(staff, sandbox)
    assert [r[3] for r in rows[1:]] == ["학생 가입"]
    # The trail opened before he was erased: no longer his, nor anyone's now.
    await staff.press_data(before_id, TRAIL.pack(before, 0))
    assert "감사 기록 · " + GONE in text_of(staff, before_id)
    assert "이 기간에는 기록이 없습니다" in text_of(staff, before_id)

    # Everything: the old entries name no one now registered, the new one names him.
    await staff.send("/audit")
    await staff.press("전체: 최근 7일")
    rows, _ = await file_rows(staff, sandbox)
    joined = [r[1:3] + r[5:6] for r in rows[1:] if r[3] == "학생 가입"]
    assert joined == [("이지호", "학생", "이지호"), (GONE, None, GONE)]  # newest first
    erased = [r for r in rows[1:] if r[3] == "개인정보 삭제"]
    assert [(r[1], r[4], r[5]) for r in erased] == [(GONE, "사람", GONE)]
    assert "사유: 본인 요청" in erased[0][6]


def _number(object_id: str | None) -> int | None:
    return int(object_id) if object_id and object_id.isdigit() else None
