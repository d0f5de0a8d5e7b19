"""Erasing a person (/deleteme) from the cases: their words go, the threads stay readable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.cases.common import POSTS
from storage.tables import case_messages as messages
from storage.tables import case_parties as parties

# ----- erasing a person (/deleteme) -----------------------------------------------------------


async def erase_person(conn: AsyncConnection, user_id: int, *, now: datetime) -> int:
    """A person who erases their data: what they wrote in cases loses its words, photo and
    name (shown as "(삭제된 메시지)" with their role only), so the threads stay readable for
    the others; their answers' and events' names go too. Returns the lines changed. Call
    before the user row is deleted (the foreign keys then clear the rest)."""
    wrote = await conn.execute(
        update(messages)
        .where(messages.c.sender_id == user_id, messages.c.kind.in_(POSTS))
        .values(text=None, photo=None, sender_name=None)
    )
    named = await conn.execute(
        update(messages)
        .where(messages.c.sender_id == user_id, messages.c.kind == "event")
        .values(sender_name=None)
    )
    await conn.execute(delete(parties).where(parties.c.user_id == user_id))
    await audit.record(conn, None, "case.erase", "user", user_id, now=now, lines=wrote.rowcount)
    return wrote.rowcount + named.rowcount
