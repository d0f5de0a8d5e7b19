"""The requester withdraws, rates and comments; the priority mark, set by staff and the
student's teachers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import reminders as outbox
from storage.errors import AlreadyHandled, NotFound
from storage.mentors.common import ACTIVE
from storage.mentors.meetings import MEETING_KINDS
from storage.mentors.rows import _drop, _lock_request, _release, get, meeting, mentor_user_id
from storage.tables import mentor_meetings as meetings
from storage.tables import mentor_offers as offers
from storage.tables import mentor_requests as requests
from storage.tables import users
from storage.users import covered_grades


async def cancel_request(
    conn: AsyncConnection, request_id: int, requester: Row, *, now: datetime
) -> Row:
    """The requester withdraws their request (or their school from a group session). The
    mentor holding it hears of it. Returns the request as it was."""
    request = await _lock_request(conn, request_id)
    if request is None or request.requester_id != requester.id:
        raise NotFound
    swapped = await conn.execute(
        update(requests)
        .where(
            requests.c.id == request_id,
            requests.c.status == request.status,
            requests.c.status.in_(ACTIVE),
        )
        .values(status="cancelled", closed_at=now)
    )
    if swapped.rowcount != 1:
        raise AlreadyHandled
    await _release(conn, request_id)
    if request.status == "offered":
        await conn.execute(
            update(offers)
            .where(offers.c.request_id == request_id, offers.c.outcome == "pending")
            .values(outcome="withdrawn", answered_at=now)
        )
        await _drop(conn, request_id, ("mentor_offer", "mentor_offer_nudge"))
    await _drop(conn, request_id, MEETING_KINDS, user_id=requester.id)
    if request.meeting_id is not None:
        found = await meeting(conn, request.meeting_id)
        if found.status == "scheduled":
            left = await conn.execute(
                update(meetings)
                .where(meetings.c.id == found.id, meetings.c.joined > 0)
                .values(joined=meetings.c.joined - 1)
                .returning(meetings.c.joined)
            )
            if left.scalar() == 0:
                await conn.execute(
                    update(meetings)
                    .where(meetings.c.id == found.id)
                    .values(status="cancelled", cancel_reason="requester")
                )
    if request.status in ("accepted", "scheduled") and request.mentor_id is not None:
        mentor_user = await mentor_user_id(conn, request.mentor_id)
        if mentor_user is not None:
            key = f"mentor_request_cancelled:{request_id}"
            await outbox.notice(
                conn,
                "mentor_request_cancelled",
                mentor_user,
                key,
                now=now,
                mentor_request_id=request_id,
            )
    await audit.record(
        conn, requester.id, "mentor_request.cancelled", "mentor_request", request_id, now=now
    )
    return request


async def rate(
    conn: AsyncConnection, request_id: int, requester: Row, score: int, *, now: datetime
) -> None:
    if not 1 <= score <= 5:
        raise NotFound
    await _change_own(
        conn, request_id, requester, requests.c.status == "held", rating=score, rated_at=now
    )


async def comment(conn: AsyncConnection, request_id: int, requester: Row, text: str) -> None:
    said = " ".join(text.split())[:500]
    await _change_own(conn, request_id, requester, requests.c.rating.is_not(None), comment=said)


async def _change_own(
    conn: AsyncConnection, request_id: int, requester: Row, when, **values
) -> None:
    """Set `values` on the requester's own request while `when` holds; else NotFound."""
    changed = await conn.execute(
        update(requests)
        .where(requests.c.id == request_id, requests.c.requester_id == requester.id, when)
        .values(**values)
    )
    if changed.rowcount != 1:
        raise NotFound


# ----- priority (staff and the student's teachers) --------------------------------------------


async def may_see_priority(conn: AsyncConnection, request: Row, viewer: Row) -> bool:
    """Staff, and the teachers who cover the student (their school, and their grade or
    every grade), see and set the priority mark; nobody else does."""
    if viewer.role == "staff":
        return True
    if viewer.role != "teacher" or viewer.school_id != request.school_id:
        return False
    student = (await conn.execute(select(users).where(users.c.id == request.requester_id))).first()
    if student is None or student.role != "student":
        return False
    covered = covered_grades(viewer)
    return not covered or student.grade in covered


async def set_priority(
    conn: AsyncConnection, request_id: int, viewer: Row, on: bool, *, now: datetime
) -> Row:
    request = await get(conn, request_id)
    if request is None or not await may_see_priority(conn, request, viewer):
        raise NotFound
    await conn.execute(update(requests).where(requests.c.id == request_id).values(priority=on))
    await audit.record(
        conn,
        viewer.id,
        "mentor_request.priority",
        "mentor_request",
        request_id,
        on=on,
        now=now,
    )
    return await get(conn, request_id)
