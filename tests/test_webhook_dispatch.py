"""The webhook's dispatcher survives what it is handed: an update PTB cannot read is
quarantined and the next ones are handled; a background task that ends is started again."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest

from bot.app import build_application
from bot.runner import supervise
from bot.webhook import WebhookServer
from storage import inbox
from storage.db import Database
from storage.models import utcnow
from tests.conftest import make_settings, wait_until

POISON = {"update_id": 800010, "message": {"text": "hi"}}  # signed, but no chat, no date


async def test_an_unreadable_update_is_quarantined_and_the_next_is_handled(
    sandbox, db_url, demo, caplog
):
    settings = dataclasses.replace(make_settings(db_url, sandbox.api_base), webhook_secret="s")
    db = Database(db_url)
    application = build_application(settings, db)
    server = WebhookServer(application, db, "s")
    await sandbox.request(
        "POST", "/sandbox/message", {"user": {"id": 3501, "first_name": "민지"}, "text": "/start"}
    )
    async with application:
        start = (await application.bot.get_updates(timeout=5))[0].to_dict()
        async with db.write() as conn:
            await inbox.store(conn, POISON["update_id"], POISON, now=utcnow())
            await inbox.store(conn, start["update_id"], start, now=utcnow())
        dispatcher = asyncio.create_task(supervise("dispatcher", server.dispatch_forever))
        try:
            await sandbox.user(3501, "민지").expect("어떤 분이신가요?")
            await wait_until(lambda: not server.in_flight)
        finally:
            dispatcher.cancel()
    async with db.read() as conn:
        assert await inbox.quarantined(conn) == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.webhook"]
    assert logged == ["update 800010 quarantined (unreadable: KeyError)"]  # the text stays out
    await db.dispose()


@pytest.mark.handler_errors  # the supervisor's lines are errors: someone should look
async def test_a_background_task_that_ends_or_fails_is_started_again(caplog):
    calls = []
    forever = asyncio.Event()

    async def work():
        calls.append(len(calls))
        if len(calls) == 1:
            raise ValueError("a student's words must not reach the log")
        if len(calls) == 2:
            return
        await forever.wait()

    caplog.set_level(logging.INFO)
    task = asyncio.create_task(supervise("the test task", work, pause=0.01))
    await wait_until(lambda: len(calls) == 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.runner"]
    assert lines == [
        "the test task failed (ValueError); starting it again in 0 s",
        "the test task ended; starting it again in 0 s",
    ]
