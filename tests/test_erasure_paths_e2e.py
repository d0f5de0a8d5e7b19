"""Erasure on another's behalf (PIPA Art. 36), end to end through the sandbox on both
databases: a guardian erases a child their consent stands for (not after withdrawing it,
whatever button they still have); a guardian who erases themselves withdraws their consents,
and the child and the child's teachers are told as a withdrawal tells them; staff erase
someone on a written request, picked from the people found by name, with the request's code
in the audit log; nobody else may use staff's /erase, and staff never erase a staff member or
themselves there (listed all the same, marked so the refusal is no surprise)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select

from handlers.privacy.buttons import CHILD as CHILD_BUTTON
from handlers.privacy.buttons import PICK, REASON
from storage import cases
from storage import consent as consent_store
from storage.cases import party_tag
from storage.models import AuditEntry, Booking, User, utcnow
from storage.tables import sessions
from tests.conftest import ADMIN_ID, join_as_student
from tests.test_consent_e2e import E164, consent_link
from tests.test_deleteme_e2e import a_site_person, where_they_remain
from tests.test_mydata_e2e import a_programme, audit_entries
from tests.world_helpers import (
    add_session,
    add_teacher,
    book_seat,
    school_named,
    session_bookings,
    student_row,
)

# A student hears of consent only 08:00-21:00 (the outbox): the stories run on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")

CHILD, CHILD_NAME = 7602, "이서준"
MOTHER = 7603
SAID = "버스 시간을 바꿔 주실 수 있나요?"  # the student's line in a case


async def a_consenting_guardian(sandbox, db):
    """A student under 14 and their mother, who consented in her own Telegram."""
    child = await join_as_student(sandbox, CHILD, CHILD_NAME, under14=True, grade=1)
    token = await consent_link(child)
    mother = sandbox.user(MOTHER, "서준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.press("부모이며, 동의합니다")
    await mother.share_contact()
    await child.expect("보호자가 동의해 주셨어요")
    return child, mother


async def seats_and_a_request(db, student_id: int, *, site_person: int) -> tuple[int, int, int]:
    """A confirmed seat in three days (with a case the student wrote in) and a request for a
    session in five, at a site that has someone in the chat: (session, confirmed, requested)."""
    async with db.write() as conn:
        later, _ = await a_programme(conn)
        await a_site_person(conn, later, site_person)
        program_id = await conn.scalar(select(sessions.c.program_id).where(sessions.c.id == later))
        waiting = await add_session(conn, program_id, utcnow() + timedelta(days=5), capacity=5)
        confirmed = await book_seat(conn, later, student_id)
        requested = await book_seat(conn, waiting, student_id, status="requested")
        student = (await conn.execute(select(User.__table__).where(User.id == student_id))).one()
        await cases.open_case(conn, confirmed, student, "schedule", SAID, now=utcnow())
    return later, confirmed, requested


async def booked(db, session_id: int) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(sessions.c.booked).where(sessions.c.id == session_id))


async def user_ids(db, name: str) -> list[int]:
    async with db.read() as conn:
        return list((await conn.scalars(select(User.id).where(User.name == name))).all())


async def refused_presses(db, actor_id: int) -> list[str]:
    return [row.detail["answer"] for row in await audit_entries(db, "button.refused", actor_id)]


async def test_a_guardian_deletes_one_childs_data(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 7601, grades="1")
    child, mother = await a_consenting_guardian(sandbox, db)
    later, confirmed, requested = await seats_and_a_request(db, CHILD, site_person=7701)
    site = sandbox.user(7701, "담당자")
    await site.send("/help")  # the site's chat is open, so news reaches it
    assert await booked(db, later) == 1

    await mother.send("/deleteme")
    assert "누구의 정보를 삭제하시겠습니까?" in mother.last_text
    assert "이서준 (정발중학교 1학년)" in mother.last_text
    await mother.press("이서준 학생의 정보")
    assert "이서준 학생의 정보를 삭제하시겠습니까?" in mother.last_text
    assert "이름 없이 프로그램 통계의 숫자로만 남습니다" in mother.last_text  # 합니다체
    await mother.press("아니요, 삭제하지 않습니다")
    assert "아무것도 삭제하지 않았습니다" in mother.last_text
    await mother.send("/deleteme")
    await mother.press("이서준 학생의 정보")
    await mother.press("네, 이서준 학생의 정보를 삭제합니다")
    assert "이서준 학생의 정보를 삭제했습니다" in mother.last_text

    await child.expect("보호자의 요청으로 진로체험 봇에 있던 내 정보가 삭제되었어요")  # 해요체
    told = await teacher.expect("보호자의 요청으로 삭제되어")
    assert "이서준 학생(1학년)" in told["text"] and "1건" in told["text"]
    await site.expect("확정된 자리를 반납했습니다")
    assert await booked(db, later) == 0  # the seat is free again
    statuses = {b.id: b.status for b in await session_bookings(db, later)}
    assert statuses[confirmed] == "cancelled"

    assert await where_they_remain(db, texts=[CHILD_NAME, SAID], user_id=CHILD) == []
    (erased,) = await audit_entries(db, "person.erased", MOTHER)
    assert (erased.object_id, erased.detail["reason"]) == (str(CHILD), "guardian")
    async with db.read() as conn:
        assert await consent_store.children_of(conn, MOTHER) == []
        assert await conn.scalar(select(User.flow).where(User.id == MOTHER)) is None
    await mother.send("/deleteme")  # no child left: her own data only, as anyone's
    assert "내 정보를 삭제할까요?" in mother.last_text
    assert "누구의 정보" not in mother.last_text


async def test_a_guardian_cannot_delete_a_child_after_withdrawing_consent(bot, sandbox, db):
    child, mother = await a_consenting_guardian(sandbox, db)
    await mother.send("/deleteme")
    await mother.press("이서준 학생의 정보")
    assert "이서준 학생의 정보를 삭제하시겠습니까?" in mother.last_text
    question = mother.last_message["message_id"]

    await mother.send("/consent")  # meanwhile, the consent is withdrawn
    await mother.press("이서준 학생 동의 철회")
    await mother.press("네, 동의를 철회합니다")
    await child.expect("보호자가 동의를 철회했어요")
    await mother.press("네, 이서준 학생의 정보를 삭제합니다")  # the old question's button
    (answer,) = [m["text"] for m in mother.bot_messages if m["message_id"] == question]
    assert "이 학생에 대한 동의가 더 이상 없어" in answer  # the question, answered in place
    assert "아무것도 삭제하지 않았습니다" in answer
    assert await user_ids(db, CHILD_NAME) == [CHILD]
    assert await audit_entries(db, "person.erased", MOTHER) == []
    assert "not_guardian" in await refused_presses(db, MOTHER)

    # Nor may anyone else press it for a child of theirs: a student gets the stale answer.
    stranger = await join_as_student(sandbox, 7604, "박지우")
    await stranger.press_data(
        stranger.last_message["message_id"], CHILD_BUTTON.pack(0, party_tag(7604, CHILD))
    )
    assert stranger.callback_answers[-1]["text"] == "이 버튼은 이제 쓸 수 없어요."
    assert await user_ids(db, CHILD_NAME) == [CHILD]


async def test_a_guardian_who_erases_themselves_tells_the_child_and_teachers(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 7605, grades="1")
    child, mother = await a_consenting_guardian(sandbox, db)
    later, confirmed, requested = await seats_and_a_request(db, CHILD, site_person=7705)

    await mother.send("/deleteme")
    await mother.press("본인 정보")
    assert "동의가 모두 철회됩니다" in mother.last_text
    await mother.press("네, 모두 삭제합니다")
    assert "정보를 삭제했습니다" in mother.last_text

    await child.expect("보호자가 동의를 철회했어요")
    told = await teacher.expect("보호자가 동의를 철회했습니다")
    assert "이서준 학생(1학년)" in told["text"] and "1" in told["text"]
    statuses = {b.id: b.status for b in await session_bookings(db, later)}
    assert statuses[confirmed] == "confirmed"  # a confirmed seat stays, as the text said
    async with db.read() as conn:
        assert await conn.scalar(select(Booking.status).where(Booking.id == requested)) == (
            "cancelled"
        )
        assert await conn.scalar(select(User.id).where(User.id == MOTHER)) is None
        child_row = (await conn.execute(select(User.__table__).where(User.id == CHILD))).one()
    assert child_row.consent_at is None
    (erased,) = await audit_entries(db, "person.erased", MOTHER)
    assert erased.detail["reason"] == "self"


async def test_staff_delete_a_student_on_a_written_request(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청")
    await staff.send("/help")  # ADMIN_IDS: staff
    teacher = await add_teacher(db, sandbox, 7611)
    haneul = await join_as_student(sandbox, 7612, "김하늘")
    async with db.write() as conn:  # another 김하늘, at another school
        other_school = await school_named(conn, "백석중학교")
        row = student_row(7613, "김하늘", other_school, grade=3)
        await conn.execute(insert(User).values(**row))
    later, _, _ = await seats_and_a_request(db, 7612, site_person=7711)

    await staff.send("/erase")
    assert "이름이나 이름의 일부를 입력해 주십시오" in staff.last_text
    await staff.send("하늘")
    found = staff.last_text
    assert "이름에 “하늘” 글자가 들어간 사람: 2명" in found
    # One name: by school (백석 before 정발), then grade.
    assert "1. 김하늘 · 학생 · 백석중학교 · 3학년" in found
    assert "2. 김하늘 · 학생 · 정발중학교 · 2학년" in found
    await staff.press("2. 김하늘")
    assert "누구의 요청입니까?" in staff.last_text
    await staff.press("본인 서면 요청")
    assert "이 사람의 정보를 삭제하시겠습니까?" in staff.last_text
    assert "요청: 본인 서면 요청" in staff.last_text
    await staff.press("네, 이 사람의 정보를 삭제합니다")
    assert "김하늘 학생의 정보를 삭제했습니다 (요청: 본인 서면 요청)" in staff.last_text

    await haneul.expect("담당 기관에 접수된 요청에 따라 이 봇에 있던 내 정보가 삭제되었어요")
    await teacher.expect("담당 기관에 접수된 요청에 따라 삭제되어")
    assert await booked(db, later) == 0
    assert await user_ids(db, "김하늘") == [7613]  # the other one stays
    assert await where_they_remain(db, texts=[SAID], user_id=7612) == []
    (erased,) = await audit_entries(db, "person.erased", ADMIN_ID)
    assert (erased.actor_id, erased.object_id) == (ADMIN_ID, "7612")
    assert erased.detail["reason"] == "written_self"
    reads = {
        (r.object_type, r.detail.get("rows")) for r in await audit_entries(db, "read", ADMIN_ID)
    }
    assert {("erase_search", 2), ("erase_person", None)} <= reads
    async with db.read() as conn:  # what staff typed went with the flow
        staff_row = (await conn.execute(select(User.__table__).where(User.id == ADMIN_ID))).one()
    assert (staff_row.flow, staff_row.flow_data) == (None, {})


async def test_only_staff_may_use_erase(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 7621)
    student = await join_as_student(sandbox, 7622, "최민준")
    await teacher.send("/erase")
    assert "이 기능은 사용하실 수 없습니다" in teacher.last_text
    await student.send("/erase")
    assert "이 기능은 쓸 수 없어요" in student.last_text
    async with db.read() as conn:
        found = await conn.execute(
            select(AuditEntry.__table__).where(AuditEntry.action == "command.refused")
        )
        refused = {(r.actor_id, r.object_id, r.detail["answer"]) for r in found.all()}
    assert {(7621, "erase", "not_allowed"), (7622, "erase", "not_allowed")} <= refused

    # A staff button, forged: the stale answer, audited; nobody erased.
    await student.press_data(student.last_message["message_id"], PICK.pack(0, 0, 0))
    assert student.callback_answers[-1]["text"] == "이 버튼은 이제 쓸 수 없어요."
    assert "stale" in await refused_presses(db, 7622)
    assert await user_ids(db, "최민준") == [7622]


async def test_staff_cannot_delete_staff_or_themselves(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청")
    await staff.send("/help")
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=7631, role="staff", name="정우진"))

    await staff.send("/erase")
    await staff.send("정우진")
    assert "1. 정우진 · 담당자 (삭제 불가: 담당자)" in staff.last_text  # listed, marked
    await staff.press("1. 정우진")
    assert "담당자 계정은 여기에서 삭제할 수 없습니다" in staff.callback_answers[-1]["text"]
    # A forged request for them fares no better.
    question = staff.last_message["message_id"]
    await staff.press_data(question, REASON.pack("written_self", 0, 0, party_tag(ADMIN_ID, 7631)))
    assert "담당자 계정은 여기에서 삭제할 수 없습니다" in staff.callback_answers[-1]["text"]

    await staff.send("시청")  # themselves
    assert "1. 시청 · 담당자 (삭제 불가: 본인, /deleteme 사용)" in staff.last_text
    await staff.press("1. 시청")
    assert "/deleteme" in staff.callback_answers[-1]["text"]
    assert await user_ids(db, "정우진") == [7631] and await user_ids(db, "시청") == [ADMIN_ID]
    assert await audit_entries(db, "person.erased", ADMIN_ID) == []
    assert {"staff", "self"} <= set(await refused_presses(db, ADMIN_ID))


async def test_staff_page_through_many_of_a_name_and_a_changed_list_picks_nobody(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청")
    await staff.send("/help")
    async with db.write() as conn:
        school_id = await school_named(conn)
        rows = [student_row(7640 + n, f"한서윤{n:02}", school_id) for n in range(1, 11)]
        await conn.execute(insert(User), rows)

    await staff.send("/erase")
    await staff.send("서윤")
    assert "2명" not in staff.last_text and "10명" in staff.last_text
    assert "2쪽 중 1쪽" in staff.last_text and "8. 한서윤08" in staff.last_text
    await staff.press("다음")
    assert "2쪽 중 2쪽" in staff.last_text and "10. 한서윤10" in staff.last_text
    await staff.press("10. 한서윤10")
    assert "한서윤10 · 학생 · 정발중학교 · 2학년" in staff.last_text
    await staff.press("◀ 목록으로")
    assert "9. 한서윤09" in staff.last_text
    reads = await audit_entries(db, "read", ADMIN_ID)
    searches = [r.detail for r in reads if r.object_type == "erase_search"]
    assert {"answer": "shown", "page": 1, "rows": 2, "total": 10} in searches

    async with db.write() as conn:  # one of them leaves meanwhile: the list has changed
        await conn.execute(delete(User.__table__).where(User.id == 7649))
    await staff.press("10. 한서윤10")
    assert staff.callback_answers[-1]["text"] == "이 버튼은 이제 쓸 수 없습니다."
    await staff.press("삭제하지 않음")
    assert "아무것도 삭제하지 않았습니다" in staff.last_text
    assert await audit_entries(db, "person.erased", ADMIN_ID) == []
