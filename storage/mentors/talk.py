"""Words within a request: its requester and its mentor write to each other through the bot.

Either side may write while the mentor holds the request or has met them (accepted,
scheduled, held): a question before the meeting, a word about the time, thanks after. Each
message is stored for the other side's notice (the outbox composes it when it goes, from
this row) and no longer than the request's question (storage/retention.py). Neither side
ever gets the other's Telegram id: the notice names the sender as the request does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import reminders as outbox
from storage.errors import NotFound, Refused
from storage.mentors.rows import get, mentor_user_id
from storage.tables import mentor_messages

TALK = ("accepted", "scheduled", "held")  # a request whose two sides may write
MESSAGE_MAX = 1000


def side_of(request: Row, user: Row) -> str | None:
    """ "mentor" or "requester" when `user` is one of the request's two sides, else None."""
    if user.id == request.requester_id:
        return "requester"
    if request.mentor_id is not None and user.mentor_id == request.mentor_id:
        return "mentor"
    return None


def may_talk(request: Row) -> bool:
    return request.status in TALK and request.mentor_id is not None


async def write(
    conn: AsyncConnection, request_id: int, user: Row, text: str, *, now: datetime
) -> Row:
    """`user`'s message to the other side; NotFound when they are neither side of the
    request, Refused("closed") when it no longer takes words, Refused("gone") when the
    other side has left Jinro. Returns the message."""
    request = await get(conn, request_id)
    side = side_of(request, user) if request is not None else None
    if side is None:
        raise NotFound
    if not may_talk(request):
        raise Refused("closed")
    text = " ".join(text.split())[:MESSAGE_MAX]
    if side == "mentor":
        to = request.requester_id
    else:
        to = await mentor_user_id(conn, request.mentor_id)
    if to is None:
        raise Refused("gone")
    message_id = await conn.scalar(
        insert(mentor_messages)
        .values(request_id=request_id, from_mentor=side == "mentor", text=text, created_at=now)
        .returning(mentor_messages.c.id)
    )
    await outbox.notice(
        conn,
        "mentor_message",
        to,
        f"mentor_message:{message_id}",
        now=now,
        mentor_request_id=request_id,
        detail=f"{message_id}:{'r' if side == 'mentor' else 'm'}",  # whose reply button
    )
    # Who wrote to whom within which request; never the words.
    await audit.record(
        conn, user.id, "mentor_request.message", "mentor_request", request_id, now=now
    )
    return (
        await conn.execute(select(mentor_messages).where(mentor_messages.c.id == message_id))
    ).one()


async def message(conn: AsyncConnection, message_id: int) -> Row | None:
    found = select(mentor_messages).where(mentor_messages.c.id == message_id)
    return (await conn.execute(found)).first()
