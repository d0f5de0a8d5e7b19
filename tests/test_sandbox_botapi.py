"""Tests of the sandbox's Bot API as PTB sees it, and of its test API under /sandbox/."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter

from sandbox.client import SandboxClient, SandboxError
from sandbox.files import TINY_PNG
from sandbox.server import RunningSandbox
from tests import sandbox_helpers
from tests.sandbox_helpers import MINJI, TOKEN, write

# The sandbox's own fixtures, bound here so that pytest finds them: this `sandbox` shadows
# conftest's (which serves the real bot).
sandbox = sandbox_helpers.sandbox
bot = sandbox_helpers.bot
client = sandbox_helpers.client


async def test_get_me_and_unknown_method(sandbox: RunningSandbox, bot: Bot) -> None:
    assert (bot.id, bot.username, bot.first_name) == (123456, "jinro_demo_bot", "Jinro")
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{sandbox.api_base}{TOKEN}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }


async def test_send_message_with_inline_keyboard(bot: Bot, client: SandboxClient) -> None:
    await write(client, "안녕")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("신청", callback_data="bk:ok:1")]])
    sent = await bot.send_message(
        5, "<b>MBC</b> 방송영상 체험", parse_mode="HTML", reply_markup=keyboard
    )
    assert sent.text == "MBC 방송영상 체험"
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == keyboard
    assert sent.chat.first_name == "민지" and sent.from_user.id == bot.id

    chat = await client.chat(5)
    shown = chat["messages"][-1]
    assert shown["from_bot"] and shown["html"] == "<b>MBC</b> 방송영상 체험"
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "bk:ok:1"


async def test_get_updates_long_poll_returns_when_an_update_arrives(
    bot: Bot, client: SandboxClient
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    await write(client, "/start ABC123")
    updates = await poll
    assert time.monotonic() - started < 2
    message = updates[0].message
    assert message.text == "/start ABC123"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    assert message.from_user.language_code == "ko"


async def test_offset_confirms_and_redeliver_repeats_an_update(
    bot: Bot, client: SandboxClient
) -> None:
    await write(client, "하나")
    await write(client, "둘")
    first, second = await bot.get_updates()
    assert await bot.get_updates(offset=second.update_id + 1) == ()
    await client.redeliver(first.update_id)
    (again,) = await bot.get_updates(offset=second.update_id + 1)
    assert again.update_id == first.update_id and again.message.text == "하나"


async def test_a_user_answers_a_bot_message_with_telegrams_reply(
    bot: Bot, client: SandboxClient
) -> None:
    """The update carries the answered message as Telegram sends it: the bot's own message,
    from the bot, with its inline keyboard."""
    await write(client, "안녕")
    (hello,) = await bot.get_updates()
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("답장", callback_data="re:7")]])
    sent = await bot.send_message(5, "<b>새 소식</b>", parse_mode="HTML", reply_markup=buttons)
    body = {"user": MINJI, "text": "고마워요", "reply_to_message_id": sent.message_id}
    await client.request("POST", "/sandbox/message", body)
    (answer,) = await bot.get_updates(offset=hello.update_id + 1)
    answered = answer.message.reply_to_message
    assert answer.message.text == "고마워요" and answer.message.from_user.id == 5
    assert answered.message_id == sent.message_id and answered.text == "새 소식"
    assert answered.from_user.is_bot and answered.from_user.id == bot.id
    assert answered.reply_markup.inline_keyboard[0][0].callback_data == "re:7"
    chat = await client.chat(5)
    assert chat["messages"][-1]["reply_to_message_id"] == sent.message_id
    body["reply_to_message_id"] = 999
    with pytest.raises(SandboxError, match="reply_to_message_id"):
        await client.request("POST", "/sandbox/message", body)


async def test_a_second_poller_ends_the_first(sandbox: RunningSandbox, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(TOKEN, base_url=sandbox.api_base) as second_process:
        assert await second_process.get_updates(timeout=0.2) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first


async def test_allowed_updates_leave_out_other_kinds(bot: Bot, client: SandboxClient) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    answer = await write(client, "무시될 메시지")
    assert answer["update_id"] is None and "allowed_updates" in answer["dropped"]
    await bot.get_updates(allowed_updates=[])
    assert (await write(client, "이제 보여요"))["update_id"] is not None


async def test_edit_and_not_modified(bot: Bot, client: SandboxClient) -> None:
    await write(client, "안녕")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("확인", callback_data="ok")]])
    sent = await bot.send_message(5, "대기 중", reply_markup=keyboard)
    edited = await bot.edit_message_text("확정", 5, sent.message_id, reply_markup=keyboard)
    assert edited.text == "확정" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("확정", 5, sent.message_id, reply_markup=keyboard)
    # Without reply_markup the keyboard goes, as in Telegram: that is a modification.
    await bot.edit_message_text("확정", 5, sent.message_id)
    await bot.edit_message_reply_markup(5, sent.message_id, reply_markup=keyboard)
    shown = (await client.chat(5))["messages"][-1]
    assert (shown["text"], shown["edit_count"]) == ("확정", 3)
    assert shown["reply_markup"] == keyboard.to_dict()
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("없음", 5, 999)


async def test_delete_message(bot: Bot, client: SandboxClient) -> None:
    await write(client, "안녕")
    sent = await bot.send_message(5, "곧 지워져요")
    assert await bot.delete_message(5, sent.message_id)
    assert (await client.chat(5))["messages"][-1]["deleted"]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(5, sent.message_id)


async def test_answer_callback_query_only_once(bot: Bot, client: SandboxClient) -> None:
    await write(client, "안녕")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("신청", callback_data="apply")]])
    sent = await bot.send_message(5, "프로그램", reply_markup=keyboard)
    pressed = await client.request(
        "POST",
        "/sandbox/callback",
        {"user": MINJI, "message_id": sent.message_id, "data": "apply"},
    )
    assert pressed["forged"] is False
    (update,) = [u for u in await bot.get_updates() if u.callback_query]
    assert update.callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(update.callback_query.id, "신청했어요", show_alert=True)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(update.callback_query.id)
    chat = await client.chat(5)
    assert chat["callback_answers"][0]["text"] == "신청했어요"
    assert chat["callback_answers"][0]["show_alert"] is True


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_429_is_retry_after(bot: Bot, client: SandboxClient) -> None:
    await write(client, "안녕")
    await client.add_fault("sendMessage", 429, retry_after=3, count=2, chat_id=5)
    for _ in range(2):
        with pytest.raises(RetryAfter) as error:
            await bot.send_message(5, "공지")
        assert error.value.retry_after in (3, timedelta(seconds=3))
    await bot.send_message(5, "공지")
    await client.add_fault("sendMessage", 500)
    await client.clear_faults()
    await bot.send_message(5, "다시 공지")
    calls = await client.calls("sendMessage")
    assert [call["ok"] for call in calls] == [False, False, True, True]
    assert calls[0]["error_code"] == 429 and calls[0]["params"]["chat_id"] == 5


async def test_blocked_user_is_forbidden(bot: Bot, client: SandboxClient) -> None:
    await write(client, "안녕")
    await client.block(5)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(5, "알림")
    await client.block(5, blocked=False)
    await bot.send_message(5, "알림")


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("긴 데이터", callback_data="가" * 22)]]
                ),
            },
            "Button_data_invalid",
        ),
        ({"text": "x" * 4097}, "Message is too long"),
        ({"text": "가 & 나", "parse_mode": "HTML"}, "Can't parse entities"),
        ({"text": "<b>열림", "parse_mode": "HTML"}, "Can't parse entities"),
        ({"text": "   "}, "Message text is empty"),
        ({"text": "x", "chat_id": 77}, "Chat not found"),
    ],
)
async def test_send_message_is_validated_like_telegram(
    bot: Bot, client: SandboxClient, kwargs: dict, problem: str
) -> None:
    await write(client, "안녕")
    with pytest.raises(BadRequest, match=problem):
        await bot.send_message(**{"chat_id": 5, **kwargs})


async def test_text_length_is_counted_after_parsing_in_utf16(
    bot: Bot, client: SandboxClient
) -> None:
    await write(client, "안녕")
    await bot.send_message(5, "<b>" + "가" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(5, "😀" * 2048)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(5, "😀" * 2048 + "x")


async def test_form_and_json_bodies_with_string_ids(sandbox: RunningSandbox) -> None:
    async with SandboxClient(sandbox.url, token=TOKEN) as client:
        await write(client, "안녕")
    url = f"{sandbox.api_base}{TOKEN}/sendMessage"
    markup = json.dumps({"inline_keyboard": [[{"text": "가", "callback_data": "a"}]]})
    async with aiohttp.ClientSession() as session:
        form = {"chat_id": "5", "text": "form", "reply_markup": markup}
        async with session.post(url, data=form) as response:
            sent = await response.json()
        assert sent["ok"] and sent["result"]["reply_markup"] == json.loads(markup)
        body = {"chat_id": "5", "message_id": str(sent["result"]["message_id"]), "text": "json"}
        async with session.post(
            f"{sandbox.api_base}{TOKEN}/editMessageText", json=body
        ) as response:
            assert (await response.json())["result"]["text"] == "json"


async def test_document_upload_and_download(bot: Bot, client: SandboxClient) -> None:
    await write(client, "명단 주세요")
    content = "이름,학교\n김민지,정발중학교\n".encode()
    sent = await bot.send_document(
        5, content, filename="명단.csv", caption="<b>명단</b>", parse_mode="HTML"
    )
    assert sent.document.file_name == "명단.csv" and sent.document.file_size == len(content)
    assert sent.caption == "명단"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    shown = (await client.chat(5))["messages"][-1]
    assert shown["document"]["mime_type"] == "text/csv" and shown["html"] == "<b>명단</b>"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{client.url}/sandbox/files/{sent.document.file_id}") as response:
            assert await response.read() == content
    again = await bot.send_document(5, sent.document.file_id)
    assert again.document.file_id == sent.document.file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(5, "no-such-file-id")


async def test_send_photo_reports_its_size(bot: Bot, client: SandboxClient) -> None:
    await write(client, "사진")
    sent = await bot.send_photo(5, TINY_PNG, caption="현장 점검")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (1, 1)
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(5, b"not an image")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(5, TINY_PNG, caption="x" * 1025)


async def test_commands_by_scope_and_language(bot: Bot, client: SandboxClient) -> None:
    await write(client, "안녕")
    await bot.set_my_commands([BotCommand("start", "시작하기"), BotCommand("help", "도움말")])
    teacher_menu = [BotCommand("consents", "동의서 기록")]
    await bot.set_my_commands(teacher_menu, scope=BotCommandScopeChat(5), language_code="ko")
    assert await bot.get_my_commands(scope=BotCommandScopeChat(5), language_code="ko") == tuple(
        teacher_menu
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert (await client.chat(5))["commands"] == [
        {"command": "consents", "description": "동의서 기록"}
    ]
    (call,) = [c for c in await client.calls("setMyCommands") if "scope" in c["params"]]
    assert call["params"]["scope"] == {"type": "chat", "chat_id": 5}
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "x")])
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands(teacher_menu, scope=BotCommandScopeChat(404))
    await bot.delete_my_commands(scope=BotCommandScopeChat(5), language_code="ko")
    assert [c["command"] for c in (await client.chat(5))["commands"]] == ["start", "help"]


async def test_webhook_retries_in_order_with_the_secret(bot: Bot, client: SandboxClient) -> None:
    received: list[tuple[int, str]] = []
    failures = {"left": 2}

    async def receive(request: web.Request) -> web.Response:
        update = await request.json()
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        received.append((update["update_id"], request.headers["X-Telegram-Bot-Api-Secret-Token"]))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        hook = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        await bot.set_webhook(hook, secret_token="s3cret")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        sent = [(await write(client, text))["update_id"] for text in ("하나", "둘", "셋")]
        for _ in range(100):
            if len(received) == 3:
                break
            await asyncio.sleep(0.02)
        assert received == [(update_id, "s3cret") for update_id in sent]
        info = await bot.get_webhook_info()
        assert info.url == hook and info.pending_update_count == 0
        assert "500" in info.last_error_message
        await bot.delete_webhook()
        assert await bot.get_updates() == ()
    finally:
        await runner.cleanup()


async def test_update_stats_attribute_answers(bot: Bot, client: SandboxClient) -> None:
    first = (await write(client, "하나"))["update_id"]
    second = (await write(client, "둘"))["update_id"]
    await bot.get_updates()
    await bot.send_message(5, "하나에 답")
    await bot.send_chat_action(5, "typing")  # not an answer
    stats = {s["update_id"]: s for s in await client.update_stats()}
    assert stats[first]["answered_at"] is not None and stats[second]["answered_at"] is None
    assert stats[first]["queued_at"] <= stats[first]["delivered_at"] <= stats[first]["answered_at"]
    events = (await client.events(chat_id=5))["events"]
    assert [(e["actor"], e["method"], e["update_id"]) for e in events] == [
        ("user", "message", first),
        ("user", "message", second),
        ("bot", "sendMessage", first),
        ("bot", "sendChatAction", None),
    ]


async def test_delay_applies_to_every_call(bot: Bot, client: SandboxClient) -> None:
    await client.set_delay(80)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.08
    await client.set_delay(0)


async def test_events_long_poll_wakes_on_a_bot_action(bot: Bot, client: SandboxClient) -> None:
    after = (await write(client, "안녕"))["seq"]
    waiting = asyncio.create_task(client.events(after, timeout=5, chat_id=5))
    await asyncio.sleep(0.05)
    await bot.send_message(5, "반가워요")
    batch = await asyncio.wait_for(waiting, 1)
    assert [e["text"] for e in batch["events"]] == ["반가워요"]


async def test_reset_keeps_update_ids_rising(bot: Bot, client: SandboxClient) -> None:
    first = (await write(client, "안녕"))["update_id"]
    await client.reset()
    assert (await client.chat(5))["messages"] == []
    assert (await write(client, "또 안녕"))["update_id"] > first


async def test_personas_and_the_chat_page(sandbox: RunningSandbox, client: SandboxClient) -> None:
    personas = [
        {
            "id": 1001,
            "first_name": "이서준",
            "role_label": "교사",
            "description": "정발중",
            "start": "T-INV1",
        }
    ]
    await client.set_personas(personas)
    assert await client.personas() == personas
    async with aiohttp.ClientSession() as session:
        async with session.get(sandbox.url + "/") as response:
            page = await response.text()
    assert "/sandbox/events" in page and "새 사용자" in page
