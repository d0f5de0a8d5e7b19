"""The mentor answers an offer (accept, decline); the clock's steps: offers that ran out, the
line offered to mentors come free, requests that waited too long."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import reminders as outbox
from storage.catalogue import DISTRICTS, related_fields
from storage.errors import AlreadyHandled, NotFound
from storage.mentors.common import (
    ANSWER_WINDOW,
    CITY_TZ,
    HAS_ROOM,
    MODE_COLUMNS,
    ON_JINRO,
    WAIT_LIMIT,
    openings,
    split_codes,
)
from storage.mentors.offers import _answer_offer, _pass_on
from storage.mentors.rows import _drop, get
from storage.mentors.slots import _busy, _slots_by_mentor
from storage.tables import mentor_fields, mentors, schools
from storage.tables import mentor_offers as offers
from storage.tables import mentor_requests as requests


async def _offered_to(conn: AsyncConnection, request_id: int, mentor_id: int | None) -> Row:
    """The request if it was ever offered to this mentor; NotFound otherwise (the same answer
    for someone else's request as for a missing one)."""
    if mentor_id is None:
        raise NotFound
    found = await conn.execute(
        select(requests)
        .join(offers, and_(offers.c.request_id == requests.c.id, offers.c.mentor_id == mentor_id))
        .where(requests.c.id == request_id)
    )
    request = found.first()
    if request is None:
        raise NotFound
    return request


async def accept(conn: AsyncConnection, request_id: int, mentor_user: Row, *, now: datetime) -> Row:
    """The mentor takes the request offered to them; the first to swap wins."""
    await _offered_to(conn, request_id, mentor_user.mentor_id)
    swapped = await conn.execute(
        update(requests)
        .where(
            requests.c.id == request_id,
            requests.c.status == "offered",
            requests.c.mentor_id == mentor_user.mentor_id,
        )
        .values(status="accepted")
    )
    if swapped.rowcount != 1:
        raise AlreadyHandled
    await _answer_offer(conn, request_id, mentor_user.mentor_id, "accepted", now=now)
    await _drop(conn, request_id, ("mentor_offer_nudge",))
    request = await get(conn, request_id)
    key = f"mentor_accepted:{request_id}:{mentor_user.mentor_id}"
    await outbox.notice(
        conn, "mentor_accepted", request.requester_id, key, now=now, mentor_request_id=request_id
    )
    await audit.record(
        conn,
        mentor_user.id,
        "mentor_request.accepted",
        "mentor_request",
        request_id,
        now=now,
    )
    return request


async def decline(
    conn: AsyncConnection,
    request_id: int,
    mentor_user: Row,
    reason: str | None,
    *,
    now: datetime,
    window: timedelta = ANSWER_WINDOW,
    tz: tzinfo = CITY_TZ,
) -> None:
    await _offered_to(conn, request_id, mentor_user.mentor_id)
    passed = await _pass_on(
        conn,
        request_id,
        mentor_user.mentor_id,
        "declined",
        now=now,
        window=window,
        tz=tz,
        reason=reason,
    )
    if not passed:
        raise AlreadyHandled


async def expire_offers(
    conn: AsyncConnection,
    *,
    now: datetime,
    window: timedelta = ANSWER_WINDOW,
    tz: tzinfo = CITY_TZ,
    limit: int = 50,
) -> list[int]:
    """Offers nobody answered in time pass on (the clock's job); returns those requests."""
    due = await conn.execute(
        select(requests.c.id, requests.c.mentor_id)
        .where(requests.c.status == "offered", requests.c.offer_expires_at <= now)
        .order_by(requests.c.offer_expires_at)
        .limit(limit)
    )
    passed = []
    for request_id, mentor_id in due.all():
        if await _pass_on(
            conn, request_id, mentor_id, "timeout", now=now, window=window, tz=tz, due_only=True
        ):
            passed.append(request_id)
    return passed


async def waiting_in_line(
    conn: AsyncConnection, *, now: datetime, tz: tzinfo = CITY_TZ
) -> list[int]:
    """Waiting requests that a mentor free now might take, in the order they are offered:
    priority first, then the oldest.

    The clock tries these every tick, so the line is sifted first, cheaply: only requests
    with a free mentor (below their limit, with a free slot ahead) in their field or a
    related one, offering their mode, who was never offered them. A line of requests that
    every free mentor already declined then costs a few reads, not a ranking each."""
    free = await conn.execute(
        select(mentors).where(
            HAS_ROOM,
            mentors.c.id.in_(ON_JINRO),
        )
    )
    free = {row.id: row for row in free.all()}
    if free:  # and with a free slot ahead
        slot_rows = await _slots_by_mentor(conn, list(free))
        busy = await _busy(conn, list(free), now)
        free = {
            mentor_id: row
            for mentor_id, row in free.items()
            if openings(slot_rows.get(mentor_id, []), busy.get(mentor_id, []), now=now, tz=tz)
        }
    if not free:
        return []
    covers = {mentor_id: {row.field} for mentor_id, row in free.items()}
    extra = await conn.execute(
        select(mentor_fields.c.mentor_id, mentor_fields.c.field).where(
            mentor_fields.c.mentor_id.in_(list(free))
        )
    )
    for mentor_id, name in extra.all():
        covers[mentor_id].add(name)
    line = await conn.execute(
        select(requests.c.id, requests.c.field, requests.c.mode, schools.c.district)
        .join(schools, schools.c.id == requests.c.school_id)
        .where(requests.c.status == "waiting")
        .order_by(requests.c.priority.desc(), requests.c.created_at, requests.c.id)
    )
    line = list(line.all())
    asked: dict[int, set[int]] = {}
    if line:
        found = await conn.execute(
            select(offers.c.request_id, offers.c.mentor_id)
            .join(requests, requests.c.id == offers.c.request_id)
            .where(requests.c.status == "waiting")
        )
        for request_id, mentor_id in found.all():
            asked.setdefault(request_id, set()).add(mentor_id)
    chosen = []
    for request in line:
        wanted = {request.field, *related_fields(request.field)}
        for mentor_id, mentor in free.items():
            if (
                covers[mentor_id] & wanted
                and getattr(mentor, MODE_COLUMNS[request.mode])
                and mentor_id not in asked.get(request.id, ())
                and (
                    request.mode != "visit"
                    or request.district in split_codes(mentor.districts, DISTRICTS)
                )
            ):
                chosen.append(request.id)
                break
    return chosen


async def expire_waiting(conn: AsyncConnection, *, now: datetime, limit: int = 50) -> list[int]:
    """Requests nobody could take within WAIT_LIMIT are over; the requester is told."""
    due = await conn.execute(
        select(requests.c.id, requests.c.requester_id)
        .where(requests.c.status == "waiting", requests.c.created_at <= now - WAIT_LIMIT)
        .order_by(requests.c.created_at)
        .limit(limit)
    )
    done = []
    for request_id, requester in due.all():
        swapped = await conn.execute(
            update(requests)
            .where(requests.c.id == request_id, requests.c.status == "waiting")
            .values(status="expired", closed_at=now)
        )
        if swapped.rowcount != 1:
            continue
        key = f"mentor_expired:{request_id}"
        await outbox.notice(
            conn, "mentor_expired", requester, key, now=now, mentor_request_id=request_id
        )
        await audit.record(
            conn, None, "mentor_request.expired", "mentor_request", request_id, now=now
        )
        done.append(request_id)
    return done
