"""Walk findings on guardian consent, end to end through the sandbox on both databases: a
"no" is recorded in the guardian's name only after the same check as a "yes" (a stranger
holding the link changes nothing, and the link stays the real guardian's); a guardian's
number is 010 and 8 digits, and one a digit short is refused with the form expected, never
re-split into another number."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import AuditEntry
from tests.conftest import join_as_student
from tests.test_consent_e2e import (
    E164,
    button_data,
    consent_link,
    consent_request_row,
    refusals,
)
from tests.test_onboarding_e2e import user_row
from tests.world_helpers import add_teacher

# A student hears of consent only 08:00-21:00 (the outbox): the stories run on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")


async def audited(db, action: str) -> int:
    async with db.read() as conn:
        return await conn.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )


async def test_a_stranger_with_the_link_cannot_refuse_in_the_guardians_name(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 1101, grades="1")
    hajun = await join_as_student(sandbox, 1002, "정하준", under14=True, grade=1)
    token = await consent_link(hajun)

    # The walk: a stranger fails the number check on "yes", then presses "no" on the same link.
    stranger = sandbox.user(1003, "다른 어른", phone_number="+821099998888")
    await stranger.send(f"/start {token}")
    question = stranger.last_message
    await stranger.press("부모이며, 동의합니다")
    await stranger.share_contact()
    assert "학생이 알려 준 번호와 달라서 동의를" in stranger.last_text
    await stranger.press_data(question["message_id"], button_data(question, "동의하지 않습니다"))
    assert "보호자님 본인의 이름으로 기록되므로" in stranger.last_text
    assert "이 번호만 답의 기록으로 보관합니다" in stranger.last_text
    assert stranger.reply_keyboard == ["📱 내 휴대전화 번호 보내기"]
    await stranger.send("010-2345-6789")  # typing the student's number proves nothing
    assert "입력하신 번호로는 보호자님 본인인지 확인할 수 없습니다" in stranger.last_text
    await stranger.share_contact()
    assert "학생이 알려 준 번호와 달라서 답을 기록하지 않았습니다" in stranger.last_text
    # Nothing changed but two refusals in the audit log; the link is still open.
    assert len(await refusals(db, "phone")) == 2
    assert await audited(db, "consent.declined") == 0
    request = await consent_request_row(db, token)
    assert (request.status, request.answered_by) == ("pending", None)
    assert (await user_row(db, 1003)).flow is None
    await teacher.send("/consents")
    assert "정하준 (1학년) — 보호자에게 링크 보냄" in teacher.last_text
    assert "동의하지 않음" not in teacher.last_text
    assert not [m for m in hajun.bot_messages if "동의하지 않으셨어요" in (m["text"] or "")]

    # The real guardian answers on the same link: her "no", checked, is recorded.
    mother = sandbox.user(1004, "하준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.press("동의하지 않습니다")
    assert "휴대전화 번호를 보내 주십시오" in mother.last_text
    await mother.share_contact()
    assert "동의는 기록되지 않았습니다" in mother.last_text or "알겠습니다" in mother.last_text
    await hajun.expect("보호자가 이번에는 동의하지 않으셨어요")
    request = await consent_request_row(db, token)
    assert (request.status, request.method, request.answered_by) == ("declined", "contact", 1004)
    assert await audited(db, "consent.declined") == 1
    await teacher.send("/consents")
    assert "정하준 (1학년) — 보호자가 동의하지 않음" in teacher.last_text
    await mother.send(f"/start {token}")
    assert "이미 동의하지 않는다고 답하셨습니다" in mother.last_text


async def test_after_a_failed_no_the_real_guardian_can_still_agree(bot, sandbox, db):
    hajun = await join_as_student(sandbox, 1002, "정하준", under14=True, grade=1)
    token = await consent_link(hajun)
    stranger = sandbox.user(1003, "다른 어른", phone_number="+821099998888")
    await stranger.send(f"/start {token}")
    await stranger.press("동의하지 않습니다")
    card = {"contact": {"phone_number": E164, "first_name": "하준 엄마"}}  # not their own
    await stranger._act("/sandbox/message", card, 10.0, "a contact card")
    assert "연락처 카드" in stranger.messages[-2]["text"]
    await stranger.share_contact()
    assert "답을 기록하지 않았습니다" in stranger.last_text

    mother = sandbox.user(1004, "하준 엄마", phone_number=E164)
    await mother.send(f"/start {token}")
    await mother.press("동의하지 않습니다")  # changes her mind before sharing: agrees
    await mother.press("부모이며, 동의합니다")
    await mother.share_contact()
    assert "동의가 기록되었고" in mother.last_text
    await hajun.expect("보호자가 동의해 주셨어요")
    request = await consent_request_row(db, token)
    assert (request.status, request.answered_by) == ("given", 1004)
    assert await audited(db, "consent.declined") == 0


async def test_a_number_a_digit_short_is_refused_not_re_split(bot, sandbox, db):
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    await seojun.send("010-2345-678")  # the walk's typo: 10 digits
    said = seojun.last_text
    assert "11자리예요" in said and "010-1234-5678" in said and "입력한 번호는 10자리예요" in said
    assert "010-234-5678" not in said and "start=c" not in said
    await seojun.send("010-2345-67890")  # one too many
    assert "입력한 번호는 12자리예요" in seojun.last_text
    await seojun.send("011-2345-6789")  # 11 digits, but not 010
    assert "휴대전화 번호가 아닌 것 같아요" in seojun.last_text
    await seojun.send("/cancel")
    await seojun.send("010 2345 678")  # outside the step too: refused the same way
    assert "입력한 번호는 10자리예요" in seojun.last_text
    assert (await user_row(db, 1002)).flow == "cn.phone"  # and the step is open again
    token = await consent_link(seojun)  # 010-2345-6789, exactly as typed
    request = await consent_request_row(db, token)
    assert request.guardian_phone == E164


async def test_an_english_student_is_told_the_form_expected(bot, sandbox, db):
    sam = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    await sam.send("/settings")
    await sam.press("English")
    await sam.send("/consent")
    await sam.send("010-2345-678")
    assert "A mobile number has 11 digits, 010 and then 8 more, like 010-1234-5678" in (
        sam.last_text
    )
    assert "the one you typed has 10" in sam.last_text
