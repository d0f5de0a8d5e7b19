"""A guardian (a guest who answered a student's consent request) is an adult: end to end
through the sandbox on both databases, every reply to them is in 합니다체, outside the
consent flow too (/help, /cancel, typed text, /settings, an unknown command, an old button),
and /help says what a guardian can do. A guest who answered nothing keeps the 해요체 that
people who have not joined yet get; an account with a role is not asked at all."""

from __future__ import annotations

import pytest

from tests.conftest import join_as_student
from tests.test_erasure_paths_e2e import a_consenting_guardian

# A student hears of consent only 08:00-21:00 (the outbox): the stories run on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")


async def test_a_guardian_is_spoken_to_as_an_adult(bot, sandbox, db):
    child, mother = await a_consenting_guardian(sandbox, db)

    await mother.send("/help")
    helped = mother.last_text
    assert "보호자님이 하실 수 있는 일" in helped and "도와드려요" not in helped
    for command in ("/consent", "/mydata", "/deleteme", "/settings"):
        assert command in helped
    assert "동의를 철회합니다" in helped and "학생이에요" not in helped

    await mother.send("안녕하세요")  # typed text outside any step
    assert "입력하신 글은 여기에서 읽지 않습니다" in mother.last_text
    assert "/help" in mother.last_text and "시작해 주세요" not in mother.last_text
    await mother.send("/cancel")
    assert mother.last_text.startswith("지금 취소할 일은 없습니다")
    await mother.send("/deleteme")  # a step, cancelled
    await mother.send("/cancel")
    assert mother.last_text.startswith("취소했습니다") and "볼 수 있어요" not in mother.last_text
    await mother.send("/settings")
    assert "안내받을 언어를 골라 주십시오" in mother.last_text
    await mother.send("/nothing")
    assert mother.last_text.startswith("알 수 없는 명령어입니다")

    # The /deleteme question's buttons, pressed after /cancel closed it: the formal answer.
    await mother.send("/deleteme")
    await mother.press("본인 정보")
    await mother.send("/cancel")
    await mother.press("네, 모두 삭제합니다")
    assert mother.callback_answers[-1]["text"] == "이 버튼은 이제 쓸 수 없습니다."

    # The child, a student, keeps 해요체; a guest who answered nothing too.
    await child.send("/cancel")
    assert child.last_text.startswith("지금 취소할 일은 없어요")
    stranger = sandbox.user(7690, "손님")
    await stranger.send("안녕하세요")
    assert stranger.last_text == "안녕하세요! /start 를 눌러 시작해 주세요."
    await stranger.send("/help")
    assert "보호자님이 하실 수 있는 일" not in stranger.last_text


async def test_a_guardian_who_withdrew_is_still_spoken_to_as_an_adult(bot, sandbox, db):
    child, mother = await a_consenting_guardian(sandbox, db)
    await mother.send("/consent")
    await mother.press("이서준 학생 동의 철회")
    await mother.press("네, 동의를 철회합니다")
    await child.expect("보호자가 동의를 철회했어요")
    await mother.send("/help")
    assert "보호자님이 하실 수 있는 일" in mother.last_text
    await mother.send("/deleteme")  # no child to choose: her own data, as a guardian's
    assert "보호자님에 대해 보관 중인 정보" in mother.last_text
    assert "철회하신 동의 1건" in mother.last_text
    assert "동의가 모두 철회됩니다" not in mother.last_text  # nothing left to withdraw
    await mother.send("뭐죠")
    assert "아직 답하지 않으셨습니다" in mother.last_text
    await join_as_student(sandbox, 7691, "박지우")  # a student's register is untouched


async def test_a_guardians_start_says_what_a_guardian_can_do(bot, sandbox, db):
    """/start again after consenting is not a newcomer's "are you a student?"."""
    _, mother = await a_consenting_guardian(sandbox, db)
    await mother.send("/start")
    assert "보호자님이 하실 수 있는 일" in mother.last_text
    assert "/consent" in mother.last_text
    assert "학생이에요" not in mother.last_text and not mother.last_message.get("reply_markup")
