"""Runs the bot: migrate, then poll (or serve a webhook) until a signal arrives."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Update
from telegram.ext import Application

from bot import commands
from bot.app import build_application
from bot.settings import Settings
from handlers import bookings, broadcasts, cases, mentors, reminders
from storage import reminders as outbox
from storage import search
from storage import users as users_store
from storage.db import Database
from storage.migrate import migrate
from storage.models import utcnow

log = logging.getLogger(__name__)
# Telegram re-delivers an unacknowledged update for at most a day; keep ids a bit longer.
KEEP_UPDATE_IDS = timedelta(days=3)


def configure_logging() -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    # httpx logs every request URL, which contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def start_clock(application: Application) -> AsyncIOScheduler:
    """APScheduler is only a clock; what is due is always read from the database."""
    db: Database = application.bot_data["db"]
    scheduler = AsyncIOScheduler()

    async def forget_what_is_settled() -> None:
        async with db.write() as conn:
            await users_store.forget_updates_before(conn, utcnow() - KEEP_UPDATE_IDS)
            await outbox.forget_settled(conn, now=utcnow())

    scheduler.add_job(forget_what_is_settled, "interval", hours=1, coalesce=True, max_instances=1)

    async def move_past_started_sessions() -> None:
        async with db.write() as conn:
            await search.refresh_started(conn)

    scheduler.add_job(
        move_past_started_sessions, "interval", minutes=1, coalesce=True, max_instances=1
    )

    def every(job, **when) -> None:
        """A clock step taking the application: one run at a time, a missed one not
        repeated."""
        scheduler.add_job(
            job, "interval", args=[application], coalesce=True, max_instances=1, **when
        )

    every(reminders.dispatch_tick, seconds=5)
    # Writes the next daily digests (teachers 08:30, staff 09:00) into the outbox; at start
    # too, so a bot started at 08:00 still sends today's.
    every(reminders.plan_tick, hours=1, next_run_time=datetime.now(UTC))
    # Starts scheduled broadcasts and keeps their authors' progress messages up to date.
    every(broadcasts.broadcast_tick, seconds=5)
    every(bookings.clock_tick, seconds=30)
    # Mentor offers nobody answered pass on; the line of requests goes to mentors come free.
    every(mentors.clock_tick, seconds=30)
    # Cases whose service level fell due: a reminder, then staff (handlers/cases.py).
    every(cases.clock_tick, minutes=1)
    scheduler.start()
    return scheduler


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings, *, token: str | None = None, poll_interval: float = 0.0
) -> AsyncIterator[Application]:
    """Migrate, then run the bot polling until the block exits."""
    await migrate(settings.database_url)
    db = Database(settings.database_url)
    application = build_application(settings, db, token=token)
    scheduler = None
    try:
        await application.initialize()
        await commands.set_defaults(application)
        await application.start()
        await application.updater.start_polling(
            poll_interval=poll_interval, allowed_updates=Update.ALL_TYPES, timeout=10
        )
        scheduler = start_clock(application)
        log.info("bot @%s is polling %s", application.bot.username, settings.bot_api_url)
        yield application
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        await db.dispose()


async def wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run(settings: Settings) -> None:
    if settings.webhook_url:
        from bot.webhook import run_webhook

        await run_webhook(settings)
        return
    async with running_bot(settings):
        await wait_for_signal()
