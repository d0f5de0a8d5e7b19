"""Mentor requests: profiles and free slots, matching, offers one mentor at a time, meetings.

A request is offered to the best available mentor (rank, below) and waits for their answer
for a set time (24 hours by default); declined or unanswered, it passes to the next one. A
request nobody can take waits in line, priority requests first, until a mentor comes free.

Who holds what. `mentors.open_requests` counts the requests a mentor holds now (offered to
them, accepted, scheduled and not yet logged); `mentor_requests.counted` marks each of them.
Taking a place is one conditional UPDATE (`open_requests < max_open AND NOT paused`), so two
requests matched at the same moment cannot both take a mentor's last place, and a paused
mentor gets nothing. Giving it back clears `counted` first, so it is given back once.

Compare-and-swap everywhere. Every change of a request's status is an UPDATE on the status
(and mentor) it was seen in: a mentor pressing "accept" just as the clock passes the request
on, or as another mentor accepts it, either wins or gets AlreadyHandled; never both.

Lock order (PostgreSQL): the request row first, then the mentor row. offer_next locks the
request before taking a mentor's place; every other change swaps the request first too.

The priority mark (the city's pilot for students from vulnerable backgrounds) only orders the
line; the views a mentor or student sees never carry it.

Every function runs in the caller's transaction; reminders and notices go to the outbox
(storage.reminders.write) in that same transaction, so nothing is said that did not happen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import reminders as outbox
from storage.catalogue import DISTRICTS, FIELD_FAMILIES, related_fields
from storage.errors import AlreadyHandled, DomainError, NotFound
from storage.models import (
    Mentor,
    MentorField,
    MentorMeeting,
    MentorOffer,
    MentorRequest,
    MentorSlot,
    Program,
    Reminder,
    School,
    User,
)
from storage.names import first_name
from storage.search import _one_edit, normalize

mentors = Mentor.__table__
mentor_fields = MentorField.__table__
slots = MentorSlot.__table__
meetings = MentorMeeting.__table__
requests = MentorRequest.__table__
offers = MentorOffer.__table__
users = User.__table__
schools = School.__table__
programs = Program.__table__
reminders = Reminder.__table__

CITY_TZ = outbox.CITY_TZ
MODES = ("online", "group", "visit")
STUDENT_MODES = ("online", "visit")  # one to one online, or the mentor comes to the school
TEACHER_MODES = ("visit", "group")  # a school visit, or an online group session for a class
# A mentor profile's column for each mode.
MODE_COLUMNS = {"online": "online", "group": "group_sessions", "visit": "school_visits"}
# Preferred times: weekday daytime, after school, weekday evening, the weekend (Seoul).
TIMES = ("day", "after", "evening", "weekend")
OPEN = ("offered", "accepted", "scheduled")  # a request the mentor holds
ACTIVE = ("waiting", *OPEN)  # a request not yet over
CLOSED = ("held", "not_held", "cancelled", "expired")

ANSWER_WINDOW = timedelta(hours=24)  # the default; the MENTOR_ANSWER_HOURS setting
NUDGE_BEFORE = timedelta(hours=4)  # a mentor is reminded this long before the offer passes on
HORIZON = timedelta(days=21)  # how far ahead free slots count
LEAD = timedelta(hours=2)  # the earliest a meeting can be set
WAIT_LIMIT = timedelta(days=14)  # a request nobody took in this long expires
RECENT = timedelta(days=30)  # what "recently" means for answer speed and load
QUICK = timedelta(hours=12)  # answering faster than this on average is "quick"
GROUP_CAPACITY = 5  # schools in an online group session
MISSED_IN_A_ROW = 3  # offers left to run out in a row: the mentor is paused
MAX_OPEN_CHOICES = (1, 2, 3, 5, 10)
MAX_SLOTS = 30
STUDENT_OPEN_LIMIT = 2  # a student's requests not yet over
TEACHER_OPEN_LIMIT = 10
QUESTION_MIN, QUESTION_MAX = 5, 500
DAY_BEFORE_AT = time(18, 0)  # the day-before reminder, as for sessions

# Two-syllable family names (복성): 남궁민지 is 민지.


class Refused(DomainError):
    """The request or change cannot be made; `reason` names why (a message key)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ----- small pieces ---------------------------------------------------------------------------


def time_bucket(moment: datetime, tz: tzinfo = CITY_TZ) -> str:
    """Which of TIMES a start falls in."""
    local = moment.astimezone(tz)
    if local.weekday() >= 5:
        return "weekend"
    if local.hour < 15:
        return "day"
    return "after" if local.hour < 18 else "evening"


def split_codes(text: str | None, allowed) -> list[str]:
    return [code for code in (text or "").split(",") if code in allowed]


def mentor_modes(mentor: Row) -> list[str]:
    return [mode for mode in MODES if getattr(mentor, MODE_COLUMNS[mode])]


def all_fields() -> list[str]:
    """The fields of the catalogue (every field some family names), sorted."""
    return sorted(set().union(*FIELD_FAMILIES))


@dataclass(frozen=True)
class Opening:
    """One occurrence of a free slot."""

    starts_at: datetime
    ends_at: datetime
    slot_id: int


def openings(
    slot_rows, busy, *, now: datetime, tz: tzinfo = CITY_TZ, horizon: timedelta = HORIZON
) -> list[Opening]:
    """The occurrences of `slot_rows` from now + LEAD to now + horizon, minus those that
    overlap a meeting in `busy` ((start, end) pairs), soonest first."""
    first, last = now + LEAD, now + horizon
    found: dict[datetime, Opening] = {}
    local_first = first.astimezone(tz).date()
    by_weekday: dict[int, list[date]] = {}
    for n in range((last - first).days + 2):
        day = local_first + timedelta(days=n)
        by_weekday.setdefault(day.weekday(), []).append(day)
    for slot in slot_rows:
        dates = [slot.day] if slot.day is not None else by_weekday.get(slot.weekday, [])
        for day in dates:
            starts = datetime.combine(day, slot.starts, tzinfo=tz)
            if not first <= starts < last:
                continue
            ends = starts + timedelta(minutes=slot.minutes)
            if any(s < ends and e > starts for s, e in busy):
                continue
            found.setdefault(starts, Opening(starts, ends, slot.id))
    return sorted(found.values(), key=lambda o: o.starts_at)


# ----- profiles -------------------------------------------------------------------------------


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


# ----- free slots -----------------------------------------------------------------------------


async def mentor_slots(conn: AsyncConnection, mentor_id: int) -> list[Row]:
    """Weekly slots (Monday first), then single days, each by start."""
    found = await conn.execute(
        select(slots)
        .where(slots.c.mentor_id == mentor_id)
        .order_by(slots.c.day.is_not(None), slots.c.weekday, slots.c.day, slots.c.starts)
    )
    return list(found.all())


async def add_slot(
    conn: AsyncConnection,
    mentor_id: int,
    *,
    starts: time,
    minutes: int,
    weekday: int | None = None,
    day: date | None = None,
) -> int:
    if (weekday is None) == (day is None) or not 15 <= minutes <= 240:
        raise Refused("bad_slot")
    same = select(slots.c.id).where(
        slots.c.mentor_id == mentor_id,
        slots.c.starts == starts,
        slots.c.weekday == weekday if weekday is not None else slots.c.day == day,
    )
    if await conn.scalar(same.limit(1)) is not None:
        raise Refused("duplicate_slot")
    count = await conn.scalar(select(func.count()).where(slots.c.mentor_id == mentor_id))
    if count >= MAX_SLOTS:
        raise Refused("too_many_slots")
    return await conn.scalar(
        insert(slots)
        .values(mentor_id=mentor_id, weekday=weekday, day=day, starts=starts, minutes=minutes)
        .returning(slots.c.id)
    )


async def delete_slot(conn: AsyncConnection, mentor_id: int, slot_id: int) -> None:
    gone = await conn.execute(
        delete(slots).where(slots.c.id == slot_id, slots.c.mentor_id == mentor_id)
    )
    if gone.rowcount != 1:
        raise NotFound


async def _busy(conn: AsyncConnection, mentor_ids, now: datetime) -> dict[int, list]:
    found = await conn.execute(
        select(meetings.c.mentor_id, meetings.c.starts_at, meetings.c.ends_at).where(
            meetings.c.mentor_id.in_(mentor_ids),
            meetings.c.status == "scheduled",
            meetings.c.ends_at > now,
        )
    )
    busy: dict[int, list] = {}
    for row in found.all():
        busy.setdefault(row.mentor_id, []).append((row.starts_at, row.ends_at))
    return busy


async def _slots_by_mentor(conn: AsyncConnection, mentor_ids) -> dict[int, list]:
    found = await conn.execute(select(slots).where(slots.c.mentor_id.in_(mentor_ids)))
    by_mentor: dict[int, list] = {}
    for row in found.all():
        by_mentor.setdefault(row.mentor_id, []).append(row)
    return by_mentor


async def free_openings(
    conn: AsyncConnection, mentor_id: int, *, now: datetime, tz: tzinfo = CITY_TZ
) -> list[Opening]:
    """The mentor's free slot occurrences in the next three weeks."""
    slot_rows = (await _slots_by_mentor(conn, [mentor_id])).get(mentor_id, [])
    busy = (await _busy(conn, [mentor_id], now)).get(mentor_id, [])
    return openings(slot_rows, busy, now=now, tz=tz)


# ----- matching -------------------------------------------------------------------------------


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
        .join(
            users,
            and_(
                users.c.mentor_id == mentors.c.id,
                users.c.role == "mentor",
                users.c.active.is_(True),
            ),
        )
        .where(
            mentors.c.paused.is_(False),
            mentors.c.open_requests < mentors.c.max_open,
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


async def _lock_request(conn: AsyncConnection, request_id: int) -> Row | None:
    """The request, its row locked until commit on PostgreSQL (the first lock, always)."""
    stmt = select(requests).where(requests.c.id == request_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=requests, key_share=True)
    return (await conn.execute(stmt)).first()


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
            .where(
                mentors.c.id == candidate.mentor_id,
                mentors.c.open_requests < mentors.c.max_open,
                mentors.c.paused.is_(False),
            )
            .values(open_requests=mentors.c.open_requests + 1)
        )
        if taken.rowcount != 1:  # filled up or paused since it was read: the next one
            continue
        expires = now + window
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
        plan = outbox.Planned(
            "mentor_waiting", requester, now, f"mentor_waiting:{request_id}:{tries}"
        )
        await outbox.write(conn, [plan], now, mentor_request_id=request_id)
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
        plan = outbox.Planned(
            "mentor_auto_paused", user_id, now, f"mentor_auto_paused:{mentor_id}:{request_id}"
        )
        await outbox.write(conn, [plan], now, mentor_request_id=request_id)


# ----- the mentor answers ---------------------------------------------------------------------


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
    plan = outbox.Planned(
        "mentor_accepted",
        request.requester_id,
        now,
        f"mentor_accepted:{request_id}:{mentor_user.mentor_id}",
    )
    await outbox.write(conn, [plan], now, mentor_request_id=request_id)
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
            mentors.c.paused.is_(False),
            mentors.c.open_requests < mentors.c.max_open,
            mentors.c.id.in_(
                select(users.c.mentor_id).where(users.c.role == "mentor", users.c.active.is_(True))
            ),
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
        plan = outbox.Planned("mentor_expired", requester, now, f"mentor_expired:{request_id}")
        await outbox.write(conn, [plan], now, mentor_request_id=request_id)
        await audit.record(
            conn, None, "mentor_request.expired", "mentor_request", request_id, now=now
        )
        done.append(request_id)
    return done


# ----- meetings -------------------------------------------------------------------------------


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


async def meeting(conn: AsyncConnection, meeting_id: int) -> Row | None:
    return (await conn.execute(select(meetings).where(meetings.c.id == meeting_id))).first()


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


async def mentor_user_id(conn: AsyncConnection, mentor_id: int) -> int | None:
    """The mentor's user on Jinro (the first, should a profile have two)."""
    return await conn.scalar(
        select(func.min(users.c.id)).where(
            users.c.mentor_id == mentor_id, users.c.role == "mentor", users.c.active.is_(True)
        )
    )


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
    found = await meeting(conn, meeting_id)
    if found is None or found.mentor_id != mentor_user.mentor_id:
        raise NotFound
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
            plan = outbox.Planned("mentor_rate", requester, now, f"mentor_rate:{request_id}")
            await outbox.write(conn, [plan], now, mentor_request_id=request_id)
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
    found = await meeting(conn, meeting_id)
    if (
        found is None
        or found.mentor_id != mentor_user.mentor_id
        or found.status not in ("held", "not_held")
    ):
        raise NotFound
    await conn.execute(
        update(meetings)
        .where(meetings.c.id == meeting_id)
        .values(note=" ".join(note.split())[:500])
    )


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
    found = await meeting(conn, meeting_id)
    if found is None or found.mentor_id != mentor_user.mentor_id:
        raise NotFound
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
        plan = outbox.Planned(
            "mentor_meeting_cancelled",
            requester,
            now,
            f"mentor_meeting_cancelled:{meeting_id}:{request_id}",
        )
        await outbox.write(conn, [plan], now, mentor_request_id=request_id, detail=detail)
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


# ----- the requester --------------------------------------------------------------------------


async def get(conn: AsyncConnection, request_id: int) -> Row | None:
    return (await conn.execute(select(requests).where(requests.c.id == request_id))).first()


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
            plan = outbox.Planned(
                "mentor_request_cancelled",
                mentor_user,
                now,
                f"mentor_request_cancelled:{request_id}",
            )
            await outbox.write(conn, [plan], now, mentor_request_id=request_id)
    await audit.record(
        conn, requester.id, "mentor_request.cancelled", "mentor_request", request_id, now=now
    )
    return request


async def rate(
    conn: AsyncConnection, request_id: int, requester: Row, score: int, *, now: datetime
) -> None:
    if not 1 <= score <= 5:
        raise NotFound
    changed = await conn.execute(
        update(requests)
        .where(
            requests.c.id == request_id,
            requests.c.requester_id == requester.id,
            requests.c.status == "held",
        )
        .values(rating=score, rated_at=now)
    )
    if changed.rowcount != 1:
        raise NotFound


async def comment(conn: AsyncConnection, request_id: int, requester: Row, text: str) -> None:
    changed = await conn.execute(
        update(requests)
        .where(
            requests.c.id == request_id,
            requests.c.requester_id == requester.id,
            requests.c.rating.is_not(None),
        )
        .values(comment=" ".join(text.split())[:500])
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
    covered = [int(g) for g in (viewer.grades or "").split(",") if g]
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


# ----- what people see ------------------------------------------------------------------------

requester_users = users.alias("requester")
mentor_profiles = mentors.alias("mentor")

# A request with its school, its requester (name, grade, role, language), its mentor's public
# profile and its meeting. The priority mark is left out on purpose: this is what mentors
# and requesters see (the teacher's and staff's lists add it).
REQUEST_VIEW = (
    select(
        requests.c.id,
        requests.c.requester_id,
        requests.c.school_id,
        requests.c.mode,
        requests.c.field,
        requests.c.question,
        requests.c.times,
        requests.c.status,
        requests.c.mentor_id,
        requests.c.offered_at,
        requests.c.offer_expires_at,
        requests.c.meeting_id,
        requests.c.created_at,
        requests.c.rating,
        schools.c.name.label("school"),
        schools.c.district.label("district"),
        schools.c.address.label("school_address"),
        requester_users.c.name.label("requester_name"),
        requester_users.c.grade.label("grade"),
        requester_users.c.role.label("requester_role"),
        mentor_profiles.c.name.label("mentor_name"),
        mentor_profiles.c.kind.label("mentor_kind"),
        mentor_profiles.c.title.label("mentor_title"),
        mentor_profiles.c.organization.label("mentor_organization"),
        meetings.c.starts_at,
        meetings.c.ends_at,
        meetings.c.place,
        meetings.c.link,
        meetings.c.status.label("meeting_status"),
        meetings.c.capacity,
        meetings.c.joined,
    )
    .join(schools, schools.c.id == requests.c.school_id)
    .join(requester_users, requester_users.c.id == requests.c.requester_id)
    .outerjoin(mentor_profiles, mentor_profiles.c.id == requests.c.mentor_id)
    .outerjoin(meetings, meetings.c.id == requests.c.meeting_id)
)


@dataclass(frozen=True)
class Seen:
    """A request as a mentor sees it: the student's first name, grade and school, the
    question; a teacher's name and school. Nothing else of the person, and no priority."""

    id: int
    mode: str
    field: str
    question: str
    times: tuple[str, ...]
    school: str
    district: str
    who: str  # the student's first name, or the teacher's name
    grade: int | None  # students only
    teacher: bool
    status: str
    offer_expires_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    place: str | None
    link: str | None
    meeting_id: int | None
    meeting_status: str | None
    capacity: int | None
    joined: int | None


def seen_by_mentor(row: Row) -> Seen:
    teacher = row.requester_role == "teacher"
    return Seen(
        id=row.id,
        mode=row.mode,
        field=row.field,
        question=row.question,
        times=tuple(split_codes(row.times, TIMES)),
        school=row.school,
        district=row.district,
        who=(row.requester_name or "") if teacher else first_name(row.requester_name),
        grade=None if teacher else row.grade,
        teacher=teacher,
        status=row.status,
        offer_expires_at=row.offer_expires_at,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        place=row.place,
        link=row.link,
        meeting_id=row.meeting_id,
        meeting_status=row.meeting_status,
        capacity=row.capacity,
        joined=row.joined,
    )


async def view(conn: AsyncConnection, request_id: int) -> Row | None:
    return (await conn.execute(REQUEST_VIEW.where(requests.c.id == request_id))).first()


async def for_mentor(conn: AsyncConnection, request_id: int, mentor_id: int | None) -> Seen:
    """A request offered to this mentor at some time (NotFound otherwise), as they see it."""
    await _offered_to(conn, request_id, mentor_id)
    return seen_by_mentor(await view(conn, request_id))


async def for_requester(conn: AsyncConnection, request_id: int, user_id: int) -> Row:
    row = await view(conn, request_id)
    if row is None or row.requester_id != user_id:
        raise NotFound
    return row


async def my_requests(conn: AsyncConnection, user_id: int, *, limit: int = 8) -> list[Row]:
    """The requester's requests: those not yet over first, then the latest others."""
    found = await conn.execute(
        REQUEST_VIEW.where(requests.c.requester_id == user_id)
        .order_by(requests.c.status.in_(ACTIVE).desc(), requests.c.id.desc())
        .limit(limit)
    )
    return list(found.all())


async def students_requests(
    conn: AsyncConnection, teacher: Row, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Requests of the students the teacher covers, not yet over first, newest first; with
    the priority mark (teachers may see it)."""
    where = [
        requests.c.school_id == teacher.school_id,
        requester_users.c.role == "student",
    ]
    covered = [int(g) for g in (teacher.grades or "").split(",") if g]
    if covered:
        where.append(requester_users.c.grade.in_(covered))
    total = await conn.scalar(
        select(func.count())
        .select_from(
            requests.join(requester_users, requester_users.c.id == requests.c.requester_id)
        )
        .where(*where)
    )
    found = await conn.execute(
        REQUEST_VIEW.add_columns(requests.c.priority)
        .where(*where)
        .order_by(requests.c.status.in_(ACTIVE).desc(), requests.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(found.all()), total


async def open_for_staff(
    conn: AsyncConnection, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Requests not yet taken (waiting, or offered and unanswered), priority first, oldest
    first; with the priority mark."""
    where = requests.c.status.in_(("waiting", "offered"))
    total = await conn.scalar(select(func.count()).where(where))
    found = await conn.execute(
        REQUEST_VIEW.add_columns(requests.c.priority)
        .where(where)
        .order_by(requests.c.priority.desc(), requests.c.created_at, requests.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(found.all()), total


@dataclass
class Board:
    """A mentor's desk: offers to answer, accepted requests to set a time for, meetings to
    come, and meetings to log."""

    offered: list[Seen] = field(default_factory=list)
    to_schedule: list[Seen] = field(default_factory=list)
    upcoming: list[Seen] = field(default_factory=list)
    to_log: list[Seen] = field(default_factory=list)

    # Counts, for the texts.
    count_offered = property(lambda self: len(self.offered))
    count_to_schedule = property(lambda self: len(self.to_schedule))
    count_upcoming = property(lambda self: len(self.upcoming))
    count_to_log = property(lambda self: len(self.to_log))


async def board(conn: AsyncConnection, mentor_id: int, *, now: datetime) -> Board:
    found = await conn.execute(
        REQUEST_VIEW.where(requests.c.mentor_id == mentor_id, requests.c.status.in_(OPEN)).order_by(
            func.coalesce(meetings.c.starts_at, requests.c.offered_at), requests.c.id
        )
    )
    desk = Board()
    seen_meetings: set[int] = set()
    for row in found.all():
        seen = seen_by_mentor(row)
        if row.status == "offered":
            desk.offered.append(seen)
        elif row.status == "accepted":
            desk.to_schedule.append(seen)
        elif row.meeting_id in seen_meetings:  # a group session: listed once
            continue
        else:
            seen_meetings.add(row.meeting_id)
            (desk.to_log if row.starts_at <= now else desk.upcoming).append(seen)
    return desk


async def meeting_schools(conn: AsyncConnection, meeting_id: int) -> list[str]:
    """The schools in a meeting (a group session's list for its mentor)."""
    found = await conn.execute(
        select(schools.c.name)
        .join(requests, requests.c.school_id == schools.c.id)
        .where(
            requests.c.meeting_id == meeting_id,
            requests.c.status.in_(("scheduled", "held", "not_held")),
        )
        .order_by(requests.c.id)
    )
    return list(found.scalars())


async def open_groups(
    conn: AsyncConnection, school_id: int, *, now: datetime, limit: int = 8
) -> list[Row]:
    """Upcoming online group sessions with room for a school, soonest first, each with
    whether this school is in it already."""
    mine = (
        select(func.count())
        .where(
            requests.c.meeting_id == meetings.c.id,
            requests.c.school_id == school_id,
            requests.c.status == "scheduled",
        )
        .scalar_subquery()
    )
    found = await conn.execute(
        select(
            meetings,
            mentors.c.name.label("mentor_name"),
            mentors.c.title.label("mentor_title"),
            mentors.c.organization.label("mentor_organization"),
            mine.label("ours"),
        )
        .join(mentors, mentors.c.id == meetings.c.mentor_id)
        .where(
            meetings.c.mode == "group",
            meetings.c.status == "scheduled",
            meetings.c.starts_at > now,
        )
        .order_by(meetings.c.starts_at, meetings.c.id)
        .limit(limit)
    )
    return list(found.all())


async def group_view(conn: AsyncConnection, meeting_id: int) -> Row | None:
    found = await conn.execute(
        select(
            meetings,
            mentors.c.name.label("mentor_name"),
            mentors.c.title.label("mentor_title"),
            mentors.c.organization.label("mentor_organization"),
        )
        .join(mentors, mentors.c.id == meetings.c.mentor_id)
        .where(meetings.c.id == meeting_id, meetings.c.mode == "group")
    )
    return found.first()


# ----- choosing: fields, times, alternatives --------------------------------------------------


async def available_fields(
    conn: AsyncConnection, *, now: datetime, tz: tzinfo = CITY_TZ
) -> dict[str, int]:
    """field -> mentors on Jinro who could take a request in it now (any mode)."""
    rows = await conn.execute(
        select(mentors.c.id, mentors.c.field)
        .join(
            users,
            and_(
                users.c.mentor_id == mentors.c.id,
                users.c.role == "mentor",
                users.c.active.is_(True),
            ),
        )
        .where(mentors.c.paused.is_(False), mentors.c.open_requests < mentors.c.max_open)
        .distinct()
    )
    rows = list(rows.all())
    if not rows:
        return {}
    ids = [r.id for r in rows]
    slot_rows = await _slots_by_mentor(conn, ids)
    busy = await _busy(conn, ids, now)
    free = {
        r.id for r in rows if openings(slot_rows.get(r.id, []), busy.get(r.id, []), now=now, tz=tz)
    }
    counts: dict[str, set[int]] = {}
    for row in rows:
        if row.id in free:
            counts.setdefault(row.field, set()).add(row.id)
    extra = await conn.execute(
        select(mentor_fields.c.mentor_id, mentor_fields.c.field).where(
            mentor_fields.c.mentor_id.in_(list(free))
        )
    )
    for mentor_id, name in extra.all():
        counts.setdefault(name, set()).add(mentor_id)
    return {name: len(ids_) for name, ids_ in counts.items()}


async def vocabulary(conn: AsyncConnection) -> list[str]:
    """Every field a request may name: the catalogue's, programmes' and mentors'."""
    names = set(all_fields())
    names |= set((await conn.execute(select(programs.c.field).distinct())).scalars())
    names |= set((await conn.execute(select(mentors.c.field).distinct())).scalars())
    names |= set((await conn.execute(select(mentor_fields.c.field).distinct())).scalars())
    return sorted(n for n in names if n)


async def find_fields(conn: AsyncConnection, text: str, *, limit: int = 6) -> list[str]:
    """Fields for typed words, matched like programme search (storage.search): normalised
    (full-width letters, case), inside words from one syllable up, a Latin word one typo
    away. Each word must be in the field's name or in what its mentors wrote of themselves
    (job title, organisation, introduction). Fields named by the words come first."""
    terms = normalize(text).split()
    if not terms:
        return []
    docs: dict[str, list[str]] = {name: [normalize(name)] for name in await vocabulary(conn)}
    about = await conn.execute(
        select(
            mentors.c.id, mentors.c.field, mentors.c.title, mentors.c.organization, mentors.c.bio
        )
    )
    extra: dict[int, list[str]] = {}
    for mentor_id, name in await conn.execute(
        select(mentor_fields.c.mentor_id, mentor_fields.c.field)
    ):
        extra.setdefault(mentor_id, []).append(name)
    for row in about.all():
        said = normalize(" ".join(p for p in (row.title, row.organization, row.bio) if p))
        for name in (row.field, *extra.get(row.id, [])):
            docs.setdefault(name, [normalize(name)]).append(said)

    def has(doc: str, term: str) -> bool:
        if term in doc:
            return True
        if re.fullmatch("[a-z]+", term) and len(term) > 2:
            return any(_one_edit(term, word) for word in re.findall(r"\w+", doc))
        return False

    found = []
    for name, parts in docs.items():
        whole = " ".join(parts)
        if all(has(whole, term) for term in terms):
            in_name = sum(has(parts[0], term) for term in terms)
            found.append((-in_name, -len(parts), name))
    return [name for *_, name in sorted(found)][:limit]


async def time_choices(
    conn: AsyncConnection,
    field: str,
    mode: str,
    school_id: int,
    *,
    now: datetime,
    tz: tzinfo = CITY_TZ,
) -> dict[str, int]:
    """Of TIMES, those where a mentor who could take the request has a free slot, with how
    many such mentors."""
    counts = {}
    for code in TIMES:
        found = await rank(conn, Wish(field, mode, school_id, (code,)), now=now, tz=tz)
        if found:
            counts[code] = len(found)
    return counts


class FieldCount(NamedTuple):
    name: str
    count: int


@dataclass
class Alternatives:
    """What to suggest when nobody can take a request now."""

    fields: list[FieldCount] = field(default_factory=list)  # related fields with mentors free
    modes: list[str] = field(default_factory=list)  # other modes with a mentor free
    any_time: bool = False  # a mentor is free at other times than those chosen
    groups: list[Row] = field(default_factory=list)  # group sessions to join (teachers)
    programs: list[Row] = field(default_factory=list)  # programmes in the field


async def alternatives(
    conn: AsyncConnection,
    request: Row,
    *,
    now: datetime,
    tz: tzinfo = CITY_TZ,
    role: str = "student",
) -> Alternatives:
    found = Alternatives()
    times = tuple(split_codes(request.times, TIMES))
    if times and await rank(
        conn, Wish(request.field, request.mode, request.school_id, (), request.id), now=now, tz=tz
    ):
        found.any_time = True
    modes = STUDENT_MODES if role == "student" else TEACHER_MODES
    for mode in modes:
        if mode != request.mode and await rank(
            conn, Wish(request.field, mode, request.school_id), now=now, tz=tz
        ):
            found.modes.append(mode)
    for name in related_fields(request.field):
        free = await rank(conn, Wish(name, request.mode, request.school_id), now=now, tz=tz)
        free = [c for c in free if c.field_rank == 0]
        if free:
            found.fields.append(FieldCount(name, len(free)))
    if role == "teacher":
        groups = await open_groups(conn, request.school_id, now=now)
        near = {request.field, *related_fields(request.field)}
        found.groups = [
            g for g in groups if g.field in near and not g.ours and g.joined < g.capacity
        ][:3]
    found.programs = list(
        (
            await conn.execute(
                select(programs.c.id, programs.c.title, programs.c.next_start)
                .where(programs.c.field == request.field, programs.c.next_start > now)
                .order_by(programs.c.next_start, programs.c.id)
                .limit(3)
            )
        ).all()
    )
    return found
