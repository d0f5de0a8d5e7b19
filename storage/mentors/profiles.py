"""A mentor's profile: fields, modes, districts, their open-request limit, and pause."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.catalogue import DISTRICTS
from storage.errors import NotFound, Refused
from storage.mentors.common import ANSWER_WINDOW, CITY_TZ, MAX_OPEN_CHOICES
from storage.mentors.offers import _pass_on
from storage.tables import mentor_fields, mentors
from storage.tables import mentor_requests as requests


async def profile(conn: AsyncConnection, mentor_id: int) -> Row | None:
    return (await conn.execute(select(mentors).where(mentors.c.id == mentor_id))).first()


async def fields_of(conn: AsyncConnection, mentor_id: int) -> list[str]:
    """The mentor's fields, the main one first."""
    main = await conn.scalar(select(mentors.c.field).where(mentors.c.id == mentor_id))
    extra = await conn.execute(
        select(mentor_fields.c.field)
        .where(mentor_fields.c.mentor_id == mentor_id)
        .order_by(mentor_fields.c.field)
    )
    return [main, *(f for f in extra.scalars() if f != main)] if main else list(extra.scalars())


async def set_fields(conn: AsyncConnection, mentor_id: int, chosen: list[str]) -> None:
    """The mentor's fields (at least one): the first is the main field."""
    chosen = list(dict.fromkeys(f for f in chosen if f))[:8]
    if not chosen:
        raise Refused("no_field")
    await conn.execute(update(mentors).where(mentors.c.id == mentor_id).values(field=chosen[0]))
    await conn.execute(delete(mentor_fields).where(mentor_fields.c.mentor_id == mentor_id))
    if chosen[1:]:
        await conn.execute(
            insert(mentor_fields), [{"mentor_id": mentor_id, "field": f} for f in chosen[1:]]
        )


PROFILE_FIELDS = {"title", "bio", "online", "group_sessions", "school_visits", "districts"}


async def update_profile(
    conn: AsyncConnection, mentor_id: int, actor: int, *, now: datetime, **values
) -> Row:
    """Change the profile's own columns (PROFILE_FIELDS, max_open); returns the new row."""
    values = {k: v for k, v in values.items() if k in PROFILE_FIELDS or k == "max_open"}
    if "max_open" in values and values["max_open"] not in MAX_OPEN_CHOICES:
        raise Refused("max_open")
    if "districts" in values:
        values["districts"] = ",".join(d for d in DISTRICTS if d in (values["districts"] or []))
    changed = await conn.execute(
        update(mentors).where(mentors.c.id == mentor_id).values(**values).returning(*mentors.c)
    )
    row = changed.first()
    if row is None:
        raise NotFound
    await audit.record(
        conn, actor, "mentor.profile", "mentor", mentor_id, now=now, changed=sorted(values)
    )
    return row


async def set_paused(
    conn: AsyncConnection,
    mentor_id: int,
    actor: int,
    paused: bool,
    *,
    now: datetime,
    window: timedelta = ANSWER_WINDOW,
    tz: tzinfo = CITY_TZ,
) -> list[int]:
    """Pause (nothing more is offered; offers waiting for an answer pass on at once) or
    resume. Returns the requests passed on. (The offers pass on first: each locks its
    request before the mentor's row, the one lock order.)"""
    passed = []
    if paused:
        waiting = await conn.execute(
            select(requests.c.id).where(
                requests.c.mentor_id == mentor_id, requests.c.status == "offered"
            )
        )
        for request_id in list(waiting.scalars()):
            if await _pass_on(conn, request_id, mentor_id, "paused", now=now, window=window, tz=tz):
                passed.append(request_id)
    await conn.execute(update(mentors).where(mentors.c.id == mentor_id).values(paused=paused))
    await audit.record(
        conn,
        actor,
        "mentor.paused" if paused else "mentor.resumed",
        "mentor",
        mentor_id,
        now=now,
    )
    return passed
