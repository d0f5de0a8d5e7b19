"""What the bot keeps about one person, gathered for /mydata (PIPA Art. 35: everyone may see
the data kept about them), and nothing about anyone else.

A person's copy holds their profile, settings, the fields they opened, their bookings and
survey answers, their mentor requests, the cases they are in with only the lines they wrote
themselves (the others' words are the others' data), and the guardian consent asked for them
or answered by them, the number masked. A guardian (a guest who consented) also gets, for
each child they consent for now, that child's own copy. Left out: the conversation step
(`users.flow`, internal), other people's names and Telegram ids, and the priority mark of a
mentor request (students never see it: storage/models/mentors.py).

Plain values only (str, int, bool, None, lists, dicts), ready for JSON; times are ISO 8601
in the city's time zone `tz`, which the caller hands in with `now`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import consent
from storage import tables as t
from storage import users as users_store

# The lists the chat's summary counts (bookings by status, the rest by length).
COUNTED = ("survey_answers", "mentor_requests", "cases", "consents")


@dataclass(frozen=True)
class Copy:
    """A person's copy (`data`, for the file) and the ids of the children in it, which the
    caller audits and which the file itself never carries."""

    data: dict
    child_ids: list[int]


async def export(conn: AsyncConnection, user: Row, *, now: datetime, tz: tzinfo) -> Copy:
    """Everything kept about `user`; a guest's copy adds `children` (a guardian's)."""
    data = {"generated_at": _plain(now, tz), **await person(conn, user, tz=tz)}
    child_ids: list[int] = []
    if user.role is None:
        data["children"] = []
        for child in await consent.children_of(conn, user.id):
            child_row = await users_store.get(conn, child.id)
            data["children"].append(await person(conn, child_row, tz=tz))
            child_ids.append(child.id)
    return Copy(data, child_ids)


async def person(conn: AsyncConnection, user: Row, *, tz: tzinfo) -> dict:
    """One person's sections, the same for a child in their guardian's copy."""
    off = await users_store.reminders_off(conn, user.id)
    return {
        "profile": await _profile(conn, user, tz),
        "settings": {"language": user.lang, "reminders_off": sorted(off)},
        "interests": await _interests(conn, user.id),
        "bookings": await _bookings(conn, user.id, tz),
        "survey_answers": await _survey_answers(conn, user.id, tz),
        "mentor_requests": await _mentor_requests(conn, user.id, tz),
        "cases": await _cases(conn, user.id, tz),
        "consents": await _consents(conn, user, tz),
    }


async def answered_consents(conn: AsyncConnection, guardian: Row, *, tz: tzinfo) -> list[dict]:
    """A guardian's answers to consent requests as their copy shows them (the child's name
    while the consent stands, the number masked): what /deleteme says is kept of them."""
    return await _consents(conn, guardian, tz)


def counts(data: dict) -> dict:
    """The summary's figures: bookings by status, and how many of each other list."""
    statuses = Counter(b["status"] for b in data["bookings"])
    figures = {"bookings": [{"status": s, "count": n} for s, n in statuses.items()]}
    figures.update((name, len(data[name])) for name in COUNTED)
    return figures


def masked_number(e164: str | None) -> str | None:
    """A phone number with only its last 4 digits shown (010-****-6789): the file may be
    forwarded, and its owner knows the number anyway."""
    if not e164:
        return None
    parts = consent.shown_number(e164).split("-")
    if len(parts) >= 3:  # a Korean mobile: keep the 010, as people write it
        return "-".join([parts[0], *("*" * len(p) for p in parts[1:-1]), parts[-1]])
    digits = [c for c in e164 if c.isdigit()]
    return "*" * (len(digits) - 4) + "".join(digits[-4:])


def _plain(value: object, tz: tzinfo) -> object:
    """A value as the file shows it: a moment in ISO 8601 in `tz`, a day or a time of day in
    ISO 8601, anything else as it is."""
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    return value.isoformat() if isinstance(value, date | time) else value


def _pick(row: Row, tz: tzinfo, names: str) -> dict:
    """The row's columns `names` (space-separated), times as ISO 8601 in `tz`."""
    return {name: _plain(getattr(row, name), tz) for name in names.split()}


# ----- who they are -------------------------------------------------------------------------


async def _profile(conn: AsyncConnection, user: Row, tz: tzinfo) -> dict:
    school = await users_store.school(conn, user.school_id)
    profile = {
        "role": user.role,
        "name": user.name,
        "school": school.name if school else None,
        "grade": user.grade,
        "grades": users_store.covered_grades(user) if user.role == "teacher" else None,
        **_pick(user, tz, "lang under14 consent_at consent_method active created_at"),
    }
    site = await users_store.site(conn, user.site_id)
    if site is not None:
        profile["site"] = site.name
    if user.mentor_id is not None:
        profile["mentor"] = await _mentor(conn, user.mentor_id, tz)
    monitor = (
        await conn.execute(select(t.monitors).where(t.monitors.c.user_id == user.id))
    ).first()
    if monitor is not None:
        profile["monitor"] = _pick(monitor, tz, "district paused")
    return profile


async def _mentor(conn: AsyncConnection, mentor_id: int, tz: tzinfo) -> dict | None:
    """The mentor profile they keep, with their other fields and free times."""
    mentor = await users_store.mentor(conn, mentor_id)
    if mentor is None:
        return None
    fields = await conn.scalars(
        select(t.mentor_fields.c.field).where(t.mentor_fields.c.mentor_id == mentor_id)
    )
    slots = await conn.execute(
        select(t.mentor_slots).where(t.mentor_slots.c.mentor_id == mentor_id).order_by("id")
    )
    keys = "kind name field organization title bio online group_sessions school_visits"
    return {
        **_pick(mentor, tz, f"{keys} districts max_open paused"),
        "other_fields": sorted(fields),
        "free_times": [_pick(slot, tz, "weekday day starts minutes") for slot in slots],
    }


async def _interests(conn: AsyncConnection, user_id: int) -> list[dict]:
    interests = t.field_interests
    found = await conn.execute(
        select(interests.c.field, interests.c.views)
        .where(interests.c.user_id == user_id)
        .order_by(interests.c.views.desc(), interests.c.field)
    )
    return [{"field": row.field, "views": row.views} for row in found]


# ----- what they did ------------------------------------------------------------------------

# A booking with its programme, site and session, under the names the file uses.
BOOKED = (
    select(
        t.bookings,
        t.programs.c.title.label("programme"),
        t.sites.c.name.label("site"),
        t.sessions.c.starts_at.label("session_start"),
        t.sessions.c.ends_at.label("session_end"),
        t.sessions.c.status.label("session_status"),
    )
    .join(t.sessions, t.sessions.c.id == t.bookings.c.session_id)
    .join(t.programs, t.programs.c.id == t.sessions.c.program_id)
    .join(t.sites, t.sites.c.id == t.programs.c.site_id)
)


async def _bookings(conn: AsyncConnection, user_id: int, tz: tzinfo) -> list[dict]:
    """Their bookings, a class seat a teacher named them on included (`class_seat`)."""
    found = await conn.execute(
        BOOKED.where(t.bookings.c.student_id == user_id).order_by("session_start", t.bookings.c.id)
    )
    names = "id programme site session_start session_end session_status status created_at"
    return [
        {
            **_pick(b, tz, f"{names} decided_at reason attendance"),
            "class_seat": b.booked_by != user_id,
        }
        for b in found
    ]


async def _survey_answers(conn: AsyncConnection, user_id: int, tz: tzinfo) -> list[dict]:
    answers = t.survey_answers
    found = await conn.execute(
        select(answers, t.programs.c.title.label("programme"))
        .add_columns(t.sessions.c.starts_at.label("session_start"))
        .join(t.bookings, t.bookings.c.id == answers.c.booking_id)
        .join(t.sessions, t.sessions.c.id == t.bookings.c.session_id)
        .join(t.programs, t.programs.c.id == t.sessions.c.program_id)
        .where(t.bookings.c.student_id == user_id)
        .order_by(answers.c.answered_at, answers.c.booking_id)
    )
    names = "booking_id programme session_start score comment answered_at"
    return [_pick(a, tz, names) for a in found]


async def _mentor_requests(conn: AsyncConnection, user_id: int, tz: tzinfo) -> list[dict]:
    """Their own questions; not the mentor's name, nor the priority mark."""
    requests, meetings = t.mentor_requests, t.mentor_meetings
    found = await conn.execute(
        select(requests, meetings.c.starts_at.label("meeting_start"))
        .outerjoin(meetings, meetings.c.id == requests.c.meeting_id)
        .where(requests.c.requester_id == user_id)
        .order_by(requests.c.created_at, requests.c.id)
    )
    names = "id created_at mode field question status meeting_start closed_at rating comment"
    return [
        {**_pick(r, tz, f"{names} rated_at"), "times": [c for c in r.times.split(",") if c]}
        for r in found
    ]


async def _cases(conn: AsyncConnection, user_id: int, tz: tzinfo) -> list[dict]:
    """The cases they are a party to, mediate or wrote in, each with only their own lines:
    what the others wrote, and private words to them, stay out."""
    cases, parties, lines = t.cases, t.case_parties, t.case_messages
    mine = or_(
        cases.c.id.in_(select(parties.c.case_id).where(parties.c.user_id == user_id)),
        cases.c.id.in_(select(lines.c.case_id).where(lines.c.sender_id == user_id)),
        cases.c.student_id == user_id,
        cases.c.monitor_id == user_id,
    )
    party = and_(parties.c.case_id == cases.c.id, parties.c.user_id == user_id)
    found = await conn.execute(
        select(cases, parties.c.role.label("party_role"), parties.c.answer.label("your_answer"))
        .outerjoin(parties, party)
        .where(mine)
        .order_by(cases.c.opened_at, cases.c.id)
    )
    written = await conn.execute(
        select(lines).where(lines.c.sender_id == user_id).order_by(lines.c.at, lines.c.id)
    )
    own: dict[int, list[dict]] = {}
    for line in written:
        own.setdefault(line.case_id, []).append(
            {**_pick(line, tz, "at kind text"), "photo": line.photo is not None}
        )
    return [
        {
            **_pick(c, tz, "id kind"),
            "state": c.status,
            "role": c.party_role or ("mediator" if c.monitor_id == user_id else None),
            "opened_by_you": c.opened_by == user_id,
            **_pick(c, tz, "opened_at closed_at outcome your_answer"),
            "your_messages": own.get(c.id, []),
        }
        for c in found
    ]


async def _consents(conn: AsyncConnection, user: Row, tz: tzinfo) -> list[dict]:
    """A student's requests for consent; a guest's answers as a guardian (the child's name
    only while the consent stands: a declined or withdrawn one gives no right to it)."""
    requests = t.consent_requests
    asked = select(requests, t.users.c.name).join(t.users, t.users.c.id == requests.c.student_id)
    guardian = user.role is None
    if user.role == "student":
        asked = asked.where(requests.c.student_id == user.id).order_by(requests.c.created_at)
    elif guardian:
        asked = asked.where(requests.c.answered_by == user.id).order_by(requests.c.answered_at)
    else:
        return []
    found = await conn.execute(asked)
    names = "created_at status method relationship answered_at withdrawn_at"
    return [
        {
            **({"student": r.name if r.status == "given" else None} if guardian else {}),
            **_pick(r, tz, names),
            "guardian_phone": masked_number(r.guardian_phone),
        }
        for r in found
    ]
