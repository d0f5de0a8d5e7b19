"""Guardian consent, end to end through the sandbox on both databases: only the guardian the
student named, in their own Telegram, with their own number, can consent; a classmate, a
teacher, a site and the child cannot; the teacher sees where each stands, records paper forms
and reminds; the guardian withdraws later and the student's pending requests go with it."""

from __future__ import annotations

from sqlalchemy import insert, select

from storage import consent as consent_store
from storage.models import AuditEntry, ConsentRequest, Role, User, utcnow
from tests.conftest import join_as_student
from tests.test_bookings_e2e import first_session, open_card
from tests.test_onboarding_e2e import make_invite, user_row
from tests.world_helpers import add_teacher, school_named, session_bookings, student_row

NUMBER = "010-2345-6789"
E164 = "+821023456789"


async def consent_link(student) -> str:
    """The student gives their guardian's number; the link they get back."""
    await student.send(NUMBER)
    assert "010-2345-6789" in student.last_text
    link = next(word for word in student.last_text.split() if "start=c" in word)
    return link.split("start=", 1)[1]


async def refusals(db, reason: str) -> list:
    async with db.read() as conn:
        rows = await conn.execute(
            select(AuditEntry.__table__).where(AuditEntry.action == "consent.refused")
        )
    return [row for row in rows.all() if (row.detail or {}).get("reason") == reason]


async def test_only_the_named_guardian_consents_with_their_own_number(bot, sandbox, db):
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    assert "보호자 동의가 필요해요" in seojun.last_text
    assert "보호자의 휴대전화 번호를 입력해 주세요" in seojun.last_text
    await seojun.send("010-2345")  # too short
    assert "휴대전화 번호가 아닌 것 같아요" in seojun.last_text
    token = await consent_link(seojun)
    await seojun.send("/consent")  # the same link, and the number it is for
    assert token in seojun.last_text and "010-2345-6789" in seojun.last_text

    await seojun.send(f"/start {token}")  # the child cannot consent for themself
    assert "보호자용" in seojun.last_text
    minji = await join_as_student(sandbox, 1005, "김민지")  # nor a classmate
    await minji.send(f"/start {token}")
    assert "보호자 동의를 할 수 없습니다" in minji.last_text
    teacher = await add_teacher(db, sandbox, 1101)  # nor a teacher
    await teacher.send(f"/start {token}")
    assert "보호자 동의를 할 수 없습니다" in teacher.last_text
    site = sandbox.user(1201, "담당자")  # nor a site
    await site.send(f"/start {await make_invite(db, Role.SITE)}")
    await site.send("김담당")
    await site.send(f"/start {token}")
    assert "보호자 동의를 할 수 없습니다" in site.last_text
    assert len(await refusals(db, "role")) == 3

    stranger = sandbox.user(1003, "다른 어른", phone_number="+821099998888")
    await stranger.send(f"/start {token}")
    assert "이서준" in stranger.last_text and "동의하십니까" in stranger.last_text
    assert "대부분 무료이고, 일부 프로그램은 참가비가 있습니다" in stranger.last_text  # 2 of 12
    await stranger.press("부모이며, 동의합니다")
    await stranger.share_contact()  # a number the student did not give
    assert "학생이 알려 준 번호와 달라서" in stranger.last_text
    assert len(await refusals(db, "phone")) == 1
    assert (await user_row(db, 1002)).consent_at is None

    mother = sandbox.user(1004, "서준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.send("네 동의해요")  # typed instead of pressed: the question comes again
    # An adult, though a guest: 합니다체
    assert mother.messages[-2]["text"].startswith("아래 버튼 중에서 골라 주십시오")
    await mother.press("부모이며, 동의합니다")
    assert "휴대전화 번호를 보내 주십시오" in mother.last_text
    await mother.send(NUMBER)  # a typed number proves nothing: the button again
    assert "휴대전화 번호를 보내 주십시오" in mother.last_text
    card = {"contact": {"phone_number": E164, "first_name": "서준 엄마"}}
    await mother._act("/sandbox/message", card, 10.0, "a contact card")
    assert "연락처 카드" in mother.messages[-2]["text"]
    await mother.share_contact()
    assert "동의가 기록되었고" in mother.last_text
    await seojun.expect("보호자가 동의해 주셨어요")
    assert (await user_row(db, 1002)).consent_method == "guardian"
    async with db.read() as conn:
        request = (
            await conn.execute(
                select(ConsentRequest.__table__).where(ConsentRequest.token == token)
            )
        ).one()
    assert (request.status, request.method, request.relationship) == ("given", "contact", "parent")
    assert (request.answered_by, request.guardian_phone) == (1004, E164)

    await mother.send(f"/start {token}")  # the link works once
    assert "더 이상 쓸 수 없습니다" in mother.last_text


async def test_the_guardian_withdraws_and_pending_requests_go_with_it(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 1101, grades="1")
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(1004, "서준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.press("법정대리인")
    await mother.share_contact()
    await seojun.expect("보호자가 동의해 주셨어요")
    await open_card(seojun)
    session_id = await first_session(seojun, db)
    await seojun.press("신청하기")
    assert [b.status for b in await session_bookings(db, session_id)] == ["requested"]

    await mother.send("/consent")
    assert "이서준" in mother.last_text
    await mother.press("이서준 학생 동의 철회")
    assert "철회하시겠습니까" in mother.last_text
    await mother.press("아니요, 동의를 유지합니다")  # kept: the list again
    await mother.press("이서준 학생 동의 철회")
    await mother.press("네, 동의를 철회합니다")
    assert "동의를 철회했습니다" in mother.last_text
    await seojun.expect("보호자가 동의를 철회했어요")
    told = await teacher.expect("보호자가 동의를 철회했습니다")
    assert "1건" in told["text"]
    assert [b.status for b in await session_bookings(db, session_id)] == ["cancelled"]
    assert (await user_row(db, 1002)).consent_at is None
    await mother.send("/consent")
    assert "아직 동의하신 학생이 없습니다" in mother.last_text


async def test_a_teacher_sees_each_state_records_paper_and_reminds(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 1101, grades="1")
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    await consent_link(seojun)
    jiwoo = await join_as_student(sandbox, 1006, "박지우", under14=True, grade=1)
    await teacher.send("/consents")
    assert "만 14세 미만 학생: 2명" in teacher.last_text
    assert "보호자에게 링크 보냄" in teacher.last_text and "아직 요청 안 함" in teacher.last_text
    await teacher.press("박지우에게 다시 안내")
    await jiwoo.expect("선생님이 알려 드려요")
    await teacher.press("박지우: 동의서 받음")
    await jiwoo.expect("선생님이 보호자 동의서를 기록해 주셨어요")
    assert "동의: 종이 동의서" in teacher.last_text
    assert "박지우: 동의서 받음" not in teacher.buttons
    assert (await user_row(db, 1006)).consent_method == "paper"


async def test_one_guardian_account_consents_for_a_few_children_only(bot, sandbox, db):
    async with db.write() as conn:
        school_id = await school_named(conn)
        for n in range(consent_store.MAX_CHILDREN + 1):
            row = student_row(1020 + n, f"형제{n}", school_id, grade=1) | {"under14": True}
            await conn.execute(insert(User).values(**row))
        tokens = []
        for n in range(consent_store.MAX_CHILDREN + 1):
            student = await conn.execute(select(User.__table__).where(User.id == 1020 + n))
            tokens.append(await consent_store.ask(conn, student.one(), E164, now=utcnow()))
        for token in tokens[:-1]:
            await consent_store.give(
                conn, token, None, 1004, relationship="parent", shared_phone=E164, now=utcnow()
            )
    mother = sandbox.user(1004, "엄마", phone_number=E164)
    await mother.send(f"/start {tokens[-1]}")
    assert "이미 동의했습니다" in mother.last_text
    assert len(await refusals(db, "children")) == 1
