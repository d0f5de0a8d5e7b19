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
from bot.app import CLOCK_STEPS, build_application
from bot.identity_web import serving_pages
from bot.settings import Settings
from storage.db import Database
from storage.migrate import migrate

log = logging.getLogger(__name__)


def configure_logging() -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    # httpx logs every request URL, which contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


class Clock:
    """APScheduler is only a clock; what is due is always read from the database.

    Each step runs one at a time (a missed one is not repeated). Stopping waits for the
    steps in hand to finish, so a stop never cuts a tick off halfway; a step the scheduler
    handed out just before the stop but that had not begun is not begun."""

    STOP_WAIT_SECONDS = 10

    def __init__(self, application: Application) -> None:
        self.application = application
        self.scheduler = AsyncIOScheduler()
        self.running: set[asyncio.Task] = set()
        self.stopping = False

    def every(self, job, first_in: float | None = None, **interval) -> None:
        """Run `job(application)` at every `interval` (APScheduler's interval trigger), the
        first time after `first_in` seconds if given."""

        async def step() -> None:
            if self.stopping:
                return
            task = asyncio.current_task()
            self.running.add(task)
            try:
                await job(self.application)
            finally:
                self.running.discard(task)

        if first_in is not None:  # (None would add the job paused)
            interval["next_run_time"] = datetime.now(UTC) + timedelta(seconds=first_in)
        self.scheduler.add_job(
            step,
            "interval",
            name=f"{job.__module__}.{job.__name__}",
            coalesce=True,
            max_instances=1,
            **interval,
        )

    async def stop(self) -> None:
        self.stopping = True
        self.scheduler.pause()
        # APScheduler starts a due step as a task that first runs on the loop's next turn;
        # one turn lets such a step see `stopping` and return, instead of being cancelled
        # unbegun by the shutdown below (which APScheduler logs as the job's failure).
        await asyncio.sleep(0)
        if self.running:
            await asyncio.wait(set(self.running), timeout=self.STOP_WAIT_SECONDS)
        self.scheduler.shutdown(wait=False)


async def supervise(name: str, work, *, pause: float = 1.0, longest: float = 30.0) -> None:
    """Run `work()` for good: a background task that ends or fails is said in the log (the
    error's type only: its text may carry a person's words or SQL parameters) and started
    again, after a pause that doubles while it keeps failing quickly."""
    loop = asyncio.get_running_loop()
    wait = pause
    while True:
        started = loop.time()
        try:
            await work()
            problem = "ended"
        except Exception as error:  # noqa: BLE001 (anything at all; CancelledError stops it)
            problem = f"failed ({type(error).__name__})"
        if loop.time() - started > longest:
            wait = pause  # it ran a good while: a fresh failure, not a loop of them
        log.error("%s %s; starting it again in %.0f s", name, problem, wait)
        await asyncio.sleep(wait)
        wait = min(wait * 2, longest)


def start_clock(application: Application) -> Clock:
    clock = Clock(application)
    for job, when in CLOCK_STEPS:
        clock.every(job, **when)
    clock.scheduler.start()
    return clock


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings, *, token: str | None = None, poll_interval: float = 0.0
) -> AsyncIterator[Application]:
    """Migrate, then run the bot polling until the block exits."""
    await migrate(settings.database_url)
    db = Database(settings.database_url)
    application = build_application(settings, db, token=token)
    clock = None
    try:
        await application.initialize()
        await commands.set_defaults(application)
        await application.start()
        await application.updater.start_polling(
            poll_interval=poll_interval, allowed_updates=Update.ALL_TYPES, timeout=10
        )
        clock = start_clock(application)
        log.info("bot @%s is polling %s", application.bot.username, settings.bot_api_url)
        async with serving_pages(settings, application):  # the identity check's, if on
            yield application
    finally:
        if clock is not None:
            await clock.stop()
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
