"""Offering a request to one mentor at a time: creating it, the offer, passing it on after a
decline, a timeout or a pause, and pausing a mentor who lets offers run out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import reminders as outbox
from storage.errors import Refused
from storage.mentors.common import (
    ACTIVE,
    ANSWER_WINDOW,
    CITY_TZ,
    HAS_ROOM,
    MISSED_IN_A_ROW,
    NUDGE_BEFORE,
    QUESTION_MAX,
    QUESTION_MIN,
    STUDENT_MODES,
    STUDENT_OPEN_LIMIT,
    TEACHER_MODES,
    TEACHER_OPEN_LIMIT,
    TIMES,
    split_codes,
)
from storage.mentors.matching import Candidate, Wish, rank
from storage.mentors.rows import _drop, _lock_request, _release, mentor_user_id
from storage.moments import round_deadline
from storage.tables import mentor_offers as offers
from storage.tables import mentor_requests as requests
from storage.tables import mentors


async def _answer_offer(
    conn: AsyncConnection,
    request_id: int,
    mentor_id: int,
    outcome: str,
    *,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Settle the mentor's pending offer of the request, with how long they took."""
    offer = (
        await conn.execute(
            select(offers.c.offered_at, offers.c.expires_at).where(
                offers.c.request_id == request_id,
                offers.c.mentor_id == mentor_id,
                offers.c.outcome == "pending",
            )
        )
    ).first()
    if offer is None:
        return
    if outcome == "timeout":
        seconds = (offer.expires_at - offer.offered_at).total_seconds()
    elif outcome in ("accepted", "declined"):
        seconds = (now - offer.offered_at).total_seconds()
    else:  # paused, withdrawn: not an answer
        seconds = None
    await conn.execute(
        update(offers)
        .where(
            offers.c.request_id == request_id,
            offers.c.mentor_id == mentor_id,
            offers.c.outcome == "pending",
        )
        .values(
            outcome=outcome,
            answered_at=now,
            seconds=None if seconds is None else max(0, int(seconds)),
            reason=(reason or None) and reason[:200],
        )
    )


async def offer_next(
    conn: AsyncConnection,
    request_id: int,
    *,
    now: datetime,
    window: timedelta = ANSWER_WINDOW,
    tz: tzinfo = CITY_TZ,
) -> Candidate | None:
    """Offer a waiting request to the best mentor who can take it; None when nobody can
    (it stays waiting, in line)."""
    request = await _lock_request(conn, request_id)
    if request is None or request.status != "waiting":
        return None
    wish = Wish(
        request.field,
        request.mode,
        request.school_id,
        tuple(split_codes(request.times, TIMES)),
        request.id,
    )
    for candidate in await rank(conn, wish, now=now, tz=tz):
        taken = await conn.execute(
            update(mentors)
            .where(mentors.c.id == candidate.mentor_id, HAS_ROOM)
            .values(open_requests=mentors.c.open_requests + 1)
        )
        if taken.rowcount != 1:  # filled up or paused since it was read: the next one
            continue
        expires = round_deadline(now + window, now, tz)  # as the mentor is told it
        await conn.execute(
            update(requests)
            .where(requests.c.id == request_id, requests.c.status == "waiting")
            .values(
                status="offered",
                mentor_id=candidate.mentor_id,
                counted=True,
                offered_at=now,
                offer_expires_at=expires,
            )
        )
        await conn.execute(
            insert(offers).values(
                request_id=request_id,
                mentor_id=candidate.mentor_id,
                offered_at=now,
                expires_at=expires,
                outcome="pending",
            )
        )
        plans = [
            outbox.Planned(
                "mentor_offer",
                candidate.user_id,
                now,
                f"mentor_offer:{request_id}:{candidate.mentor_id}",
            ),
            outbox.Planned(
                "mentor_offer_nudge",
                candidate.user_id,
                expires - NUDGE_BEFORE,
                f"mentor_offer_nudge:{request_id}:{candidate.mentor_id}",
            ),
        ]
        await outbox.write(conn, plans, now, mentor_request_id=request_id)
        await audit.record(
            conn,
            None,
            "mentor_request.offered",
            "mentor_request",
            request_id,
            mentor=candidate.mentor_id,
            now=now,
        )
        return candidate
    return None


@dataclass
class Created:
    request_id: int
    offered_to: Candidate | None


async def create_request(
    conn: AsyncConnection,
    requester: Row,
    *,
    field: str,
    mode: str,
    question: str,
    times: list[str] | tuple[str, ...] = (),
    now: datetime,
    window: timedelta = ANSWER_WINDOW,
    tz: tzinfo = CITY_TZ,
) -> Created:
    """A student (online or at school) or teacher (a school visit or a group session) asks;
    the request is offered at once to the best mentor, or waits in line."""
    if requester.role == "student":
        if requester.under14 and requester.consent_at is None:
            raise Refused("consent")  # the same rule as bookings.apply
        allowed, limit = STUDENT_MODES, STUDENT_OPEN_LIMIT
    elif requester.role == "teacher":
        allowed, limit = TEACHER_MODES, TEACHER_OPEN_LIMIT
    else:
        raise Refused("role")
    if mode not in allowed or requester.school_id is None:
        raise Refused("mode")
    question = " ".join(question.split())
    if not QUESTION_MIN <= len(question) <= QUESTION_MAX:
        raise Refused("question")
    if not field or len(field) > 40:
        raise Refused("field")
    held = await conn.scalar(
        select(func.count()).where(
            requests.c.requester_id == requester.id, requests.c.status.in_(ACTIVE)
        )
    )
    if held >= limit:
        raise Refused("too_many")
    request_id = await conn.scalar(
        insert(requests)
        .values(
            requester_id=requester.id,
            school_id=requester.school_id,
            mode=mode,
            field=field,
            question=question,
            times=",".join(t for t in TIMES if t in times),
            priority=False,
            status="waiting",
            counted=False,
            created_at=now,
        )
        .returning(requests.c.id)
    )
    await audit.record(
        conn,
        requester.id,
        "mentor_request.created",
        "mentor_request",
        request_id,
        mode=mode,
        now=now,
    )
    offered = await offer_next(conn, request_id, now=now, window=window, tz=tz)
    return Created(request_id, offered)


async def _offer_count(conn: AsyncConnection, request_id: int) -> int:
    return await conn.scalar(select(func.count()).where(offers.c.request_id == request_id))


async def _pass_on(
    conn: AsyncConnection,
    request_id: int,
    mentor_id: int,
    outcome: str,
    *,
    now: datetime,
    window: timedelta,
    tz: tzinfo,
    reason: str | None = None,
    due_only: bool = False,
) -> bool:
    """The mentor declined, did not answer in time, or paused: the request goes to the next
    mentor, or waits in line (and the requester hears nobody is free). False when the offer
    was no longer this mentor's to pass (accepted, withdrawn, passed already)."""
    await _lock_request(conn, request_id)
    condition = [
        requests.c.id == request_id,
        requests.c.status == "offered",
        requests.c.mentor_id == mentor_id,
    ]
    if due_only:
        condition.append(requests.c.offer_expires_at <= now)
    swapped = await conn.execute(
        update(requests)
        .where(*condition)
        .values(status="waiting", offered_at=None, offer_expires_at=None)
    )
    if swapped.rowcount != 1:
        return False
    await _release(conn, request_id)
    await conn.execute(update(requests).where(requests.c.id == request_id).values(mentor_id=None))
    await _answer_offer(conn, request_id, mentor_id, outcome, now=now, reason=reason)
    await _drop(conn, request_id, ("mentor_offer", "mentor_offer_nudge"))
    if outcome == "timeout":
        await _pause_if_away(conn, mentor_id, request_id, now=now)
    await audit.record(
        conn,
        None,
        f"mentor_request.{outcome}",
        "mentor_request",
        request_id,
        mentor=mentor_id,
        now=now,
    )
    if await offer_next(conn, request_id, now=now, window=window, tz=tz) is None:
        requester = await conn.scalar(
            select(requests.c.requester_id).where(requests.c.id == request_id)
        )
        tries = await _offer_count(conn, request_id)
        key = f"mentor_waiting:{request_id}:{tries}"
        await outbox.notice(
            conn, "mentor_waiting", requester, key, now=now, mentor_request_id=request_id
        )
    return True


async def _pause_if_away(conn: AsyncConnection, mentor_id: int, request_id: int, *, now) -> None:
    """A mentor who let MISSED_IN_A_ROW offers in a row run out is away: paused, and told
    so (they resume in /profile). Requests stop waiting a day each for someone who is not
    there; their other offers run out as they come."""
    last = await conn.execute(
        select(offers.c.outcome)
        .where(
            offers.c.mentor_id == mentor_id,
            offers.c.outcome.in_(("accepted", "declined", "timeout")),
        )
        .order_by(offers.c.offered_at.desc())
        .limit(MISSED_IN_A_ROW)
    )
    outcomes = list(last.scalars())
    if len(outcomes) < MISSED_IN_A_ROW or set(outcomes) != {"timeout"}:
        return
    paused = await conn.execute(
        update(mentors)
        .where(mentors.c.id == mentor_id, mentors.c.paused.is_(False))
        .values(paused=True)
    )
    if paused.rowcount != 1:
        return
    await audit.record(conn, None, "mentor.auto_paused", "mentor", mentor_id, now=now)
    user_id = await mentor_user_id(conn, mentor_id)
    if user_id is not None:
        key = f"mentor_auto_paused:{mentor_id}:{request_id}"
        await outbox.notice(
            conn, "mentor_auto_paused", user_id, key, now=now, mentor_request_id=request_id
        )
