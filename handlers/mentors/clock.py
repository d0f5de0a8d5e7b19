"""The clock's step for mentor requests: offers that ran out pass on, the line goes to mentors
come free."""

from __future__ import annotations

import logging

from bot.context import JinroContext
from handlers import outbox
from storage import mentors as store

# The package's logger (handlers.mentors), whichever module logs.
log = logging.getLogger(__package__)


async def clock_tick(application) -> None:
    """Every half minute: offers nobody answered in time pass on, requests waiting too long
    expire, and the line (priority first) is offered to mentors who came free. Each request
    passes in its own short transaction, a compare-and-swap on its status, so two bot
    processes never both hand it over."""
    context = JinroContext(application)
    moment = {"window": context.settings.mentor_answer, "tz": context.tz}
    try:
        async with context.db.write() as conn:
            passed = await store.expire_offers(conn, now=context.now, **moment)
        async with context.db.write() as conn:
            expired = await store.expire_waiting(conn, now=context.now)
        async with context.db.read() as conn:
            line = await store.waiting_in_line(conn, now=context.now, tz=context.tz)
        offered = 0
        for request_id in line:
            async with context.db.write() as conn:
                if await store.offer_next(conn, request_id, now=context.now, **moment):
                    offered += 1
        if passed or expired or offered:
            outbox.kick(context)
    except Exception:  # the next tick tries again; never let the clock die
        log.exception("mentor clock tick failed")
