"""Webhook mode: every update is written to the inbox table before Telegram gets its 200.

A shutdown or crash therefore never drops an acknowledged update: on start the
dispatcher first replays whatever the inbox still holds. Updates are handed to
the per-user processor in update_id order, so one user's updates stay in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot import commands
from bot.app import build_application
from bot.runner import start_clock, wait_for_signal
from bot.settings import Settings
from storage import inbox
from storage.db import Database
from storage.migrate import migrate
from storage.models import utcnow

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(self, application: Application, db: Database, secret: str) -> None:
        self.application = application
        self.db = db
        self.secret = secret
        self.wake = asyncio.Event()
        self.in_flight: set[asyncio.Task] = set()

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        try:
            payload = await request.json()
            update_id = int(payload["update_id"])
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            return web.Response(status=400)
        async with self.db.write() as conn:
            await inbox.store(conn, update_id, payload, now=utcnow())
        self.wake.set()
        return web.Response(status=200)

    async def dispatch_forever(self) -> None:
        """Hand stored updates to the bot, oldest first; delete each once handled."""
        while True:
            async with self.db.write() as conn:
                batch = await inbox.claim(conn, now=utcnow(), limit=100)
            if not batch:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=5)
                except TimeoutError:
                    pass
                continue
            for update_id, payload in batch:
                update = Update.de_json(payload, self.application.bot)
                task = asyncio.create_task(self.handle(update_id, update))
                self.in_flight.add(task)
                task.add_done_callback(self.in_flight.discard)

    async def handle(self, update_id: int, update: Update) -> None:
        processor = self.application.update_processor
        try:
            await processor.process_update(update, self.application.process_update(update))
        finally:
            # Handled, or failed and already reported by the error handler: either way done.
            async with self.db.write() as conn:
                await inbox.done(conn, update_id)


@contextlib.asynccontextmanager
async def running_webhook(settings: Settings) -> AsyncIterator[WebhookServer]:
    """Migrate, serve the webhook and dispatch stored updates until the block exits."""
    await migrate(settings.database_url)
    db = Database(settings.database_url)
    application = build_application(settings, db)
    path = urlparse(settings.webhook_url).path or "/"
    server = WebhookServer(application, db, settings.webhook_secret)
    app = web.Application()
    app.router.add_post(path, server.receive)
    runner = web.AppRunner(app, access_log=None)
    async with application:
        await commands.set_defaults(application)
        await application.start()
        await runner.setup()
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        dispatcher = asyncio.create_task(server.dispatch_forever())
        clock = start_clock(application)
        log.info(
            "webhook listening on %s:%s%s", settings.webhook_listen, settings.webhook_port, path
        )
        try:
            yield server
        finally:
            await clock.stop()
            await runner.cleanup()  # stop accepting first; stored updates wait in the inbox
            dispatcher.cancel()
            if server.in_flight:
                await asyncio.wait(server.in_flight, timeout=10)
            await application.stop()
    await db.dispose()


async def run_webhook(settings: Settings) -> None:
    async with running_webhook(settings):
        await wait_for_signal()
