"""Erasing a person on their request (PIPA Art. 36), in one transaction.

What they asked for and were not given is withdrawn as if they had cancelled it: requests,
offered seats, waiting places and lottery entries (the seats go on down the waiting list),
confirmed seats in sessions still to come (the site is told by the caller), open mentor
requests (the mentor hears). What is over stays only as anonymous figures: their bookings
keep session, school, status and attendance but no student (a programme's statistics still
add up), survey scores stay without their comments. Their lines in cases lose words, photo
and name ("삭제된 메시지"); a mentor's words relayed within requests go. Other tables that
name them by Telegram id forget it. Then their user row goes, and with it (foreign keys)
consent requests, reminders and opt-outs, field interests, mentor requests (with the words
in them), a monitor's row and case parties. A guardian's consents are
withdrawn first: the record of who consented goes with them.

Kept on purpose: audit entries naming them as the actor (the audit log has its own
retention), and the erasure's own entry (ids and counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, select, union, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, cases, consent
from storage import users as users_store
from storage.bookings.common import Freed
from storage.bookings.decisions import PENDING_STATUSES, give_back, withdraw_pending
from storage.bookings.views import teachers_of
from storage.mentors.common import ACTIVE as MENTOR_ACTIVE
from storage.mentors.requester import cancel_request
from storage.tables import (
    bookings,
    broadcasts,
    consent_requests,
    inspections,
    invites,
    mentor_messages,
    mentor_offers,
    mentor_requests,
    mentors,
    programs,
    sessions,
    sites,
    survey_answers,
    users,
)
from storage.tables import (
    cases as case_rows,
)

# Columns that name a person by Telegram id without a foreign key: forgotten (NULL). A
# booking's booked_by is NOT NULL: 0 there, "someone no longer here".
LOOSE_IDS = (
    (bookings.c.decided_by, None),
    (bookings.c.booked_by, 0),
    (case_rows.c.closed_by, None),
    (inspections.c.assigned_by, None),
    (consent_requests.c.answered_by, None),
    (invites.c.created_by, None),
    (broadcasts.c.progress_chat_id, None),
)


@dataclass
class Erased:
    withdrawn: list[Freed] = field(default_factory=list)  # requests and places withdrawn
    cancelled: list[Freed] = field(default_factory=list)  # confirmed seats still to come
    mentor_requests: int = 0  # open mentor requests cancelled
    lines: int = 0  # case lines emptied
    kept: int = 0  # bookings kept as anonymous figures


async def erase(
    conn: AsyncConnection,
    person: Row,
    *,
    actor_id: int,
    reason: str,
    now: datetime,
    offer: timedelta,
) -> Erased:
    """Erase `person` (a users row) for `actor_id`: themselves, their guardian, or staff on
    a written request (storage/erasable.py says who may erase whom). `reason` is a code,
    never a text: "self", "guardian", or one of storage.erasable.REASONS."""
    done = Erased()
    for child in await consent.children_of(conn, person.id):
        done.withdrawn += (
            await consent.withdraw(conn, person.id, child.id, now=now, offer=offer)
        ).withdrawn
    done.withdrawn += await withdraw_pending(conn, person.id, actor_id, now=now, offer=offer)
    done.cancelled = await _give_back_upcoming(conn, person.id, actor_id, now=now, offer=offer)
    done.mentor_requests = await _cancel_mentor_requests(conn, person, now=now)
    done.kept, done.lines = await forget(conn, [person.id])
    await audit.record(
        conn,
        actor_id,
        "person.erased",
        "user",
        person.id,
        now=now,
        reason=reason,
        withdrawn=len(done.withdrawn),
        cancelled=len(done.cancelled),
        kept=done.kept,
        lines=done.lines,
    )
    return done


class SiteTold(NamedTuple):
    """A site with a seat to come: its name, and whether nobody of it is on Jinro to hear."""

    name: str
    nobody: bool


@dataclass(frozen=True)
class Ahead:
    """What erasing a person would cancel, and who would hear of it (the question before
    it says only what is true: handlers/privacy/common.py tell_others tells them)."""

    requests: int  # requests waiting for a teacher: the student's teachers hear of them
    waiting: int  # waiting places, offers and lottery entries: nobody else hears
    teachers: int  # active teachers of the student's school and grade
    sites: list[SiteTold]  # each site with a seat to come


async def ahead(conn: AsyncConnection, person_id: int, *, now: datetime) -> Ahead:
    """What `erase` would withdraw and give back for the person now (see Ahead)."""
    person = (
        await conn.execute(
            select(users.c.role, users.c.school_id, users.c.grade).where(users.c.id == person_id)
        )
    ).first()
    pending = await conn.execute(
        select(bookings.c.status).where(
            bookings.c.student_id == person_id, bookings.c.status.in_(PENDING_STATUSES)
        )
    )
    statuses = list(pending.scalars())
    seats = await conn.execute(
        select(sites.c.id, sites.c.name)
        .distinct()
        .select_from(
            bookings.join(sessions, sessions.c.id == bookings.c.session_id)
            .join(programs, programs.c.id == sessions.c.program_id)
            .join(sites, sites.c.id == programs.c.site_id)
        )
        .where(
            bookings.c.student_id == person_id,
            bookings.c.status == "confirmed",
            sessions.c.starts_at > now,
        )
        .order_by(sites.c.name)
    )
    told = []
    for site_id, name in seats.all():
        told.append(SiteTold(name, not await users_store.site_people(conn, site_id)))
    teachers = 0  # as handlers/privacy/common.py erase finds them
    if person is not None and person.role == "student" and person.school_id is not None:
        teachers = len((await conn.execute(teachers_of(person.school_id, person.grade))).all())
    requests = statuses.count("requested")
    return Ahead(requests, len(statuses) - requests, teachers, told)


async def forget(conn: AsyncConnection, ids: list[int]) -> tuple[int, int]:
    """The people `ids` forgotten once nothing of theirs is still under way (erase() has
    withdrawn it; the retention sweep forgets only people with nothing under way): their
    bookings kept as figures, their words in cases emptied, every loose mention of their id
    blanked, their user rows deleted. Set-based, so a sweep forgets many in one statement
    each. Returns the bookings kept and the case lines changed."""
    kept = await _keep_bookings_as_figures(conn, ids)
    lines = await cases.erase_people(conn, ids)
    await conn.execute(
        update(consent_requests)
        .where(consent_requests.c.answered_by.in_(ids))
        .values(guardian_phone=None, relationship=None)
    )
    # A mentor's profile is theirs too: it loses what names them and is offered nothing more
    # (a request offered to it passes on when its answer time runs out).
    await conn.execute(
        update(mentors)
        .where(mentors.c.id.in_(select(users.c.mentor_id).where(users.c.id.in_(ids))))
        .values(name="", organization=None, bio=None, title=None, paused=True)
    )
    await _forget_mentor_words(conn, ids)
    for column, blank in LOOSE_IDS:
        await conn.execute(update(column.table).where(column.in_(ids)).values({column.name: blank}))
    await conn.execute(delete(users).where(users.c.id.in_(ids)))
    return kept, lines


async def _forget_mentor_words(conn: AsyncConnection, ids: list[int]) -> None:
    """A mentor's words relayed within requests go with the mentor (the requester's stay
    with their request): in every request the mentor was offered or holds. The rows do not
    say which mentor wrote them, so a request that passed on from this mentor to another
    loses the other's words in it too: more goes, never less."""
    theirs = select(users.c.mentor_id).where(users.c.id.in_(ids), users.c.mentor_id.is_not(None))
    had = union(
        select(mentor_offers.c.request_id).where(mentor_offers.c.mentor_id.in_(theirs)),
        select(mentor_requests.c.id).where(mentor_requests.c.mentor_id.in_(theirs)),
    )
    await conn.execute(
        delete(mentor_messages).where(
            mentor_messages.c.from_mentor.is_(True), mentor_messages.c.request_id.in_(had)
        )
    )


async def _give_back_upcoming(
    conn: AsyncConnection, student_id: int, actor_id: int, *, now: datetime, offer: timedelta
) -> list[Freed]:
    """Confirmed seats in sessions not yet begun: cancelled, the seat offered on."""
    upcoming = await conn.scalars(
        select(bookings.c.id)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .where(
            bookings.c.student_id == student_id,
            bookings.c.status == "confirmed",
            sessions.c.starts_at > now,
        )
        .order_by(bookings.c.session_id, bookings.c.id)  # one lock order (withdraw_pending)
    )
    return await give_back(conn, upcoming.all(), ("confirmed",), actor_id, now=now, offer=offer)


async def _cancel_mentor_requests(conn: AsyncConnection, person: Row, *, now: datetime) -> int:
    """Open mentor requests withdrawn the way the requester would (the mentor's place freed,
    the mentor told); the rows themselves go with the user row."""
    open_ids = await conn.scalars(
        select(mentor_requests.c.id).where(
            mentor_requests.c.requester_id == person.id,
            mentor_requests.c.status.in_(MENTOR_ACTIVE),
        )
    )
    found = open_ids.all()
    for request_id in found:
        await cancel_request(conn, request_id, person, now=now)
    return len(found)


async def _keep_bookings_as_figures(conn: AsyncConnection, ids: list[int]) -> int:
    """Their bookings stay for the figures (status, attendance, school) with nobody named;
    their survey comments go, the scores stay."""
    theirs = select(bookings.c.id).where(bookings.c.student_id.in_(ids))
    await conn.execute(
        update(survey_answers).where(survey_answers.c.booking_id.in_(theirs)).values(comment=None)
    )
    kept = await conn.execute(
        update(bookings)
        .where(bookings.c.student_id.in_(ids))
        .values(student_id=None, student_name=None)
    )
    return kept.rowcount
