"""Matching: which mentors could take a request now, best first (Candidate.key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.catalogue import DISTRICTS, related_fields
from storage.mentors.common import (
    CITY_TZ,
    HAS_ROOM,
    MENTOR_USER,
    MODE_COLUMNS,
    QUICK,
    RECENT,
    openings,
    split_codes,
    time_bucket,
)
from storage.mentors.slots import _busy, _slots_by_mentor
from storage.tables import mentor_fields, mentors, schools, users
from storage.tables import mentor_offers as offers


@dataclass(frozen=True)
class Candidate:
    """A mentor who could take a request now, with what ranks them."""

    mentor_id: int
    user_id: int
    field_rank: int  # 0: the request's own field; 1: a related field
    place_rank: int  # 0: the school's district is one they visit; 1: it is not
    open_requests: int
    slow: int  # 0: answered within QUICK on average recently (or no answers yet); 1: slower
    recent: int  # requests offered to them in the last RECENT
    answer_seconds: float  # their average time to answer recently (0 without answers)

    @property
    def key(self) -> tuple:
        """Best first: field match, then mode and district, then fewest open requests, then
        who answered fastest recently.

        Answer speed counts in two tiers before the exact figure, with the recent load in
        between: once requests close (meetings logged), many mentors sit at zero open
        requests at once, and ordering those ties by exact seconds would hand every request
        to whichever mentor is a minute quicker. A mentor who usually answers within QUICK
        comes before one who does not; among quick ones, the one offered fewest requests in
        the last RECENT comes first, so the load spreads."""
        return (
            self.field_rank,
            self.place_rank,
            self.open_requests,
            self.slow,
            self.recent,
            self.answer_seconds,
            self.mentor_id,
        )


@dataclass(frozen=True)
class Wish:
    """What a request asks for (or would ask for, while the requester is still choosing)."""

    field: str
    mode: str
    school_id: int
    times: tuple[str, ...] = ()
    request_id: int | None = None


async def rank(
    conn: AsyncConnection, wish: Wish, *, now: datetime, tz: tzinfo = CITY_TZ
) -> list[Candidate]:
    """The mentors who could take the request now, best first (Candidate.key).

    Who can: a mentor on Jinro (an active user with the mentor role), not paused, below
    their open-request limit, offering the mode, in the field or a related one, visiting the
    school's district for a school visit, never offered this request before, with a free
    slot in the next three weeks (at one of the preferred times, if any were chosen)."""
    district = await conn.scalar(select(schools.c.district).where(schools.c.id == wish.school_id))
    related = related_fields(wish.field)
    wanted = [wish.field, *related]
    extra = select(mentor_fields.c.mentor_id).where(mentor_fields.c.field.in_(wanted))
    stmt = (
        select(
            mentors.c.id,
            mentors.c.field,
            mentors.c.districts,
            mentors.c.open_requests,
            func.min(users.c.id).label("user_id"),
        )
        .join(users, and_(users.c.mentor_id == mentors.c.id, MENTOR_USER))
        .where(
            HAS_ROOM,
            mentors.c[MODE_COLUMNS[wish.mode]].is_(True),
            or_(mentors.c.field.in_(wanted), mentors.c.id.in_(extra)),
        )
        .group_by(mentors.c.id, mentors.c.field, mentors.c.districts, mentors.c.open_requests)
    )
    if wish.request_id is not None:
        asked = select(offers.c.mentor_id).where(offers.c.request_id == wish.request_id)
        stmt = stmt.where(mentors.c.id.not_in(asked))
    rows = list((await conn.execute(stmt)).all())
    if not rows:
        return []
    ids = [row.id for row in rows]
    own = {row.id: {row.field} for row in rows}
    for mentor_id, name in await conn.execute(
        select(mentor_fields.c.mentor_id, mentor_fields.c.field).where(
            mentor_fields.c.mentor_id.in_(ids)
        )
    ):
        own[mentor_id].add(name)
    slot_rows = await _slots_by_mentor(conn, ids)
    busy = await _busy(conn, ids, now)
    speed = await _answer_speed(conn, ids, now)
    found = []
    for row in rows:
        visits = split_codes(row.districts, DISTRICTS)
        if wish.mode == "visit" and district not in visits:
            continue
        free = openings(slot_rows.get(row.id, []), busy.get(row.id, []), now=now, tz=tz)
        if wish.times:
            free = [o for o in free if time_bucket(o.starts_at, tz) in wish.times]
        if not free:
            continue
        recent, seconds = speed.get(row.id, (0, None))
        found.append(
            Candidate(
                mentor_id=row.id,
                user_id=row.user_id,
                field_rank=0 if wish.field in own[row.id] else 1,
                place_rank=0 if district in visits else 1,
                open_requests=row.open_requests,
                slow=int(seconds is not None and seconds > QUICK.total_seconds()),
                recent=recent,
                answer_seconds=seconds or 0.0,
            )
        )
    return sorted(found, key=lambda c: c.key)


async def _answer_speed(conn: AsyncConnection, ids, now: datetime) -> dict[int, tuple]:
    """mentor -> (offers in the last RECENT, average seconds to answer or None). An offer
    left unanswered counts as the whole time it waited (mentor_offers.seconds)."""
    found = await conn.execute(
        select(offers.c.mentor_id, func.count(), func.avg(offers.c.seconds))
        .where(offers.c.mentor_id.in_(ids), offers.c.offered_at > now - RECENT)
        .group_by(offers.c.mentor_id)
    )
    return {
        mentor_id: (count, float(average) if average is not None else None)
        for mentor_id, count, average in found.all()
    }
