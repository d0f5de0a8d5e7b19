"""The database is the truth: two bot processes share a conversation, optional calls may fail,
webhook updates survive a restart, and a user who blocked the bot is marked inactive."""

from __future__ import annotations

import asyncio
import dataclasses

import aiohttp
from telegram import Update

from bot.app import build_application
from bot.runner import running_bot
from storage import users as users_store
from storage.db import Database
from storage.models import utcnow
from tests.conftest import join_as_student, make_settings, wait_until


class Fetcher:
    """Takes updates from the sandbox like getUpdates does, without an Updater."""

    def __init__(self, application) -> None:
        self.bot = application.bot
        self.offset = 0

    async def next(self) -> Update:
        updates = await self.bot.get_updates(offset=self.offset, timeout=5)
        assert len(updates) == 1
        self.offset = updates[0].update_id + 1
        return updates[0]


async def last_buttons(sandbox, chat_id):
    chat = await sandbox.chat(chat_id)
    message = [m for m in chat["messages"] if m["from_bot"]][-1]
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return message, {b["text"]: b["callback_data"] for row in rows for b in row}


async def test_two_bot_processes_share_one_conversation(sandbox, db_url, demo):
    settings = make_settings(db_url, sandbox.api_base)
    first, second = (build_application(settings, Database(db_url)) for _ in range(2))
    async with first, second:
        fetcher = Fetcher(first)
        user = {"id": 3001, "first_name": "민지", "language_code": "ko"}
        apps = [first, second]
        step = 0

        async def deliver(path, body):
            nonlocal step
            await sandbox.request("POST", path, {"user": user, **body})
            update = await fetcher.next()
            await apps[step % 2].process_update(update)  # alternate between the two
            step += 1

        async def press(label):
            message, buttons = await last_buttons(sandbox, 3001)
            data = next(d for text, d in buttons.items() if label in text)
            await deliver("/sandbox/callback", {"message_id": message["message_id"], "data": data})

        await deliver("/sandbox/message", {"text": "/start"})
        await press("학생이에요")
        await deliver("/sandbox/message", {"text": "정발"})
        await press("정발중학교")
        await press("3학년")
        await deliver("/sandbox/message", {"text": "김민지"})
        await press("아니요")
        assert step == 7
        message, _ = await last_buttons(sandbox, 3001)
        assert "가입 완료" in message["text"]
        for app in apps:
            await app.bot_data["db"].dispose()
    check = Database(db_url)
    async with check.read() as conn:
        row = await users_store.get(conn, 3001)
    await check.dispose()
    assert (row.role, row.grade, row.name) == ("student", 3, "김민지")


async def test_the_bot_serves_when_the_command_menu_cannot_be_set(sandbox, db_url, demo, caplog):
    await sandbox.add_fault("setMyCommands", error_code=500, description="Internal", count=10)
    async with running_bot(make_settings(db_url, sandbox.api_base)):
        minji = sandbox.user(3101, "민지")
        await minji.send("/start")
        assert "어떤 분이신가요?" in minji.last_text
    assert "could not set the default command menu" in caplog.text


async def test_a_user_who_blocked_the_bot_is_marked_inactive(tuesday_morning, bot, sandbox, db):
    # By day: the consent news to the student waits through the night (quiet hours).
    guardian = sandbox.user(3201, "보호자", phone_number="+821023456789")
    seojun = await join_as_student(sandbox, 3202, "이서준", under14=True, grade=1)
    await seojun.send("010-2345-6789")  # the guardian's number
    token = seojun.last_text.split("start=", 1)[1].split()[0]
    await sandbox.block(3202)
    await guardian.send(f"/start {token}")
    await guardian.press("부모이며")
    await guardian.share_contact()
    assert "동의가 기록되었" in guardian.last_text  # "…었고 학생에게도 알렸습니다" by day

    async def inactive():
        async with db.read() as conn:
            return not (await users_store.get(conn, 3202)).active

    await wait_until(inactive)
    await sandbox.block(3202, False)
    await seojun.send("/help")  # writing again makes them active again
    async with db.read() as conn:
        assert (await users_store.get(conn, 3202)).active


async def test_webhook_updates_are_stored_before_the_200_and_survive_a_restart(
    sandbox, db_url, demo, unused_tcp_port
):
    from bot.webhook import WebhookServer

    settings = dataclasses.replace(
        make_settings(db_url, sandbox.api_base),
        webhook_url="http://127.0.0.1/hook",
        webhook_secret="s3cret",
    )
    db = Database(db_url)
    application = build_application(settings, db)
    server = WebhookServer(application, db, "s3cret")
    from aiohttp import web

    app = web.Application()
    app.router.add_post("/hook", server.receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    url = f"http://127.0.0.1:{unused_tcp_port}/hook"
    sandbox.user(3301, "민지")  # the sandbox knows the chat
    await sandbox.request(
        "POST", "/sandbox/message", {"user": {"id": 3301, "first_name": "민지"}, "text": "/start"}
    )
    update = (await application.bot.get_updates(timeout=5))[0].to_dict()
    async with aiohttp.ClientSession() as http:
        wrong = await http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        assert wrong.status == 403
        ok = await http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        )
        assert ok.status == 200
    # Acknowledged, not yet handled (no dispatcher ran): a crash here must lose nothing.
    await runner.cleanup()
    await db.dispose()

    db = Database(db_url)
    application = build_application(settings, db)
    restarted = WebhookServer(application, db, "s3cret")
    async with application:
        dispatcher = asyncio.create_task(restarted.dispatch_forever())
        minji = sandbox.user(3301, "민지")
        await minji.expect("어떤 분이신가요?")
        await wait_until(lambda: not restarted.in_flight)
        dispatcher.cancel()
    from storage.inbox import claim

    async with db.write() as conn:
        assert await claim(conn, "another", now=utcnow(), handed=set()) == []
    await db.dispose()


async def test_the_bot_in_webhook_mode_onboards_a_student(sandbox, db_url, demo, unused_tcp_port):
    """The whole webhook runner: setWebhook, Telegram's secret header, the inbox, the answer."""
    from bot.webhook import running_webhook

    settings = dataclasses.replace(
        make_settings(db_url, sandbox.api_base),
        webhook_url=f"http://127.0.0.1:{unused_tcp_port}/telegram",
        webhook_secret="s3cret-token",
        webhook_port=unused_tcp_port,
    )
    async with running_webhook(settings):
        hooks = await sandbox.calls("setWebhook")
        assert hooks[-1]["params"]["secret_token"] == "s3cret-token"
        minji = await join_as_student(sandbox, 3401, "김민지")
        assert "가입 완료" in minji.last_text
