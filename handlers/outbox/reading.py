"""What a reminder is composed from: its batch's recipients, sessions and bookings read
once (Batch), and the small reads every kind's compose uses, from that batch when it has them."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from bot.context import JinroContext
from storage import bookings as bookings_store
from storage import reminders as store
from storage.models import utcnow


@dataclass(frozen=True)
class Batch:
    """What a claimed batch's reminders are composed from, read once for all of them:
    their recipients (and the kinds each turned off), sessions and bookings. Reads a row at a
    time cost more than sending it. A batch is sent within seconds, so what is read here is
    as fresh as a check just before sending can be."""

    recipients: dict
    sessions: dict
    bookings: dict

    @classmethod
    async def read(cls, conn, rows) -> Batch:
        return cls(
            await store.recipients(conn, {row.user_id for row in rows}),
            await bookings_store.session_views(conn, {r.session_id for r in rows if r.session_id}),
            await bookings_store.get_many(conn, {r.booking_id for r in rows if r.booking_id}),
        )


# The batch whose reminder is being composed (None: read what is needed afresh).
COMPOSING: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("composing", default=None)


async def session_ahead(conn, row):
    """The reminder's session if it is still to come; None once it started or was cancelled."""
    session = await session_of(conn, row.session_id) if row.session_id else None
    if session is None or session.status != "scheduled" or session.starts_at <= utcnow():
        return None  # its moment passed: never sent late
    return session


async def session_of(conn, session_id: int):
    batch = COMPOSING.get()
    if batch is not None and session_id in batch.sessions:
        return batch.sessions[session_id]
    return await bookings_store.session_view(conn, session_id)


async def booking_of(conn, booking_id: int):
    batch = COMPOSING.get()
    if batch is not None and booking_id in batch.bookings:
        return batch.bookings[booking_id]
    return await bookings_store.get(conn, booking_id)


def on_its_day(context: JinroContext, row) -> bool:
    """A daily digest is for its day: after a long outage, yesterday's is not sent today."""
    tz = context.tz
    return row.due_at.astimezone(tz).date() == utcnow().astimezone(tz).date()
