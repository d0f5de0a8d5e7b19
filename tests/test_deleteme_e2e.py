"""/deleteme, end to end through the sandbox on both databases: after one confirmation a
student is gone from every table (no row carries their name or Telegram id but the audit
log's actor), their requests and upcoming seats are given back and those who counted on them
told, and what is over stays only as anonymous figures. Text typed while its question is open
is answered in the person's register and the question stays open. A guardian's own erasure
is asked in 합니다체 and lists what is kept of a guardian, not a student's name and school."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, Text, and_, func, insert, or_, select
from sqlalchemy.types import BigInteger, Integer

from storage import cases
from storage import consent as consent_store
from storage.models import Base, Booking, SurveyAnswer, User, utcnow
from storage.tables import consent_requests, programs, sessions
from tests.conftest import join_as_student
from tests.test_mydata_e2e import a_programme, audit_entries
from tests.world_helpers import add_session, add_teacher, book_seat, school_named, student_row

NAME, ID = "김하늘", 7201
SAID = "제 자리를 옮겨 주실 수 있나요?"  # her line in a case
LIKED = "하늘이는 좋았어요"  # her survey comment


async def where_they_remain(db, *, texts: list[str], user_id: int) -> list[str]:
    """Every table and column still holding one of `texts` (any text column) or the id (any
    integer column), the audit log's actor and object ids aside."""
    found = []
    async with db.read() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if table.name == "audit_log" and column.name in ("actor_id", "object_id"):
                    continue
                if isinstance(column.type, String | Text):
                    hit = or_(*(column.contains(text) for text in texts))
                elif isinstance(column.type, Integer | BigInteger):
                    hit = column == user_id
                else:
                    continue
                count = await conn.scalar(select(func.count()).select_from(table).where(hit))
                if count:
                    found.append(f"{table.name}.{column.name}")
    return found


async def a_site_person(conn, session_id: int, user_id: int) -> None:
    """Someone who speaks for the session's site."""
    site_id = await conn.scalar(
        select(programs.c.site_id)
        .join(sessions, sessions.c.program_id == programs.c.id)
        .where(sessions.c.id == session_id)
    )
    values = {"id": user_id, "role": "site", "name": "김담당", "site_id": site_id, "lang": "ko"}
    await conn.execute(insert(User).values(**values))


async def test_a_student_deletes_their_data(bot, sandbox, db):
    haneul = await join_as_student(sandbox, ID, NAME)
    teacher = await add_teacher(db, sandbox, 7301)
    now = utcnow()
    async with db.write() as conn:
        later, past = await a_programme(conn)
        await a_site_person(conn, later, 7401)
        program_id = await conn.scalar(select(sessions.c.program_id).where(sessions.c.id == later))
        waiting = await add_session(conn, program_id, now + timedelta(days=5), capacity=5)
        confirmed = await book_seat(conn, later, ID)
        requested = await book_seat(conn, waiting, ID, status="requested")
        attended = await book_seat(conn, past, ID, attendance="attended")
        await conn.execute(insert(SurveyAnswer).values(booking_id=attended, score=4, comment=LIKED))
        student = (await conn.execute(select(User.__table__).where(User.id == ID))).one()
        await cases.open_case(conn, confirmed, student, "schedule", SAID, now=now)
    site = sandbox.user(7401, "담당자")
    await site.send("/help")  # the site's chat is open, so news reaches it

    await haneul.send("/deleteme")
    assert "내 정보를 삭제할까요?" in haneul.last_text
    await haneul.press("아니요")
    assert "아무것도 지우지 않았어요" in haneul.last_text
    await haneul.send("/deleteme")
    await haneul.press("네, 내 정보를 삭제해요")
    assert "정보를 삭제했어요" in haneul.last_text
    await teacher.expect("자기 정보를 삭제해")
    await site.expect("확정된 자리를 반납했습니다")

    assert await where_they_remain(db, texts=[NAME, SAID, LIKED], user_id=ID) == []
    async with db.read() as conn:
        found = await conn.execute(
            select(Booking.__table__).where(Booking.id.in_([confirmed, attended, requested]))
        )
        rows = {b.id: b for b in found}
        answer = (await conn.execute(select(SurveyAnswer.__table__))).one()
    assert rows[confirmed].status == "cancelled" and rows[requested].status == "cancelled"
    # What is over stays as a figure: the attended booking, its school and its score.
    assert (rows[attended].status, rows[attended].attendance) == ("confirmed", "attended")
    assert {b.student_id for b in rows.values()} == {None} and rows[attended].school_id
    assert (answer.score, answer.comment) == (4, None)
    erased = await audit_entries(db, "person.erased", ID)
    assert len(erased) == 1 and erased[0].detail["reason"] == "self"

    await haneul.send("/start")  # a new start: nobody is remembered
    assert "어떤 분이신가요?" in haneul.last_text


async def test_an_old_delete_button_deletes_nothing(bot, sandbox, db):
    haneul = await join_as_student(sandbox, ID, NAME)
    await haneul.send("/deleteme")
    question = haneul.last_message["message_id"]
    await haneul.send("/help")  # walked away: the question is no longer the open step
    await haneul.send("/cancel")
    await haneul.press_data(question, "dm:y")
    assert haneul.callback_answers[-1]["text"]  # the stale answer
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).where(User.id == ID)) == 1


async def test_text_typed_while_the_question_is_open_keeps_it_open(bot, sandbox, db):
    haneul = await join_as_student(sandbox, ID, NAME)
    await haneul.send("/deleteme")
    question = haneul.last_message["message_id"]
    await haneul.send("왜요?")  # not a search, and the question stays
    assert "삭제 질문에 아직 답하지 않았어요" in haneul.last_text  # 해요체, to a student
    assert "버튼 중 하나를 눌러 주세요" in haneul.last_text and "/cancel" in haneul.last_text
    async with db.read() as conn:
        assert await conn.scalar(select(User.flow).where(User.id == ID)) == "dm.confirm"
    await haneul.press("네, 내 정보를 삭제해요")  # the question's button still answers
    (answer,) = [m["text"] for m in haneul.bot_messages if m["message_id"] == question]
    assert "정보를 삭제했어요" in answer
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).where(User.id == ID)) == 0


async def test_a_guardian_who_deletes_their_data_withdraws_their_consent(bot, sandbox, db):
    async with db.write() as conn:
        school_id = await school_named(conn)
        row = student_row(7202, "이서준", school_id, grade=1) | {"under14": True}
        await conn.execute(insert(User).values(**row))
        child = (await conn.execute(select(User.__table__).where(User.id == 7202))).one()
        token = await consent_store.ask(conn, child, "+821023456789", now=utcnow())
        await consent_store.give(
            conn,
            token,
            None,
            7501,
            relationship="parent",
            shared_phone="+821023456789",
            now=utcnow(),
        )
    mother = sandbox.user(7501, "엄마")
    await mother.send("/deleteme")
    assert "누구의 정보를 삭제하시겠습니까?" in mother.last_text  # her own, or the child's
    question = mother.last_message["message_id"]
    await mother.send("아니 잠깐")  # typed at the question: answered, in 합니다체
    assert "아직 답하지 않으셨습니다" in mother.last_text and "보내 주십시오" in mother.last_text
    await mother.press("본인 정보")  # the question's buttons still answer
    (asked,) = [m["text"] for m in mother.bot_messages if m["message_id"] == question]
    assert "정보를 삭제하시겠습니까?" in asked and "보호자님에 대해 보관 중인 정보" in asked
    assert "이서준 학생에 대한 동의와 학생과의 관계, 보호자님 휴대전화 번호 010-****-6789" in asked
    assert "언어 설정(한국어)" in asked and "동의가 모두 철회됩니다" in asked
    assert "선생님 승인 대기 신청" in asked and "되돌릴 수 없습니다" in asked
    assert "이름, 학교, 학년" not in asked  # not what is kept of a student
    assert "요." not in asked and "요?" not in asked  # nor in 해요체
    await mother.send("음")
    assert "아직 답하지 않으셨습니다" in mother.last_text
    await mother.press("네, 모두 삭제합니다")
    (answer,) = [m["text"] for m in mother.bot_messages if m["message_id"] == question]
    assert "정보를 삭제했습니다" in answer
    async with db.read() as conn:
        child = (await conn.execute(select(User.__table__).where(User.id == 7202))).one()
        phones = await conn.scalar(
            select(func.count()).where(
                or_(
                    and_(
                        consent_requests.c.guardian_phone.is_not(None),
                        consent_requests.c.status != "pending",
                    ),
                    consent_requests.c.answered_by == 7501,
                )
            )
        )
    assert child.consent_at is None and phones == 0
