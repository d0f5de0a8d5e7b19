"""Builds the Application: settings, database, update processor and the ordered handler areas."""

from __future__ import annotations

from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.context import JinroContext
from bot.effects import Finishing
from bot.errors import on_error
from bot.http import AiohttpRequest
from bot.identity_web import identity_check
from bot.pacing import Pacer, SharedLimiter, SharedPacer
from bot.processor import PerUserUpdateProcessor
from bot.settings import Settings
from handlers import (
    audit,
    bookings,
    broadcasts,
    cases,
    classbook,
    consent,
    fair,
    fallback,
    gate,
    general,
    imports,
    inspections,
    invites,
    mentors,
    onboarding,
    outbox,
    pending,
    privacy,
    retention,
    search,
    sessions,
    stats,
)
from handlers.common import buttons
from storage.db import Database

# What the bot sends on its own, each area's kinds (handlers/outbox/kinds.py).
OUTGOING = [
    *bookings.OUTGOING,
    *sessions.OUTGOING,
    *pending.OUTGOING,
    *classbook.OUTGOING,
    *mentors.OUTGOING,
    *cases.OUTGOING,
    *consent.OUTGOING,
    *inspections.OUTGOING,
    *broadcasts.OUTGOING,
    *outbox.OUTGOING,
]

# The clock's steps, each `job(application)` run every so often, one at a time. APScheduler
# only wakes them; what is due is always read from the database (bot/runner.py, Clock).
CLOCK_STEPS = [
    (gate.forget_tick, {"hours": 1}),
    (outbox.forget_tick, {"hours": 1}),
    (search.clock_tick, {"minutes": 1}),
    (outbox.dispatch_tick, {"seconds": 5}),
    # Writes the next daily digests (teachers 08:30, staff 09:00) into the outbox; at start
    # too (an interval of 0 seconds first), so a bot started at 08:00 still sends today's.
    (outbox.plan_tick, {"hours": 1, "first_in": 0}),
    # Starts scheduled broadcasts and keeps their authors' progress messages up to date.
    (broadcasts.broadcast_tick, {"seconds": 5}),
    # Requests nobody answered expire; lottery draws fall due.
    (bookings.clock_tick, {"seconds": 30}),
    # Mentor offers nobody answered pass on; the line of requests goes to mentors come free.
    (mentors.clock_tick, {"seconds": 30}),
    # Cases whose service level fell due: a reminder, then staff (handlers/cases/).
    (cases.clock_tick, {"minutes": 1}),
    # What is no longer needed is destroyed (storage/retention.py): daily, and soon after start.
    (retention.sweep_tick, {"hours": 24, "first_in": 60}),
]

# The bot's web pages, each (method, path, handler(application, request)): served only with
# the phone identity check on (bot/identity_web.py).
WEB_PAGES = [*consent.WEB_PAGES]

# Feature areas in order; the first handler that matches an update wins.
# fallback must stay last: it catches what no area took.
AREAS = [
    general,
    onboarding,
    consent,
    privacy,
    invites,
    imports,
    bookings,
    pending,
    classbook,
    fair,
    sessions,
    stats,
    audit,
    broadcasts,
    mentors,  # the mentor's side, then the student's and teacher's, then staff's
    cases,  # before search: a Telegram reply to a relayed case message is not a search
    inspections,
    search,
    fallback,
]


def build_application(settings: Settings, db: Database, *, token: str | None = None) -> Application:
    # One process on SQLite paces in memory; processes sharing PostgreSQL share the pace.
    pacer = Pacer(settings.send_rate) if db.is_sqlite else SharedPacer(db, settings.send_rate)
    application = (
        ApplicationBuilder()
        .token(token or settings.require_token())
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_api_url.replace("/bot", "/file/bot", 1))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(ContextTypes(context=JinroContext))
        .concurrent_updates(PerUserUpdateProcessor())
        .request(AiohttpRequest(connections=256))
        .rate_limiter(SharedLimiter(pacer))
        # getUpdates long-polls: its own small pool, and a read timeout beyond the poll's.
        .get_updates_request(AiohttpRequest(connections=2))
        .build()
    )
    application.bot_data["db"] = db
    # Polling marks handled updates finished in batches (a webhook sets its own way).
    application.update_processor.finishing = Finishing(db)
    application.bot_data["settings"] = settings
    application.bot_data["pacer"] = pacer
    application.bot_data["flood"] = gate.FloodGuard(settings.flood_rate, settings.flood_burst)
    application.bot_data["identity"] = identity_check(settings)  # None: the contact is asked
    application.bot_data["web_pages"] = WEB_PAGES
    application.add_handlers(gate.handlers(), group=gate.GROUP)
    buttons.check()  # every declared button has its handler and fits Telegram's 64 bytes
    application.add_handler(buttons.router())  # every press, whatever its area
    for area in AREAS:
        application.add_handlers(area.handlers())
    outbox.register(OUTGOING)
    application.add_error_handler(on_error)
    return application
