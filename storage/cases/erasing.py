"""Erasing people (/deleteme, the retention sweep) from the cases: their words go, the threads
stay readable."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.cases.common import POSTS
from storage.tables import case_messages as messages
from storage.tables import case_parties as parties


async def erase_people(conn: AsyncConnection, user_ids: list[int]) -> int:
    """People whose data is erased (on request, or by the retention sweep): what they wrote
    in cases loses its words, photo and name (shown as "(삭제된 메시지)" with their role
    only), so the threads stay readable for the others; their answers' and events' names go
    too. Returns the lines changed. Call before the user rows are deleted (the foreign keys
    then clear the rest); the caller writes the audit entry."""
    wrote = await conn.execute(
        update(messages)
        .where(messages.c.sender_id.in_(user_ids), messages.c.kind.in_(POSTS))
        .values(text=None, photo=None, sender_name=None)
    )
    named = await conn.execute(
        update(messages)
        .where(messages.c.sender_id.in_(user_ids), messages.c.kind == "event")
        .values(sender_name=None)
    )
    await conn.execute(delete(parties).where(parties.c.user_id.in_(user_ids)))
    return wrote.rowcount + named.rowcount
