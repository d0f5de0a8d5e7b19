"""The requester changes a waiting request, withdraws, rates and comments; the priority mark,
set by staff and the student's teachers."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import reminders as outbox
from storage.catalogue import related_fields
from storage.errors import AlreadyHandled, NotFound
from storage.mentors.common import (
    ACTIVE,
    ANSWER_WINDOW,
    CITY_TZ,
    STUDENT_MODES,
    TEACHER_MODES,
)
from storage.mentors.matching import Candidate
from storage.mentors.meetings import MEETING_KINDS
from storage.mentors.offers import offer_next
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


# ----- changing a waiting request -------------------------------------------------------------


async def change_request(
    conn: AsyncConnection,
    request_id: int,
    requester: Row,
    *,
    now: datetime,
    any_time: bool = False,
    field: str | None = None,
    mode: str | None = None,
    window: timedelta = ANSWER_WINDOW,
    tz: tzinfo = CITY_TZ,
) -> Candidate | None:
    """The requester takes one of a waiting request's suggestions (choosing.alternatives):
    any time instead of the times chosen, a related field, or another way of meeting. The
    question and the place in line stay; the request is matched again at once, as when it
    was made (offer_next): the mentor it goes to, or None when it still waits.

    NotFound: not theirs, or a field or mode that is not theirs to choose (a forged press);
    AlreadyHandled: it no longer waits, or already asks for that (a second press)."""
    request = await _lock_request(conn, request_id)
    if request is None or request.requester_id != requester.id:
        raise NotFound
    if request.status != "waiting":
        raise AlreadyHandled
    values = _change(request, requester, any_time=any_time, field=field, mode=mode)
    swapped = await conn.execute(
        update(requests)
        .where(requests.c.id == request_id, requests.c.status == "waiting")
        .values(**values)
    )
    if swapped.rowcount != 1:
        raise AlreadyHandled
    mode_code = {"mode": mode} if "mode" in values else {}
    await audit.record(
        conn,
        requester.id,
        "mentor_request.changed",
        "mentor_request",
        request_id,
        now=now,
        changed=sorted(values),
        **mode_code,
    )
    return await offer_next(conn, request_id, now=now, window=window, tz=tz)


def _change(request: Row, requester: Row, *, any_time: bool, field, mode) -> dict:
    """The columns one change sets (exactly one is asked for)."""
    if sum((any_time, field is not None, mode is not None)) != 1:
        raise ValueError("one change at a time")
    if any_time:
        if not request.times:
            raise AlreadyHandled
        return {"times": ""}
    if field is not None:
        if field == request.field:
            raise AlreadyHandled
        if field not in related_fields(request.field):
            raise NotFound
        return {"field": field}
    if mode == request.mode:
        raise AlreadyHandled
    if mode not in (STUDENT_MODES if requester.role == "student" else TEACHER_MODES):
        raise NotFound
    return {"mode": mode}


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
