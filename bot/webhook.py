"""Webhook mode: every update is written to the inbox table before Telegram gets its 200.

A shutdown or crash therefore never drops an acknowledged update: whatever the inbox holds
is handed out again. Several processes may serve one database: each hands out only the
updates of the senders it holds (storage/inbox.py), in update_id order, to the per-user
processor, so one person's updates stay in order across processes and crashes. A heartbeat
keeps the holds alive; a process that dies loses them within inbox.LEASE.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from time import monotonic
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot import commands
from bot.app import build_application
from bot.effects import HOLD, Hold
from bot.identity_web import add_pages
from bot.processor import InTurn
from bot.runner import start_clock, supervise, wait_for_signal
from bot.settings import Settings
from storage import inbox
from storage.db import Database
from storage.migrate import migrate
from storage.models import utcnow

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; a file is a reference, never its bytes.
MAX_BODY = 1024 * 1024
# A told flooder's update is acknowledged this late. Telegram sends one chat's next update
# only after the previous one's answer (as the sandbox does), so holding the answer spaces
# the rest of the flood out to ten a second: dropped either way, but a flood of a thousand
# no longer crowds the others' updates off the processor (python -m bench webhook, flood).
FLOOD_ACK_DELAY = 0.1


def valid_update_id(value: object) -> bool:
    """A JSON integer (not true, 1.5 or 1e400) that fits the inbox's BIGINT."""
    return type(value) is int and 0 <= value < 2**63


class WebhookServer:
    def __init__(
        self,
        application: Application,
        db: Database,
        secret: str,
        owner: str | None = None,
        lease: timedelta = inbox.LEASE,
    ) -> None:
        self.application = application
        self.db = db
        self.secret = secret
        # Names this process in inbox_holders: unique per start, so a restarted process
        # never mistakes a dead one's holds for its own.
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.wake = asyncio.Event()
        self.in_flight: set[asyncio.Task] = set()
        self.handed: set[int] = set()  # update ids in hand here, not yet done
        # One person's updates handled and marked done one after another (handle).
        self.in_turn = InTurn()
        self.lease = lease
        if application is not None:  # (the input tests need no bot)
            application.update_processor.finishing = None  # inbox.done finishes each update

    async def receive(self, request: web.Request) -> web.Response:
        """Store a signed update, then 200. Anything else gets a 4xx, never a 500: the secret
        header compared as bytes (any bytes), the body at most MAX_BODY and read only after
        the secret matched, the JSON an object with a non-negative 64-bit integer update_id."""
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self.secret.encode()):
            return web.Response(status=403)
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413)
        try:
            payload = json.loads(await request.read())
        except web.HTTPRequestEntityTooLarge:  # a chunked body past the limit
            return web.Response(status=413)
        except (ValueError, RecursionError):  # not JSON (or nested past any sense)
            return web.Response(status=400)
        update_id = payload.get("update_id") if isinstance(payload, dict) else None
        if not valid_update_id(update_id):
            return web.Response(status=400)
        if self.flooding(payload):
            await asyncio.sleep(FLOOD_ACK_DELAY)
            return web.Response(status=200)  # acknowledged and dropped: a flood's excess
        async with self.db.write() as conn:
            await inbox.store(conn, update_id, payload, now=utcnow())
        self.wake.set()
        return web.Response(status=200)

    def flooding(self, payload: dict) -> bool:
        """The sender floods and was told so: their update is dropped before it costs three
        writes (stored, claimed, done). Each process counts what reaches it."""
        sender = inbox.sender_of(payload)
        flood = self.application.bot_data["flood"] if self.application is not None else None
        return sender is not None and flood is not None and flood.silenced(sender, monotonic())

    async def dispatch_forever(self) -> None:
        """Hand stored updates to the bot as they come; look again at least every second
        (another process's senders may fall free)."""
        while True:
            if not await self.dispatch_once():
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=1)

    async def dispatch_once(self) -> int:
        """Claim what this process may hand out now and start each; how many."""
        async with self.db.write() as conn:
            batch = await inbox.claim(
                conn, self.owner, now=utcnow(), handed=self.handed, lease=self.lease
            )
        for update_id, payload in batch:
            try:
                update = Update.de_json(payload, self.application.bot)
            except Exception as error:  # noqa: BLE001 (whatever PTB cannot read)
                await self.quarantine(update_id, error)
                continue
            self.handed.add(update_id)
            task = asyncio.create_task(self.handle(update_id, update, inbox.sender_of(payload)))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return len(batch)

    async def quarantine(self, update_id: int, error: Exception) -> None:
        problem = f"unreadable: {type(error).__name__}"
        async with self.db.write() as conn:
            await inbox.quarantine(conn, [update_id], problem, now=utcnow())
        log.warning("update %d quarantined (%s)", update_id, problem)

    async def handle(self, update_id: int, update: Update, sender: int | None) -> None:
        """Handle one update, then mark it done, before the sender's next update starts: at
        a crash, at most one update of each person is in hand, so at most one answer per
        person is repeated when it is handed out again."""
        async with self.in_turn(sender if sender is not None else ("alone", update_id)):
            if sender is not None and not await self.still_holds(sender):
                self.handed.discard(update_id)  # another process took this person over
                return
            processor = self.application.update_processor
            hold = HOLD.set(Hold(self.owner, sender) if sender is not None else None)
            try:
                await processor.process_update(update, self.application.process_update(update))
            finally:
                HOLD.reset(hold)
                # Handled, or failed and already reported by the error handler: done.
                # Unless another process took the person over: then it is theirs to finish.
                async with self.db.write() as conn:
                    if sender is None or await inbox.holds(conn, self.owner, sender):
                        await inbox.done(conn, update_id, now=utcnow())
                    if sender is not None:
                        await inbox.release(conn, self.owner, sender=sender)
                self.handed.discard(update_id)

    async def still_holds(self, sender: int) -> bool:
        async with self.db.read() as conn:
            return await inbox.holds(conn, self.owner, sender)

    async def heartbeat_forever(self) -> None:
        """Keep this process's holds alive while it lives."""
        while True:
            async with self.db.write() as conn:
                await inbox.renew(conn, self.owner, now=utcnow(), lease=self.lease)
            await asyncio.sleep(self.lease.total_seconds() / 3)

    async def stop(self, wait: float = 10) -> None:
        """After the dispatcher stopped: finish what is in hand (for `wait` seconds at most),
        then let every sender go at once, so another process goes on without waiting for the
        lease. What did not finish is handed out again by whoever takes its sender."""
        if self.in_flight:
            await asyncio.wait(self.in_flight, timeout=wait)
        async with self.db.write() as conn:
            await inbox.release_all(conn, self.owner)


@contextlib.asynccontextmanager
async def running_webhook(settings: Settings) -> AsyncIterator[WebhookServer]:
    """Migrate, serve the webhook and dispatch stored updates until the block exits."""
    await migrate(settings.database_url)
    db = Database(settings.database_url)
    application = build_application(settings, db)
    path = urlparse(settings.webhook_url).path or "/"
    server = WebhookServer(
        application,
        db,
        settings.webhook_secret,
        lease=timedelta(seconds=settings.inbox_lease_seconds),
    )
    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, server.receive)
    add_pages(app, application)  # the identity check's, if on
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
        background = [
            asyncio.create_task(supervise("the webhook dispatcher", server.dispatch_forever)),
            asyncio.create_task(supervise("the inbox heartbeat", server.heartbeat_forever)),
        ]
        clock = start_clock(application)
        log.info(
            "webhook listening on %s:%s%s", settings.webhook_listen, settings.webhook_port, path
        )
        try:
            yield server
        finally:
            await clock.stop()
            await runner.cleanup()  # stop accepting first; stored updates wait in the inbox
            for task in background:
                task.cancel()
            await server.stop()
            await application.stop()
    await db.dispose()


async def run_webhook(settings: Settings) -> None:
    async with running_webhook(settings):
        await wait_for_signal()
