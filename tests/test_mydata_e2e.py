"""/mydata end to end through the sandbox on both databases: anyone gets a short summary in
the chat and the full copy of what is kept about them twice, as a plain text file to read
(every section in words, in their language) and as the JSON file (keys and codes as they
were), with nothing of anyone else (not the other party's words in a case, not a classmate's
name); a guardian is named one, also gets the children they consent for (by name, school
and grade), and that read is audited; a teacher and a guest get their own small copy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import insert, select

from storage import cases
from storage import consent as consent_store
from storage.models import AuditEntry, MentorRequest, SurveyAnswer, User, utcnow
from tests.conftest import KST, join_as_student
from tests.world_helpers import (
    add_program,
    add_session,
    add_site,
    add_teacher,
    book_seat,
    school_named,
    student_row,
)

E164 = "+821023456789"
THEIR_WORDS = "버스가 9시에 출발한다고 전해 주세요"  # the teacher's line in the case


async def ask_mydata(person, sandbox) -> tuple[str, dict, str, str]:
    """The person sends /mydata: the summary's text, the file's content (parsed and as
    text) and the file's name."""
    before = datetime.now(KST).date()
    await person.send("/mydata")
    # Other news (a case notice from the outbox) may come in between: look for each.
    summary = next(
        m for m in reversed(person.bot_messages) if "보관 중인 내 정보" in (m["text"] or "")
    )
    sent = next(m for m in reversed(person.bot_messages) if m.get("document"))
    document = sent["document"]
    raw = (await downloaded(sandbox, document)).decode("utf-8")
    days = {before, datetime.now(KST).date()}  # a test that runs across midnight
    assert document["file_name"] in {f"jinro-mydata-{day:%Y-%m-%d}.json" for day in days}
    return summary["text"], json.loads(raw), raw, document["file_name"]


async def downloaded(sandbox, document: dict) -> bytes:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['file_id']}") as response:
            return await response.read()


async def readable_copy(person, sandbox) -> str:
    """The text file /mydata sent just before the JSON one: the same copy, to read."""
    documents = [m["document"] for m in person.bot_messages if m.get("document")]
    text, json_file = documents[-2:]
    assert text["file_name"] == json_file["file_name"].removesuffix(".json") + ".txt"
    content = await downloaded(sandbox, text)
    assert content.startswith("\ufeff".encode())  # a BOM: Windows' Notepad reads it as UTF-8
    return content.decode("utf-8-sig")


async def audit_entries(db, action: str, actor_id: int) -> list:
    async with db.read() as conn:
        rows = await conn.execute(
            select(AuditEntry.__table__).where(
                AuditEntry.action == action, AuditEntry.actor_id == actor_id
            )
        )
    return list(rows.all())


async def a_programme(conn) -> tuple[int, int]:
    """A programme at a site with a session in three days and one a week ago: their ids."""
    site_id = await add_site(conn, "바다 체험관")
    program_id = await add_program(conn, site_id, "해양 생물 관찰", external_key="바다|해양")
    now = utcnow()
    later = await add_session(conn, program_id, now + timedelta(days=3), capacity=20)
    past = await add_session(conn, program_id, now - timedelta(days=7), capacity=20)
    return later, past


async def test_a_student_gets_their_own_data_and_nobody_elses(bot, sandbox, db):
    minji = await join_as_student(sandbox, 7001, "김민지")
    await join_as_student(sandbox, 7002, "이서준")  # a classmate on the same session
    await add_teacher(db, sandbox, 7101)  # a party to the case, and its other writer
    now = utcnow()
    async with db.write() as conn:
        later, past = await a_programme(conn)
        booking_id = await book_seat(conn, later, 7001)
        await book_seat(conn, later, 7002)
        attended = await book_seat(conn, past, 7001, attendance="attended")
        await conn.execute(
            insert(SurveyAnswer).values(booking_id=attended, score=5, comment="재미있었어요")
        )
        school_id = await school_named(conn)
        question = "바다 생물 연구원이 되려면 무엇을 공부하나요?"
        await conn.execute(
            insert(MentorRequest).values(
                requester_id=7001,
                school_id=school_id,
                mode="online",
                field="환경",
                question=question,
                status="waiting",
                created_at=now,
            )
        )
        rows = select(User.__table__).where(User.id.in_([7001, 7101])).order_by(User.id)
        student, teacher_row = (await conn.execute(rows)).all()
        opened = await cases.open_case(
            conn, booking_id, student, "schedule", "출발 시간이 바뀌었나요?", now=now
        )
        await cases.post(conn, opened.case_id, teacher_row, THEIR_WORDS, now=now)

    summary, data, raw, _ = await ask_mydata(minji, sandbox)
    assert "역할: 학생" in summary and "이름: 김민지" in summary
    assert "확정: 2건" in summary and "만족도 응답: 1건" in summary
    assert "멘토 요청: 1건" in summary and "사례: 1건" in summary
    assert "학교: 정발중학교 2학년" in summary and "학년: 2" not in summary
    assert "아래 두 파일에 있어요" in summary  # to a student, 해요체

    profile = data["profile"]
    assert (profile["role"], profile["name"], profile["school"], profile["grade"]) == (
        "student",
        "김민지",
        "정발중학교",
        2,
    )
    assert "flow" not in profile and "flow_data" not in profile
    assert [b["programme"] for b in data["bookings"]] == ["해양 생물 관찰"] * 2
    assert {b["attendance"] for b in data["bookings"]} == {"attended", None}
    assert data["bookings"][0]["session_start"].endswith("+09:00")
    assert [(a["score"], a["comment"]) for a in data["survey_answers"]] == [(5, "재미있었어요")]
    assert [r["question"] for r in data["mentor_requests"]] == [question]
    (case,) = data["cases"]
    assert (case["id"], case["role"], case["opened_by_you"]) == (opened.case_id, "student", True)
    assert "출발 시간이 바뀌었나요?" in [line["text"] for line in case["your_messages"]]
    assert "김민지" in raw  # UTF-8 as written, not \\u escapes
    assert THEIR_WORDS not in raw  # the other party's words are theirs
    assert "이서준" not in raw and "박선영" not in raw  # nor anyone else's name
    assert len(await audit_entries(db, "mydata.sent", 7001)) == 1

    # The same copy to read: every section under a Korean heading, every code in words.
    text = await readable_copy(minji, sandbox)
    for heading in ("[기본 정보]", "[설정]", "[검색에서 살펴본 분야]", "[신청]", "[만족도 응답]"):
        assert heading in text
    for heading in ("[멘토 요청]", "[사례]", "[보호자 동의]"):
        assert heading in text
    assert "역할: 학생" in text and "학년: 2학년" in text and "이름: 김민지" in text
    assert "1. 해양 생물 관찰 · 바다 체험관" in text and "상태: 확정" in text
    assert "출석: 참여함" in text and "5점 중 5점 · “재미있었어요”" in text
    assert question in text and "출발 시간이 바뀌었나요?" in text
    assert THEIR_WORDS not in text and "이서준" not in text and "박선영" not in text
    for code in ("confirmed", "attended", "student", "online", "schedule", "None", "null"):
        assert code not in text  # no English codes or empty values left unread


async def test_a_guardian_gets_the_children_they_consent_for(bot, sandbox, db):
    async with db.write() as conn:
        school_id = await school_named(conn)
        for user_id, name in ((7021, "이하늘"), (7022, "이바다")):
            row = student_row(user_id, name, school_id, grade=1) | {"under14": True}
            await conn.execute(insert(User).values(**row))
        found = await conn.execute(select(User.__table__).where(User.id.in_([7021, 7022])))
        tokens = {
            student.id: await consent_store.ask(conn, student, E164, now=utcnow())
            for student in found.all()
        }
        await consent_store.give(
            conn, tokens[7021], None, 7204, relationship="parent", shared_phone=E164, now=utcnow()
        )
        # The other one's guardian said no: that child is not theirs to see.
        await consent_store.decline(conn, tokens[7022], None, 7204, shared_phone=E164, now=utcnow())
        later, _ = await a_programme(conn)
        await book_seat(conn, later, 7021, status="requested")

    mother = sandbox.user(7204, "하늘 엄마", phone_number=E164)
    summary, data, raw, _ = await ask_mydata(mother, sandbox)
    assert "역할: 보호자" in summary and "역할: 없음" not in summary
    assert "동의하신 학생" in summary
    assert "• 이하늘 (정발중학교 1학년): 신청 1건, 사례 0건" in summary
    assert "children" not in summary and "만족도 응답" not in summary  # not a student's
    assert "전달하지 마십시오" in summary  # to an adult, 합니다체
    assert data["profile"]["role"] is None
    (child,) = data["children"]
    assert (child["profile"]["name"], child["profile"]["grade"]) == ("이하늘", 1)
    assert [(b["programme"], b["status"]) for b in child["bookings"]] == [
        ("해양 생물 관찰", "requested")
    ]
    assert child["consents"][0]["guardian_phone"] == "010-****-6789"
    answered = sorted((a["status"], a["student"]) for a in data["consents"])
    assert answered == [("declined", None), ("given", "이하늘")]
    assert "이바다" not in raw and "010-2345-6789" not in raw and E164 not in raw

    text = await readable_copy(mother, sandbox)
    assert "역할: 보호자" in text
    assert "보호자로서 하신 답: 동의하지 않음" in text
    assert "보호자로서 하신 답 (이하늘): 동의함 · 부모" in text
    assert "보호자 휴대전화 번호: 010-****-6789" in text
    assert "===== 동의하신 학생: 이하늘 =====" in text
    child_part = text.split("===== 동의하신 학생: 이하늘 =====")[1]
    assert "이름: 이하늘" in child_part and "학년: 1학년" in child_part
    assert "상태: 선생님 승인 대기" in child_part and "만 14세 미만: 예" in child_part
    assert "이바다" not in text and "010-2345-6789" not in text and E164 not in text
    for code in ("requested", "parent", "given", "declined", "student"):
        assert code not in text

    (read,) = await audit_entries(db, "read", 7204)
    assert (read.object_type, read.object_id) == ("mydata_child", "7021")
    assert read.detail == {"answer": "shown", "bookings": 1, "cases": 0}
    assert len(await audit_entries(db, "mydata.sent", 7204)) == 1


async def test_a_teacher_and_a_guest_get_their_own_small_copy(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 7101, grades="1,3")
    summary, data, _, _ = await ask_mydata(teacher, sandbox)
    assert "역할: 선생님" in summary and "학교: 정발중학교" in summary
    assert "신청: 없음" in summary and "아래 두 파일에 있습니다" in summary
    assert "맡은 학년: 1학년, 3학년" in await readable_copy(teacher, sandbox)
    assert (data["profile"]["role"], data["profile"]["grades"]) == ("teacher", [1, 3])
    assert data["bookings"] == [] and data["consents"] == [] and "children" not in data

    guest = sandbox.user(7301, "손님")
    summary, data, _, _ = await ask_mydata(guest, sandbox)
    assert "역할: 없음" in summary and "동의하신 학생" not in summary
    assert "아래 두 파일에 있어요" in summary  # not a guardian: the polite 해요체
    assert "역할: 없음 (역할을 정해 가입하지 않음)" in await readable_copy(guest, sandbox)
    assert data["profile"]["role"] is None and data["children"] == []
    assert data["settings"] == {"language": "ko", "reminders_off": []}
    assert data["generated_at"].endswith("+09:00")
