"""Guardian consent, end to end through the sandbox on both databases: only the guardian the
student named, in their own Telegram, with their own number, can consent; a classmate, a
teacher, a site and the child cannot; the teacher sees where each stands, records paper forms
and reminds; the guardian withdraws later and the student's pending requests go with it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from messages import render
from storage import consent as consent_store
from storage.bookings.decisions import confirm
from storage.models import AuditEntry, ConsentRequest, Role, User, utcnow
from tests.conftest import join_as_student
from tests.test_bookings_e2e import first_session, open_card
from tests.test_onboarding_e2e import make_invite, user_row
from tests.world_helpers import add_teacher, school_named, session_bookings, student_row

# A student hears of consent only 08:00-21:00 (the outbox): the stories run on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")

KST = ZoneInfo("Asia/Seoul")
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
    await seojun.send("010-2345")  # too short: how many digits a mobile number has
    assert "11자리예요. 입력한 번호는 7자리예요" in seojun.last_text
    token = await consent_link(seojun)
    await seojun.send("/consent")  # the same link, and the number it is for
    assert token in seojun.last_text and "010-2345-6789" in seojun.last_text

    await seojun.send(f"/start {token}")  # the child cannot consent for themself
    assert "보호자용" in seojun.last_text
    minji = await join_as_student(sandbox, 1005, "김민지")  # nor a classmate (told in 해요체)
    await minji.send(f"/start {token}")
    assert "보호자 동의를 할 수 없어요" in minji.last_text
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
    await mother.send(NUMBER)  # a typed number proves nothing: told so, and the button again
    assert "입력하신 번호로는 보호자님 본인인지 확인할 수 없습니다" in mother.last_text
    assert "텔레그램은 버튼으로 공유한 번호만" in mother.last_text
    assert "“📱 내 휴대전화 번호 보내기” 버튼을 눌러 주십시오" in mother.last_text
    assert mother.reply_keyboard == ["📱 내 휴대전화 번호 보내기"]
    await mother.send("버튼이 어디 있어요?")  # words: only the button again
    assert "입력하신 번호" not in mother.last_text
    assert "“📱 내 휴대전화 번호 보내기” 버튼을 눌러 주십시오" in mother.last_text
    assert mother.reply_keyboard == ["📱 내 휴대전화 번호 보내기"]
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

    await mother.send(f"/start {token}")  # the link works once: she has answered it
    assert "이미 동의하셨습니다" in mother.last_text


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
    await teacher.press("박지우 학생에게 다시 안내")
    await jiwoo.expect("선생님이 다시 알려 달라고 하셨어요")
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


# ----- the student's step for the guardian's number -------------------------------------------


async def test_the_number_step_stays_open_and_a_number_is_never_searched(bot, sandbox, db):
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    assert "나중에 하려면 /cancel" in seojun.last_text  # how to leave it for later
    await seojun.send("우리 엄마")  # words while the number is asked: what to type, not a search
    assert "보호자의 휴대전화 번호를 기다리고 있어요" in seojun.last_text
    assert "010-1234-5678처럼" in seojun.last_text and "/cancel" in seojun.last_text
    assert "프로그램이 없어요" not in seojun.last_text
    assert (await user_row(db, 1002)).flow == consent_store.NUMBER_FLOW
    await seojun.send("02-123-4567")  # a landline
    assert "휴대전화 번호가 아닌 것 같아요" in seojun.last_text
    assert (await user_row(db, 1002)).flow == consent_store.NUMBER_FLOW

    await seojun.send("/cancel")  # for later: now words search
    assert (await user_row(db, 1002)).flow is None
    await seojun.send("꽃")
    assert "휴대전화" not in seojun.last_text
    await seojun.send("2099-12-03")  # a day is no phone number
    assert "휴대전화" not in seojun.last_text
    assert (await user_row(db, 1002)).flow != consent_store.NUMBER_FLOW
    await seojun.send("02-123-4567")  # a number, even while searching, is not searched
    assert "휴대전화 번호가 아닌 것 같아요" in seojun.last_text
    assert "프로그램이 없어요" not in seojun.last_text
    assert (await user_row(db, 1002)).flow == consent_store.NUMBER_FLOW  # the step is open again
    await seojun.send("/cancel")
    token = await consent_link(seojun)  # a mobile number typed outside the step: the link
    await seojun.send("꽃")
    await seojun.send("010 2345 6789")  # the same number again: the same link, not a new one
    assert token in seojun.last_text
    async with db.read() as conn:
        asked = await conn.scalar(
            select(func.count())
            .select_from(ConsentRequest)
            .where(ConsentRequest.student_id == 1002)
        )
    assert asked == 1

    minji = await join_as_student(sandbox, 1005, "김민지")  # 14 or older: no consent to give
    await minji.send("010-2345-6789")
    assert "휴대전화" not in minji.last_text
    assert (await user_row(db, 1005)).flow != consent_store.NUMBER_FLOW


# ----- an old consent question, pressed or opened later ----------------------------------------


async def test_an_old_consent_question_answers_what_became_of_the_link(bot, sandbox, db):
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(1004, "서준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.send("이게 뭐예요?")  # the question again: two copies in the chat
    questions = [m for m in mother.bot_messages if "동의하십니까" in (m["text"] or "")]
    assert len(questions) == 2
    await mother.press("부모이며, 동의합니다")
    await mother.share_contact()
    await seojun.expect("보호자가 동의해 주셨어요")

    for pressed, question in (("동의하지 않습니다", questions[1]), ("부모이며", questions[0])):
        await mother.press_data(question["message_id"], button_data(question, pressed))
        assert "이미 동의하셨습니다" in mother.last_text  # a new message, fitting what happened
        assert "/consent" in mother.last_text
    await mother.refresh()
    for question in questions:  # what she agreed to stays, and its buttons go
        shown = next(m for m in mother.bot_messages if m["message_id"] == question["message_id"])
        assert shown["text"] == question["text"]
        assert not (shown["reply_markup"] or {}).get("inline_keyboard")
    request = await consent_request_row(db, token)
    assert (request.status, request.answered_by) == ("given", 1004)
    assert not [m for m in seojun.bot_messages if "동의하지 않으셨어요" in (m["text"] or "")]

    stranger = sandbox.user(1008, "다른 어른")  # another guest with the link
    await stranger.send(f"/start {token}")
    assert "이미 기록되어 있어서" in stranger.last_text
    minji = await join_as_student(sandbox, 1005, "김민지")  # a classmate learns nothing more
    await minji.send(f"/start {token}")
    assert "더 이상 쓸 수 없습니다" in minji.last_text


async def test_each_closed_link_says_what_became_of_it(bot, sandbox, db):
    now = utcnow()
    async with db.write() as conn:
        school_id = await school_named(conn)
        for n in range(5):
            row = student_row(1030 + n, f"학생{n}", school_id, grade=1) | {"under14": True}
            await conn.execute(insert(User).values(**row))
        students = [
            (await conn.execute(select(User.__table__).where(User.id == 1030 + n))).one()
            for n in range(5)
        ]
        declined = await consent_store.ask(conn, students[0], E164, now=now)
        await consent_store.decline(conn, declined, None, 1004, shared_phone=E164, now=now)
        withdrawn = await consent_store.ask(conn, students[1], E164, now=now)
        await consent_store.give(
            conn, withdrawn, None, 1004, relationship="parent", shared_phone=E164, now=now
        )
        await consent_store.withdraw(conn, 1004, students[1].id, now=now, offer=timedelta(hours=1))
        replaced = await consent_store.ask(conn, students[2], E164, now=now)
        await consent_store.ask(conn, students[2], "+821099998888", now=now)
        expired = await consent_store.ask(conn, students[3], E164, now=now - timedelta(days=8))
        answered = await consent_store.ask(conn, students[4], E164, now=now)
        await consent_store.decline(conn, answered, None, 1009, shared_phone=E164, now=now)
    mother = sandbox.user(1004, "엄마", phone_number=E164)
    for token, said in (
        (declined, "이미 동의하지 않는다고 답하셨습니다"),
        (withdrawn, "나중에 철회하셨습니다"),
        (replaced, "새 링크로 다시 요청해서"),
        (expired, "기간이 지나"),
        (answered, "다른 계정에서 응답해서"),
    ):
        await mother.send(f"/start {token}")
        assert said in mother.last_text, token


def button_data(message: dict, fragment: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if fragment in b["text"])


async def consent_request_row(db, token: str):
    async with db.read() as conn:
        return (
            await conn.execute(
                select(ConsentRequest.__table__).where(ConsentRequest.token == token)
            )
        ).one()


# ----- withdrawal: confirmed seats are mentioned only when there are some ---------------------


async def test_confirmed_seats_are_mentioned_only_when_the_student_has_one(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 1101, grades="1")
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    token = await consent_link(seojun)
    mother = sandbox.user(1004, "서준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.press("부모이며")
    await mother.share_contact()
    await seojun.expect("보호자가 동의해 주셨어요")

    await mother.send("/consent")  # no seat: nothing said of confirmed seats
    await mother.press("이서준 학생 동의 철회")
    assert "승인한 자리" not in mother.last_text
    await mother.press("네, 동의를 철회합니다")
    told = await teacher.expect("보호자가 동의를 철회했습니다")
    assert "승인하신" not in told["text"] and "다시 신청하려면" in told["text"]
    student_told = await seojun.expect("보호자가 동의를 철회했어요")
    assert "승인한 자리" not in student_told["text"]

    token = await consent_link(seojun)  # consent again, then a confirmed seat
    await mother.send(f"/start {token}")
    await mother.press("부모이며")
    await mother.share_contact()
    await seojun.expect_many("보호자가 동의해 주셨어요", 2)
    await open_card(seojun)
    session_id = await first_session(seojun, db)
    await seojun.press("신청하기")
    [booking] = await session_bookings(db, session_id)
    async with db.write() as conn:
        await confirm(conn, booking.id, await user_row(db, 1101), now=utcnow())

    await mother.send("/consent")
    await mother.press("이서준 학생 동의 철회")
    assert "선생님이 이미 승인한 자리 1건" in mother.last_text
    await mother.press("네, 동의를 철회합니다")
    [_, told] = await teacher.expect_many("보호자가 동의를 철회했습니다", 2)
    assert "이미 승인하신 이 학생의 자리 1건" in told["text"]
    [_, student_told] = await seojun.expect_many("보호자가 동의를 철회했어요", 2)
    assert "선생님이 이미 승인한 자리는" in student_told["text"]
    assert [b.status for b in await session_bookings(db, session_id)] == ["confirmed"]


# ----- the words: who signs, and the register -------------------------------------------------


async def test_the_paper_form_is_the_one_the_guardian_signed(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 1101, grades="1")
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    assert "보호자가 서명한 종이 동의서" in seojun.last_text
    await teacher.send("/consents")
    assert "보호자가 서명한 종이 동의서" in teacher.last_text
    assert "학생이 서명한" not in teacher.last_text


# Who each consent text speaks to: a student (해요체) or an adult, a guardian or a teacher
# (합니다체); refused.html.j2 speaks to both, by its reason.
TO_STUDENTS = {
    "student_ask_number",
    "student_bad_number",
    "student_link",
    "student_reminded",
    "student_status",
    "student_told",
}
TO_ADULTS = {
    "guardian_ask",
    "guardian_contact",
    "guardian_done",
    "guardian_identity",
    "guardian_not_own",
    "guardian_status",
    "guardian_typed",
    "guardian_withdraw_ask",
    "guardian_withdrawn",
    "identity_page",
    "teacher_list",
    "teacher_told_withdrawn",
}
BRACKETED = re.compile(
    r"\((으|은|는|이|가|을|를|와|과|아|야)\)|[가-힣]\((은|는|이|가|을|를|와|과|으로)\)"
)
STUDENT_ENDING = re.compile(r"(니다|십시오|니까)[.?!]?$")
ADULT_ENDING = re.compile(r"(요|죠)[.?!)]?$")


def _sentences(text: str) -> list[str]:
    plain = re.sub(r"<[^>]+>", "", text)
    parts = re.split(r"(?<=[.?!])\s+|\n+", plain)
    return [p.strip(" •✅⚠️") for p in parts if re.search(r"[가-힣]", p)]


def test_every_consent_text_speaks_in_the_register_of_its_reader():
    templates = Path(__file__).resolve().parent.parent / "messages/templates/consent"
    names = {p.name.removesuffix(".html.j2") for p in templates.glob("[!_]*.html.j2")}
    assert names == TO_STUDENTS | TO_ADULTS | {"refused"}  # a new text says whom it speaks to
    people = [
        SimpleNamespace(name="이서준", grade=1, state=state, consent_method=way, method=way)
        for state in ("given", "asked", "declined", "withdrawn", "expired", "none")
        for way in ("paper", "identity", "link", "contact")
    ]
    lists = [
        dict(children=[], students=[], total=0, user=SimpleNamespace(consent_at=None)),
        dict(
            children=[{"name": "이서준", "school": "정발중학교", "grade": 1}],
            students=people,
            total=len(people),
            user=SimpleNamespace(consent_at=utcnow()),
        ),
    ]
    values = dict(
        name="이서준",
        school="정발중학교",
        grade=1,
        number="010-2345-6789",
        link="https://t.me/x",
        expires=utcnow(),
        first=1,
        page=1,
        pages=2,
        withdrawn=1,
        kept=1,
        button="버튼",
        digits=10,
    )
    variants = [
        {
            "agree": agree,
            "method": method,
            "kind": kind,
            "reason": reason,
            "fees": fees,
            "when": when,
            "tz": KST,
            "answer": answer,
            "teachers": teachers,  # the student's teachers on Jinro (guardian_withdrawn)
        }
        for teachers in (0, 1)
        for answer in ("given", "declined")
        for agree in (True, False)
        for when in (None, utcnow())
        for method in ("paper", "guardian", "withdrawn", "identity", "contact")
        for kind in ("words", "number")
        for reason in ("done", "refused", "stale", "tampered", "used")
        for fees in ("free", "mostly_free", "mixed")
    ]
    for name in sorted(TO_STUDENTS | TO_ADULTS):
        ending = STUDENT_ENDING if name in TO_STUDENTS else ADULT_ENDING
        texts = {
            render(f"consent/{name}", "ko", **(values | listed | variant))
            for listed in lists
            for variant in variants
        }
        for sentence in {s for text in texts for s in _sentences(text)}:
            assert not ending.search(sentence), (name, sentence)
            assert not BRACKETED.search(sentence), (name, sentence)
    for reason in (
        "self",
        "role",
        "children",
        "minor",
        "phone",
        "given",
        "declined",
        "withdrawn",
        "consented",
        "replaced",
        "expired",
        "answered",
        "invalid",
    ):
        for formal, answer in ((True, "given"), (False, "given"), (True, "declined")):
            to_student = reason == "self" or (reason == "role" and not formal)
            ending = STUDENT_ENDING if to_student else ADULT_ENDING
            for sentence in _sentences(
                render("consent/refused", "ko", reason=reason, formal=formal, answer=answer)
            ):
                assert not ending.search(sentence), (reason, sentence)
                assert not BRACKETED.search(sentence), (reason, sentence)
