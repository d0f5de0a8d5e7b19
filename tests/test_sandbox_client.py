"""Tests of the sandbox's test client against a real PTB application."""

from __future__ import annotations

import pytest
from telegram import Bot, ReplyKeyboardMarkup

from sandbox.client import SandboxClient, SandboxUser
from tests import sandbox_helpers
from tests.sandbox_helpers import write

# The sandbox's own fixtures, bound here so that pytest finds them: this `sandbox` shadows
# conftest's (which serves the real bot).
sandbox = sandbox_helpers.sandbox
bot = sandbox_helpers.bot
client = sandbox_helpers.client
echo_bot = sandbox_helpers.echo_bot
minji = sandbox_helpers.minji


async def test_client_send_press_and_expect(minji: SandboxUser) -> None:
    await minji.send("/start")
    assert minji.last_text == "안녕하세요, 민지님!"
    assert minji.buttons == ["좋아요 👍", "누리집"]
    await minji.press("좋아요")
    assert minji.last_text == "좋아요를 눌렀어요"
    assert minji.callback_answers[-1]["text"] == "고마워요"
    await minji.send("<b>그대로</b> & 보여요")
    assert minji.last_text == "echo: <b>그대로</b> & 보여요"
    assert (await minji.expect("그대로"))["html"] == "echo: &lt;b&gt;그대로&lt;/b&gt; &amp; 보여요"


async def test_client_press_reports_the_visible_buttons(minji: SandboxUser) -> None:
    await minji.send("/start")
    with pytest.raises(AssertionError, match="없는 버튼.*좋아요 👍"):
        await minji.press("없는 버튼")
    with pytest.raises(AssertionError, match="not a callback button"):
        await minji.press("누리집")


async def test_client_forged_press_and_timeouts(minji: SandboxUser) -> None:
    await minji.send("/start")
    await minji.press_data(minji.last_message["message_id"], "bk:ok:999")
    answer = minji.callback_answers[-1]
    assert (answer["text"], answer["show_alert"]) == ("만료된 버튼이에요", True)
    with pytest.raises(AssertionError, match="no bot message contains '없는 말'"):
        await minji.expect("없는 말", timeout=0.2)
    with pytest.raises(AssertionError, match="did not answer a sticker"):
        await minji.send_sticker(timeout=0.3)


async def test_client_document_and_inline(minji: SandboxUser) -> None:
    await minji.send_document("학생.csv", "김민지".encode(), mime_type="text/csv")
    assert minji.last_text == f"받은 파일 {len('김민지'.encode())} bytes: 김민지"
    results = await minji.inline("방송")
    assert results[0]["input_message_content"]["message_text"] == "검색: 방송"


async def test_client_sees_the_reply_keyboard(bot: Bot, client: SandboxClient) -> None:
    user = client.user(5, "민지")
    await write(client, "안녕")
    await bot.send_message(
        5, "학년을 골라 주세요", reply_markup=ReplyKeyboardMarkup([["1학년", "2학년"]])
    )
    await user.refresh()
    assert user.reply_keyboard == ["1학년", "2학년"]
