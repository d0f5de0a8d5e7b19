"""A site prints who comes, end to end: from the session's view, an XLSX of the whole roster
(students who applied themselves and class seats, with each class's teacher) and one of a
single class booking; only for the site's own sessions; every file an audited read."""

from __future__ import annotations

import io

import aiohttp
from openpyxl import load_workbook
from sqlalchemy import select, update

from handlers.sessions import buttons
from storage.models import AuditEntry, Booking, Session
from tests.conftest import join_as_student
from tests.test_sessions_e2e import STALE, TEACHER, book, site_world, the_site
from tests.world_helpers import add_teacher


async def class_world(db, sandbox) -> dict:
    """Our site's session in three days, 30 seats: 박선영's class of 정발중학교 (김민지 on
    Telegram, 이도윤 by a typed name, one seat unnamed), 이서준 on his own (awaiting his
    teacher), 최하나 on the waiting list (not coming, so not on the roster)."""
    w = await site_world(db)
    async with db.write() as conn:
        await conn.execute(update(Session).where(Session.id == w["later"]).values(capacity=30))
    await add_teacher(db, sandbox, TEACHER, "박선영")
    await join_as_student(sandbox, 7111, "김민지")
    await join_as_student(sandbox, 7112, "이서준", grade=1)
    await join_as_student(sandbox, 7113, "최하나")
    w["first_seat"] = await book(db, w["later"], 7111, by=TEACHER)
    await book(db, w["later"], None, name="이도윤", by=TEACHER)
    await book(db, w["later"], None, by=TEACHER)
    await book(db, w["later"], 7112, "requested")
    await book(db, w["later"], 7113, "waitlisted")
    return w


async def received(sandbox, person) -> tuple[dict, object]:
    """The newest file the person got, and its workbook."""
    message = person.last_message
    async with aiohttp.ClientSession() as http:
        url = f"{sandbox.url}/sandbox/files/{message['document']['file_id']}"
        async with http.get(url) as response:
            return message, load_workbook(io.BytesIO(await response.read()), read_only=True)


def rows_of(book, sheet: str) -> list[tuple]:
    return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]


async def file_reads(db) -> list[dict]:
    """The details of the roster reads as files (a view of the session is one too, not a file)."""
    async with db.read() as conn:
        found = await conn.scalars(
            select(AuditEntry.detail)
            .where(AuditEntry.action == "read", AuditEntry.object_type == "roster")
            .order_by(AuditEntry.id)
        )
        return [d for d in found if d.get("file")]


async def test_a_site_prints_the_session_roster_with_the_class_teacher(bot, sandbox, db):
    w = await class_world(db, sandbox)
    site = await the_site(sandbox)
    await site.press("2. ")
    assert "📄 명단 파일 (엑셀)" in site.buttons
    assert "📄 정발중학교 반 명단 · 박선영" in site.buttons
    assert await file_reads(db) == []

    await site.press("📄 명단 파일 (엑셀)")
    message, book = await received(sandbox, site)
    assert message["document"]["file_name"].endswith(f"-{w['later']}.xlsx")
    caption = message["caption"]
    assert "해양 생물 관찰" in caption and "4명" in caption
    assert "정발중학교 반 예약: 3석 · 박선영 선생님" in caption
    assert str(TEACHER) not in caption  # a mention: the link, not the number, is shown
    assert f"tg://user?id={TEACHER}" in message["html"]
    assert book.sheetnames == ["명단", "반 예약"]
    rows = rows_of(book, "명단")
    assert rows[0] == ("번호", "이름", "학교", "학년", "구분", "상태", "인솔 교사", "출석", "확인")
    people = {r[1]: r[2:7] for r in rows[1:]}
    assert people["김민지"] == ("정발중학교", 2, "반 예약", "확정", "박선영")
    assert people["이도윤"] == ("정발중학교", None, "반 예약", "확정", "박선영")
    assert people["(이름 미정)"] == ("정발중학교", None, "반 예약", "확정", "박선영")
    assert people["이서준"] == ("정발중학교", 1, "개인 신청", "선생님 확인 대기", None)
    assert "최하나" not in people and len(rows) == 5  # the waiting list is not coming
    assert rows_of(book, "반 예약") == [
        ("학교", "교사", "좌석", "이름 미정 좌석"),
        ("정발중학교", "박선영", 3, 1),
    ]
    assert await file_reads(db) == [{"answer": "shown", "rows": 4, "file": True}]

    await site.press("📄 정발중학교 반 명단")
    message, book = await received(sandbox, site)
    assert "정발중학교 반 예약: 3석" in message["caption"] and "3명" in message["caption"]
    assert book.sheetnames == ["명단", "교사"]
    rows = rows_of(book, "명단")
    assert rows[0] == ("번호", "이름", "학년", "상태", "출석", "확인")
    assert sorted(r[1] for r in rows[1:]) == ["(이름 미정)", "김민지", "이도윤"]
    assert rows_of(book, "교사")[1] == ("정발중학교", "박선영", 3, 1)
    assert (await file_reads(db))[-1] == {
        "answer": "shown",
        "rows": 3,
        "file": True,
        "booking": w["first_seat"],
    }


async def test_only_the_sites_own_rosters_and_old_buttons_are_answered(bot, sandbox, db):
    w = await class_world(db, sandbox)
    site = await the_site(sandbox)
    await site.press("2. ")
    shown = site.last_message["message_id"]

    # Another site's session, by forged buttons: as if it were missing.
    await site.press_data(shown, buttons.ROSTER_FILE.pack(w["their_session"]))
    assert site.callback_answers[-1]["text"] == STALE
    await site.press_data(shown, buttons.CLASS_ROSTER.pack(w["their_session"], w["first_seat"]))
    assert site.callback_answers[-1]["text"] == STALE
    # A class booking given back since the button was shown.
    async with db.write() as conn:
        await conn.execute(
            update(Booking)
            .where(Booking.session_id == w["later"], Booking.booked_by == TEACHER)
            .values(status="cancelled")
        )
    await site.press("📄 정발중학교 반 명단")
    assert site.callback_answers[-1]["text"] == "그 반 예약은 이제 이 회차에 없습니다."
    assert await file_reads(db) == []  # nothing was read

    # A student cannot press a site's button at all.
    minji = sandbox.user(7111, "민지")
    await minji.press_data(shown, buttons.ROSTER_FILE.pack(w["later"]))
    assert minji.callback_answers[-1]["text"] == "이 버튼은 이제 쓸 수 없어요."
    assert not any(m.get("document") for m in minji.bot_messages)
