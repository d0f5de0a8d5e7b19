"""The rows every step reads, locks and gives back: a request, a meeting, a mentor's user;
the request's lock (the first lock, always), the mentor's place, unsent reminders."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.mentors.common import MENTOR_USER
from storage.tables import mentor_meetings as meetings
from storage.tables import mentor_requests as requests
from storage.tables import mentors, reminders, users


async def get(conn: AsyncConnection, request_id: int) -> Row | None:
    return (await conn.execute(select(requests).where(requests.c.id == request_id))).first()


async def meeting(conn: AsyncConnection, meeting_id: int) -> Row | None:
    return (await conn.execute(select(meetings).where(meetings.c.id == meeting_id))).first()


async def mentor_user_id(conn: AsyncConnection, mentor_id: int) -> int | None:
    """The mentor's user on Jinro (the first, should a profile have two)."""
    return await conn.scalar(
        select(func.min(users.c.id)).where(users.c.mentor_id == mentor_id, MENTOR_USER)
    )


async def _lock_request(conn: AsyncConnection, request_id: int) -> Row | None:
    """The request, its row locked until commit on PostgreSQL (the first lock, always)."""
    stmt = select(requests).where(requests.c.id == request_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=requests, key_share=True)
    return (await conn.execute(stmt)).first()


async def _lock_scheduled(conn: AsyncConnection, meeting_id: int) -> list[Row]:
    """The meeting's scheduled requests (id, requester_id), each locked, in id order, before
    the meeting row is changed (the lock order: requests first)."""
    linked = await conn.execute(
        select(requests.c.id, requests.c.requester_id)
        .where(requests.c.meeting_id == meeting_id, requests.c.status == "scheduled")
        .order_by(requests.c.id)
    )
    linked = list(linked.all())
    for request_id, _ in linked:
        await _lock_request(conn, request_id)
    return linked


async def _release(conn: AsyncConnection, request_id: int) -> None:
    """Give back the mentor's place the request held, once."""
    freed = await conn.execute(
        update(requests)
        .where(requests.c.id == request_id, requests.c.counted.is_(True))
        .values(counted=False)
        .returning(requests.c.mentor_id)
    )
    mentor_id = freed.scalar()
    if mentor_id is not None:
        await conn.execute(
            update(mentors)
            .where(mentors.c.id == mentor_id)
            .values(open_requests=mentors.c.open_requests - 1)
        )


async def _drop(conn: AsyncConnection, request_id: int, kinds, user_id: int | None = None) -> None:
    """Reminders of the request not yet sent, of these kinds (and to this user)."""
    condition = [
        reminders.c.mentor_request_id == request_id,
        reminders.c.status == "pending",
        reminders.c.kind.in_(kinds),
    ]
    if user_id is not None:
        condition.append(reminders.c.user_id == user_id)
    await conn.execute(delete(reminders).where(*condition))
