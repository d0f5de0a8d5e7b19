"""Meetings: set at a free slot with their reminders, group sessions joined by schools,
logged held or not held with a note, or cancelled by the mentor."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import reminders as outbox
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.mentors.common import ANSWER_WINDOW, CITY_TZ, DAY_BEFORE_AT, GROUP_CAPACITY
from storage.mentors.offers import offer_next
from storage.mentors.rows import (
    _drop,
    _lock_request,
    _lock_scheduled,
    _release,
    meeting,
    mentor_user_id,
)
from storage.mentors.slots import free_openings
from storage.tables import mentor_meetings as meetings
from storage.tables import mentor_requests as requests


async def schedule(
    conn: AsyncConnection,
    request_id: int,
    mentor_user: Row,
    *,
    starts_at: datetime,
    now: datetime,
    place: str | None = None,
    link: str | None = None,
    tz: tzinfo = CITY_TZ,
) -> int:
    """The accepted request becomes a meeting at one of the mentor's free slots, with a place
    or an online link; everyone's reminders are written. Returns the meeting's id."""
    request = await _lock_request(conn, request_id)
    if request is None or request.mentor_id != mentor_user.mentor_id:
        raise NotFound
    if request.status != "accepted":
        raise AlreadyHandled
    opening = next(
        (
            o
            for o in await free_openings(conn, mentor_user.mentor_id, now=now, tz=tz)
            if o.starts_at == starts_at
        ),
        None,
    )
    if opening is None:
        raise Refused("slot_taken")
    group = request.mode == "group"
    meeting_id = await conn.scalar(
        insert(meetings)
        .values(
            mentor_id=mentor_user.mentor_id,
            mode=request.mode,
            field=request.field,
            topic=request.question if group else None,
            starts_at=opening.starts_at,
            ends_at=opening.ends_at,
            place=(place or None) and place[:200],
            link=(link or None) and link[:300],
            capacity=GROUP_CAPACITY if group else 1,
            joined=1,
            status="scheduled",
            created_at=now,
        )
        .returning(meetings.c.id)
    )
    swapped = await conn.execute(
        update(requests)
        .where(requests.c.id == request_id, requests.c.status == "accepted")
        .values(status="scheduled", meeting_id=meeting_id)
    )
    if swapped.rowcount != 1:
        raise AlreadyHandled
    plans = meeting_plans(meeting_id, opening.starts_at, [request.requester_id, mentor_user.id], tz)
    plans.append(
        outbox.Planned("mentor_log", mentor_user.id, opening.ends_at, f"mentor_log:{meeting_id}")
    )
    plans.append(
        outbox.Planned(
            "mentor_scheduled",
            request.requester_id,
            now,
            f"mentor_scheduled:{request_id}:{meeting_id}",
        )
    )
    await outbox.write(conn, plans, now, mentor_request_id=request_id)
    await audit.record(
        conn,
        mentor_user.id,
        "mentor_meeting.scheduled",
        "mentor_meeting",
        meeting_id,
        request=request_id,
        now=now,
    )
    return meeting_id


def meeting_plans(meeting_id: int, starts_at: datetime, user_ids, tz: tzinfo) -> list:
    """The day before (18:00) and an hour before, for each of `user_ids`."""
    evening = datetime.combine(
        starts_at.astimezone(tz).date() - timedelta(days=1), DAY_BEFORE_AT, tzinfo=tz
    )
    plans = []
    for user_id in user_ids:
        plans.append(
            outbox.Planned(
                "mentor_meeting_day_before",
                user_id,
                evening,
                f"mentor_meeting_day_before:{meeting_id}:{user_id}",
            )
        )
        plans.append(
            outbox.Planned(
                "mentor_meeting_hour",
                user_id,
                starts_at - timedelta(hours=1),
                f"mentor_meeting_hour:{meeting_id}:{user_id}",
            )
        )
    return plans


async def join_group(
    conn: AsyncConnection, meeting_id: int, teacher: Row, *, now: datetime, tz: tzinfo = CITY_TZ
) -> int:
    """A teacher's class joins an upcoming online group session, while it has room for a
    school: the place is one conditional UPDATE (`joined < capacity`), which also locks the
    session's row, so two schools racing for the last place cannot both get it. Returns the
    school's request."""
    if teacher.role != "teacher" or teacher.school_id is None:
        raise Refused("role")
    taken = await conn.execute(
        update(meetings)
        .where(
            meetings.c.id == meeting_id,
            meetings.c.mode == "group",
            meetings.c.status == "scheduled",
            meetings.c.starts_at > now,
            meetings.c.joined < meetings.c.capacity,
        )
        .values(joined=meetings.c.joined + 1)
    )
    found = await meeting(conn, meeting_id)
    if found is None or found.mode != "group":
        raise NotFound
    if taken.rowcount != 1:
        raise Refused("full" if found.status == "scheduled" and found.starts_at > now else "gone")
    already = await conn.scalar(
        select(requests.c.id).where(
            requests.c.meeting_id == meeting_id,
            requests.c.school_id == teacher.school_id,
            requests.c.status.in_(("scheduled", "held")),
        )
    )
    if already is not None:
        raise Refused("already")  # the whole transaction, place included, is undone
    request_id = await conn.scalar(
        insert(requests)
        .values(
            requester_id=teacher.id,
            school_id=teacher.school_id,
            mode="group",
            field=found.field,
            question=found.topic or "",
            times="",
            priority=False,
            status="scheduled",
            mentor_id=found.mentor_id,
            counted=False,
            meeting_id=meeting_id,
            created_at=now,
        )
        .returning(requests.c.id)
    )
    mentor_user = await mentor_user_id(conn, found.mentor_id)
    plans = meeting_plans(meeting_id, found.starts_at, [teacher.id], tz)
    if mentor_user is not None:
        plans.append(
            outbox.Planned(
                "mentor_group_joined", mentor_user, now, f"mentor_group_joined:{request_id}"
            )
        )
    await outbox.write(conn, plans, now, mentor_request_id=request_id)
    await audit.record(
        conn,
        teacher.id,
        "mentor_meeting.joined",
        "mentor_meeting",
        meeting_id,
        request=request_id,
        now=now,
    )
    return request_id


async def log_meeting(
    conn: AsyncConnection,
    meeting_id: int,
    mentor_user: Row,
    *,
    held: bool,
    minutes: int | None,
    now: datetime,
) -> list[int]:
    """After the meeting began, the mentor logs it held (with its length) or not held; its
    requests close and, when held, each requester is asked to rate it."""
    found = await _mentors_meeting(conn, meeting_id, mentor_user)
    if found.status == "scheduled" and found.starts_at > now:
        raise Refused("not_yet")
    status = "held" if held else "not_held"
    linked = await _lock_scheduled(conn, meeting_id)
    swapped = await conn.execute(
        update(meetings)
        .where(meetings.c.id == meeting_id, meetings.c.status == "scheduled")
        .values(status=status, minutes=minutes if held else None, logged_at=now)
    )
    if swapped.rowcount != 1:
        raise AlreadyHandled
    for request_id, requester in linked:
        await conn.execute(
            update(requests)
            .where(requests.c.id == request_id, requests.c.status == "scheduled")
            .values(status=status, closed_at=now)
        )
        await _release(conn, request_id)
        if held:
            key = f"mentor_rate:{request_id}"
            await outbox.notice(
                conn, "mentor_rate", requester, key, now=now, mentor_request_id=request_id
            )
    await audit.record(
        conn,
        mentor_user.id,
        f"mentor_meeting.{status}",
        "mentor_meeting",
        meeting_id,
        minutes=minutes,
        now=now,
    )
    return [request_id for request_id, _ in linked]


async def note_meeting(conn: AsyncConnection, meeting_id: int, mentor_user: Row, note: str) -> None:
    if (await _mentors_meeting(conn, meeting_id, mentor_user)).status not in ("held", "not_held"):
        raise NotFound
    await conn.execute(
        update(meetings)
        .where(meetings.c.id == meeting_id)
        .values(note=" ".join(note.split())[:500])
    )


async def _mentors_meeting(conn: AsyncConnection, meeting_id: int, mentor_user: Row) -> Row:
    """The meeting if it is this mentor's; anyone else's is NotFound, as is a missing one."""
    found = await meeting(conn, meeting_id)
    if found is None or found.mentor_id != mentor_user.mentor_id:
        raise NotFound
    return found


async def cancel_meeting(
    conn: AsyncConnection,
    meeting_id: int,
    mentor_user: Row,
    reason: str,
    *,
    now: datetime,
    window: timedelta = ANSWER_WINDOW,
    tz: tzinfo = CITY_TZ,
) -> list[int]:
    """The mentor cannot come after all. A one-to-one request or school visit goes back in
    line for another mentor; a group session's schools are told it is off. Returns the
    requests concerned."""
    found = await _mentors_meeting(conn, meeting_id, mentor_user)
    linked = await _lock_scheduled(conn, meeting_id)
    swapped = await conn.execute(
        update(meetings)
        .where(
            meetings.c.id == meeting_id,
            meetings.c.status == "scheduled",
            meetings.c.starts_at > now,
        )
        .values(status="cancelled", cancel_reason=reason[:200])
    )
    if swapped.rowcount != 1:
        raise AlreadyHandled
    for request_id, requester in linked:
        await _release(conn, request_id)
        await _drop(conn, request_id, MEETING_KINDS)
        if found.mode == "group":
            values = {"status": "cancelled", "closed_at": now}
            detail = "cancelled"
        else:  # back in line, for another mentor (this one has its offer row: never again)
            values = {
                "status": "waiting",
                "mentor_id": None,
                "meeting_id": None,
                "offered_at": None,
                "offer_expires_at": None,
            }
            detail = "again"
        await conn.execute(update(requests).where(requests.c.id == request_id).values(**values))
        key = f"mentor_meeting_cancelled:{meeting_id}:{request_id}"
        await outbox.notice(
            conn,
            "mentor_meeting_cancelled",
            requester,
            key,
            now=now,
            mentor_request_id=request_id,
            detail=detail,
        )
        if detail == "again":
            await offer_next(conn, request_id, now=now, window=window, tz=tz)
    await audit.record(
        conn,
        mentor_user.id,
        "mentor_meeting.cancelled",
        "mentor_meeting",
        meeting_id,
        now=now,
    )
    return [request_id for request_id, _ in linked]


MEETING_KINDS = (
    "mentor_meeting_day_before",
    "mentor_meeting_hour",
    "mentor_log",
    "mentor_scheduled",
)
