"""The shared answers (common/) speak each user's register: 해요체 to students and to people who
have not joined yet, 합니다체 to adults, as the rest of the bot does."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from telegram import Chat, Message, Update
from telegram import User as TelegramUser

from bot.errors import on_error
from messages import LANGUAGES, TEMPLATES, render
from storage import stats
from storage.models import Role
from tests.conftest import ADMIN_ID, join_as_student

# common/typed_back is the person's own words given back, tap-to-copy: nobody's register.
COMMON = sorted(
    p.name[: -len(".html.j2")]
    for p in (TEMPLATES / "common").glob("*.html.j2")
    if p.name != "typed_back.html.j2"
)
# A sentence ending in 해요체 ("…주세요.", "…없어요!") and one in 합니다체 ("…없습니다.").
POLITE_ENDING = re.compile(r"요[.!?]")
FORMAL_ENDING = re.compile(r"(니다|니까|시오)[.!?]")


@pytest.mark.parametrize("name", COMMON)
def test_every_shared_message_has_both_registers(name):
    values = {
        "optional": False,
        "role": None,
        "length": 501,
        "limit": 500,
        "typed": "",
        "apart": False,
    }
    polite = render(f"common/{name}", "ko", formal=False, **values)
    formal = render(f"common/{name}", "ko", formal=True, **values)
    assert POLITE_ENDING.search(polite), polite
    assert FORMAL_ENDING.search(formal) and not POLITE_ENDING.search(formal), formal
    for lang in LANGUAGES:  # English has its own text for each, never a msgid left over
        assert render(f"common/{name}", lang, formal=True, **values)


async def test_staff_and_a_student_at_a_button_step_hear_their_own_register(bot, sandbox):
    # Someone who has not joined yet is spoken to like a student.
    minji = sandbox.user(2301, "민지")
    await minji.send("/start")
    await minji.press("학생이에요")
    await minji.send("정발")
    await minji.press("정발중학교")
    await minji.send("잘 모르겠어요")  # not a grade ("2학년이요" would count as pressed)
    assert minji.messages[-2]["text"].startswith("아래 버튼 중에서 골라 주세요.")
    await minji.send("/cancel")
    assert minji.last_text.startswith("취소했어요.")

    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/invite")
    await admin.send("선생님 초대요")
    assert admin.messages[-2]["text"] == (
        "아래 버튼 중에서 골라 주십시오. 그만하려면 /cancel 을 보내 주십시오."
    )
    assert "선생님" in admin.buttons  # the question again, under the hint
    await admin.send("/cancel")
    assert admin.last_text.startswith("취소했습니다. 하던 단계의 내용은 저장하지 않았습니다.")
    await admin.send("/cancel")
    assert admin.last_text.startswith("지금 취소할 일은 없습니다.")


async def test_the_other_shared_answers_follow_the_role(bot, sandbox):
    minji = await join_as_student(sandbox, 2302, "김민지")
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/start")
    for person, expected in (
        (minji, ["지금 취소할 일은 없어요", "모르는 명령어예요", "알아들을 수 있어요"]),
        (admin, ["지금 취소할 일은 없습니다", "알 수 없는 명령어입니다", "읽을 수 있습니다"]),
    ):
        await person.send("/cancel")
        assert expected[0] in person.last_text
        await person.send("/nosuchcommand")
        assert expected[1] in person.last_text
        await person.send_sticker()
        assert expected[2] in person.last_text
    await minji.send("/invite")
    assert "이 기능은 쓸 수 없어요" in minji.last_text
    await admin.send("/settings")
    assert "안내받을 언어를 골라 주십시오." in admin.last_text
    await admin.press("English")
    assert admin.last_text == "Done. I will use English from now on."
    await admin.send("/cancel")
    assert admin.last_text.startswith("There is nothing to cancel at the moment.")


class RecordingBot:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str) -> None:
        self.sent.append((chat_id, text))


@pytest.mark.handler_errors  # the failure is the point
@pytest.mark.parametrize(
    ("role", "apology"),
    [
        (None, "죄송해요. 봇에 문제가 생겨서"),
        (Role.STUDENT, "죄송해요. 봇에 문제가 생겨서"),
        (Role.TEACHER, "죄송합니다. 시스템에 문제가 생겨"),
        (Role.STAFF, "죄송합니다. 시스템에 문제가 생겨"),
    ],
)
async def test_the_apology_after_a_failure_is_in_the_users_register(role, apology):
    person = TelegramUser(4242, "민지", is_bot=False)
    message = Message(1, datetime.now(UTC), Chat(4242, "private"), from_user=person, text="x")
    bot = RecordingBot()
    context = SimpleNamespace(
        error=RuntimeError("boom"),
        user=SimpleNamespace(role=role, lang="ko"),
        lang="ko",
        bot=bot,
    )
    await on_error(Update(7, message=message), context)
    assert len(bot.sent) == 1 and bot.sent[0][0] == 4242
    assert bot.sent[0][1].startswith(apology)


@pytest.mark.handler_errors  # the failure is the point
async def test_a_real_failure_apologises_to_staff_formally(bot, sandbox, monkeypatch):
    """PTB hands the error handler a context of its own, without the user the gate loaded:
    the apology still finds the user's register."""

    async def broken(conn):
        raise RuntimeError("boom")

    monkeypatch.setattr(stats, "figures", broken)
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/stats")
    assert admin.last_text.startswith("죄송합니다. 시스템에 문제가 생겨")
