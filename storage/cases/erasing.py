"""Erasing people (/deleteme, the retention sweep) from the cases, and old cases' words (the
retention sweep): the words go, the threads stay readable."""

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
    lines = await empty_lines(conn, messages.c.sender_id.in_(user_ids))
    await conn.execute(delete(parties).where(parties.c.user_id.in_(user_ids)))
    return lines


async def empty_lines(conn: AsyncConnection, which) -> int:
    """The case lines `which` (a condition on case_messages) lose what names or quotes
    anyone: what was written loses its words, photo and name, an event (opened, closed, …)
    keeps its code without the name. Returns the lines changed."""
    posts = messages.c.kind.in_(POSTS)
    wrote = await conn.execute(
        update(messages).where(which, posts).values(text=None, photo=None, sender_name=None)
    )
    named = await conn.execute(update(messages).where(which, ~posts).values(sender_name=None))
    return wrote.rowcount + named.rowcount
