"""Sending the reminders the outbox holds (storage/reminders.py), on the clock's tick.

Each reminder is checked again when it is sent: a booking cancelled or a session started
since it was written means it is skipped, never sent late.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.context import JinroContext
from handlers.common import send
from messages import render
from storage import bookings as bookings_store
from storage import reminders as store
from storage import users as users_store
from storage.models import utcnow

log = logging.getLogger(__name__)
BATCH = 50


async def dispatch_tick(application) -> int:
    """Claim what is due and send it; returns how many were claimed."""
    context = JinroContext(application)
    total = 0
    while True:
        async with context.db.write() as conn:
            claimed = await store.claim_due(conn, now=utcnow(), limit=BATCH)
        for row in claimed:
            await deliver(context, row)
        total += len(claimed)
        if len(claimed) < BATCH:
            return total


async def deliver(context: JinroContext, row) -> None:
    text, user = await _compose(context, row)
    if text is None:
        await _mark(context, row, "skipped")
        return
    await context.application.bot_data["pacer"].slot(user.id)
    try:
        await send(context, user.id, text)
    except RetryAfter as error:
        await _retry(context, row, "429", wait=_seconds(error.retry_after))
    except Forbidden:
        async with context.db.write() as conn:
            await users_store.mark_inactive(conn, user.id)
        await _mark(context, row, "dead")
    except BadRequest as error:  # chat not found and the like: sending again will not help
        log.warning("reminder %s cannot be sent: %s", row.id, error)
        await _mark(context, row, "dead")
    except NetworkError as error:  # timeouts and 5xx: try again later
        await _retry(context, row, type(error).__name__)
    else:
        await _mark(context, row, "sent")


async def _compose(context: JinroContext, row):
    """(text, recipient), or (None, None) when the reminder no longer applies."""
    now = utcnow()
    async with context.db.read() as conn:
        user = await users_store.get(conn, row.user_id)
        session = await bookings_store.session_view(conn, row.session_id)
        if user is None or not user.active or session is None:
            return None, None
        if row.kind in await users_store.reminders_off(conn, user.id):
            return None, None  # turned off in /settings
        if session.status != "scheduled" or session.starts_at <= now:
            return None, None  # its moment passed: never sent late
        values = {"session": session, "tz": context.settings.tz, "kind": row.kind}
        if row.kind.startswith("student_"):
            booking = await bookings_store.get(conn, row.booking_id) if row.booking_id else None
            if booking is None or booking.status != "confirmed":
                return None, None
            template = "reminders/student"
        else:
            people = await bookings_store.roster(conn, row.session_id, statuses=("confirmed",))
            if not people:
                return None, None
            values["people"] = people
            template = "reminders/site_roster"
    return render(template, user.lang, **values), user


async def _mark(context: JinroContext, row, status: str) -> None:
    async with context.db.write() as conn:
        await store.mark(conn, row.id, status, now=utcnow())


async def _retry(context: JinroContext, row, error: str, wait: float | None = None) -> None:
    async with context.db.write() as conn:
        status = await store.retry_later(conn, row, error, now=utcnow(), wait=wait)
    if status == "dead":
        log.warning("reminder %s gave up after %s attempts", row.id, row.attempts)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
