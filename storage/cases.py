"""Cases (중재): a mediation thread about one booking between its student, their teacher and
the site, with a parent monitor as mediator; staff step in when it is escalated.

Who. A case is opened by the booking's student, a teacher of the booking (the teachers of
the student's school covering their grade, or the teacher who booked a class seat) or the
site's people; anyone else gets NotFound, the same as a missing booking. Its parties are
fixed then (case_parties): the student (when on Telegram), those teachers (for a class seat:
the teacher who booked it), the site's people, and always the opener. The mediator is the
site's district's next parent monitor, round-robin, skipping paused ones
(storage.monitors.take_turn); staff may assign another.

Reading: staff any case; a monitor only the cases assigned to them; a party their own; a
teacher their students' cases (their school and grades), read-only unless a party. Anyone
else gets NotFound. Posting: the parties (to everyone), the case's monitor and staff (to
everyone, privately to one party, or a proposal); never once the case is closed.

Relaying. Nobody ever sees another person's Telegram account: every message is stored with
its sender's role and first name (case_messages.sender_name) and written to each recipient's
outbox (kind case_message and the like, key per message and recipient, detail = the message
id) in the same transaction, then composed anew by the bot (handlers/cases.py); never
forwarded or copied.

Service levels (the clock, check_service_levels): a case opened waits MEDIATOR_WAIT (the
CASE_MEDIATOR_HOURS setting) for its mediator's first word, a mediator's message waits
ANSWER_WAIT (CASE_ANSWER_HOURS) for a party's answer. `cases.due_at` is the next moment the
clock looks, `due_what` what it waits for, `due_step` 0 for the reminder, 1 for the
escalation to staff that follows after the same wait again, at most SECOND_WAIT_MAX. Every
step is a compare-and-swap on (status, due_at, due_step) and PostgreSQL picks due cases
`FOR UPDATE SKIP LOCKED`, so two bot processes never both remind or escalate.

Lock order (PostgreSQL): the case row first (_lock), then its parties. A proposal and the
answers to it both lock the case, so an answer to a proposal just replaced is refused.

Every function runs in the caller's write transaction and writes the audit log (ids only).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, monitors
from storage import reminders as outbox
from storage.bookings import teachers_of
from storage.errors import AlreadyHandled, DomainError, NotFound
from storage.models import (
    Booking,
    Case,
    CaseMessage,
    CaseParty,
    Monitor,
    Program,
    Role,
    School,
    Session,
    Site,
    User,
)
from storage.names import display_name
from storage.users import active_staff, covered_grades, site_people

cases = Case.__table__
parties = CaseParty.__table__
messages = CaseMessage.__table__
bookings = Booking.__table__
sessions = Session.__table__
programs = Program.__table__
sites = Site.__table__
schools = School.__table__
users = User.__table__
monitor_rows = Monitor.__table__

KINDS = ("schedule", "safety", "complaint", "no_show", "other")
OUTCOMES = ("resolved", "unresolved", "withdrawn")
PARTY_ROLES = ("student", "teacher", "site")
POSTS = ("message", "private", "proposal")  # what people write (the rest are events)
TEXT_MAX = 2000
NOTE_MAX = 500
MEDIATOR_WAIT = timedelta(hours=4)  # the default; the CASE_MEDIATOR_HOURS setting
ANSWER_WAIT = timedelta(hours=48)  # the default; the CASE_ANSWER_HOURS setting
SECOND_WAIT_MAX = timedelta(hours=24)  # from the reminder to the escalation, at most
PICK_WINDOW = timedelta(days=30)  # bookings of sessions this recent can have a case opened
PICK_STATUSES = ("requested", "confirmed", "offered", "cancelled")


class Refused(DomainError):
    """The case cannot take this now; `reason`: closed | read_only | replaced | empty |
    too_long | not_party."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Opened:
    case_id: int
    status: str
    monitor_id: int | None
    parties: int


@dataclass(frozen=True)
class Answered:
    accepted: int  # parties who accepted the proposal so far
    parties: int
    rejected: int

    @property
    def everyone(self) -> bool:
        return self.accepted == self.parties


def party_tag(case_id: int, user_id: int) -> int:
    """A short check number for a party's place in a case's list, carried in the mediator's
    button instead of their user id (a Telegram id never goes to another person)."""
    return int(hashlib.sha1(f"{case_id}:{user_id}".encode()).hexdigest()[:5], 16)


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _check_text(text: str | None, photo: str | None, limit: int = TEXT_MAX) -> None:
    if text is None and photo is None:
        raise Refused("empty")
    if text is not None and len(text) > limit:
        raise Refused("too_long")


def _covers(teacher: Row, grade: int | None) -> bool:
    grades = covered_grades(teacher)
    return not grades or grade in grades


# ----- opening --------------------------------------------------------------------------------


BOOKING_CONTEXT = (
    select(
        bookings.c.id,
        bookings.c.session_id,
        bookings.c.student_id,
        bookings.c.school_id,
        bookings.c.booked_by,
        programs.c.site_id,
        sites.c.district,
        users.c.grade,
    )
    .join(sessions, sessions.c.id == bookings.c.session_id)
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(sites, sites.c.id == programs.c.site_id)
    .outerjoin(users, users.c.id == bookings.c.student_id)
)


def _class_seat(booking: Row) -> bool:
    """A seat of a teacher's class booking (named or not), not the student's own booking."""
    return booking.student_id is None or booking.booked_by != booking.student_id


def opener_role(booking: Row, user: Row) -> str | None:
    """The role `user` would open a case about `booking` (BOOKING_CONTEXT) in, or None."""
    if user.role == Role.STUDENT and booking.student_id == user.id:
        return "student"
    if user.role == Role.TEACHER and user.school_id == booking.school_id:
        if _class_seat(booking):
            return "teacher" if booking.booked_by == user.id else None
        return "teacher" if _covers(user, booking.grade) else None
    if user.role == Role.SITE and user.site_id == booking.site_id:
        return "site"
    return None


async def booking_for(conn: AsyncConnection, booking_id: int, user: Row) -> Row:
    """The booking (BOOKING_CONTEXT) if `user` may open a case about it; else NotFound."""
    booking = (await conn.execute(BOOKING_CONTEXT.where(bookings.c.id == booking_id))).first()
    if booking is None or opener_role(booking, user) is None:
        raise NotFound
    return booking


async def _parties_of(conn: AsyncConnection, booking: Row) -> dict[int, str]:
    """user id -> role of the people a case about `booking` is relayed to."""
    found: dict[int, str] = {}
    if booking.student_id is not None:
        role = await conn.scalar(select(users.c.role).where(users.c.id == booking.student_id))
        if role == Role.STUDENT:
            found[booking.student_id] = "student"
    if _class_seat(booking):
        teacher = await conn.scalar(
            select(users.c.id).where(users.c.id == booking.booked_by, users.c.role == "teacher")
        )
        if teacher is not None:
            found[teacher] = "teacher"
    else:
        for teacher in (await conn.execute(teachers_of(booking.school_id, booking.grade))).all():
            found[teacher.id] = "teacher"
    for person in await site_people(conn, booking.site_id):
        found[person.id] = "site"
    return found


async def open_case(
    conn: AsyncConnection,
    booking_id: int,
    opener: Row,
    kind: str,
    text: str | None,
    photo: str | None = None,
    *,
    now: datetime,
    mediator_wait: timedelta = MEDIATOR_WAIT,
) -> Opened:
    """Open a case about a booking with its first message (a text, or a photo with an
    optional caption). The parties and the mediator are told; a safety concern is escalated
    to staff at once; with no monitor free, staff are asked to assign one."""
    if kind not in KINDS:
        raise NotFound
    text = _clean(text)
    _check_text(text, photo)
    booking = await booking_for(conn, booking_id, opener)
    role = opener_role(booking, opener)
    people = await _parties_of(conn, booking)
    people[opener.id] = role
    monitor_id = await monitors.take_turn(conn, booking.district, now)
    safety = kind == "safety"
    case_id = await conn.scalar(
        insert(cases)
        .values(
            booking_id=booking.id,
            session_id=booking.session_id,
            site_id=booking.site_id,
            school_id=booking.school_id,
            student_id=booking.student_id,
            kind=kind,
            status="escalated" if safety else "open",
            opened_by=opener.id,
            opened_role=role,
            opened_at=now,
            monitor_id=monitor_id,
            assigned_at=now if monitor_id else None,
            escalated_at=now if safety else None,
            escalation="safety" if safety else None,
            due_at=None if safety else now + mediator_wait,
            due_what=None if safety else "mediator",
            due_step=0,
        )
        .returning(cases.c.id)
    )
    await conn.execute(
        insert(parties),
        [{"case_id": case_id, "user_id": u, "role": r} for u, r in sorted(people.items())],
    )
    await _add(conn, case_id, now, "event", "opened", sender=opener, role=role)
    first = await _add(conn, case_id, now, "message", text, photo, sender=opener, role=role)
    if monitor_id is not None:
        await _assigned_event(conn, case_id, monitor_id, now)
    told = [u for u in people if u != opener.id]
    if monitor_id is not None:
        told.append(monitor_id)
    await _tell(conn, "case_opened", case_id, first, told, now)
    if safety:
        event = await _add(conn, case_id, now, "event", "escalated:safety")
        await _tell(conn, "case_escalated", case_id, event, await active_staff(conn), now)
    elif monitor_id is None:
        await _tell(conn, "case_unassigned", case_id, first, await active_staff(conn), now)
    await audit.record(
        conn, opener.id, "case.open", "case", case_id, booking=booking.id, kind=kind,
        monitor=monitor_id, parties=len(people),
        now=now,
    )  # fmt: skip
    status = "escalated" if safety else "open"
    return Opened(case_id, status, monitor_id, len(people))


async def _add(
    conn: AsyncConnection,
    case_id: int,
    now: datetime,
    kind: str,
    text: str | None,
    photo: str | None = None,
    *,
    sender: Row | None = None,
    role: str | None = None,
    to_user_id: int | None = None,
) -> int:
    """One line of the case's record; returns its id."""
    return await conn.scalar(
        insert(messages)
        .values(
            case_id=case_id,
            at=now,
            sender_id=sender.id if sender is not None else None,
            sender_role=role,
            sender_name=display_name(sender.name) if sender is not None else None,
            kind=kind,
            to_user_id=to_user_id,
            text=text,
            photo=photo,
        )
        .returning(messages.c.id)
    )


async def _assigned_event(conn: AsyncConnection, case_id: int, monitor_id: int, now) -> int:
    """ "Assigned" names the monitor who mediates from now (as its sender)."""
    monitor = (await conn.execute(select(users).where(users.c.id == monitor_id))).one()
    return await _add(conn, case_id, now, "event", "assigned", sender=monitor, role="monitor")


async def _tell(
    conn: AsyncConnection, kind: str, case_id: int, message_id: int, user_ids, now: datetime
) -> None:
    """A notice about one line of the case to each of `user_ids`, due at once."""
    plans = [
        outbox.Planned(kind, user_id, now, f"{kind}:{message_id}:{user_id}")
        for user_id in dict.fromkeys(user_ids)
    ]
    await outbox.write(conn, plans, now, case_id=case_id, detail=str(message_id))


# ----- reading --------------------------------------------------------------------------------


monitor_user = users.alias("monitor_user")
CASE_VIEW = (
    select(
        cases,
        programs.c.title,
        sessions.c.starts_at,
        sites.c.name.label("site_name"),
        sites.c.district,
        monitor_user.c.name.label("monitor_name"),
    )
    .select_from(cases)
    .join(sites, sites.c.id == cases.c.site_id)
    .outerjoin(sessions, sessions.c.id == cases.c.session_id)
    .outerjoin(programs, programs.c.id == sessions.c.program_id)
    .outerjoin(monitor_user, monitor_user.c.id == cases.c.monitor_id)
)


async def get(conn: AsyncConnection, case_id: int) -> Row | None:
    """The case with its programme, session, site and monitor's name (CASE_VIEW)."""
    return (await conn.execute(CASE_VIEW.where(cases.c.id == case_id))).first()


async def _lock(conn: AsyncConnection, case_id: int) -> Row | None:
    """The case row, locked until commit on PostgreSQL (SQLite has one writer anyway)."""
    stmt = select(cases).where(cases.c.id == case_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def party_role(conn: AsyncConnection, case_id: int, user_id: int) -> str | None:
    return await conn.scalar(
        select(parties.c.role).where(parties.c.case_id == case_id, parties.c.user_id == user_id)
    )


async def access(conn: AsyncConnection, case: Row, user: Row | None) -> str | None:
    """How `user` may see `case`: staff | mediator (its monitor) | party | reader (a teacher
    of the student, not a party) | None (not at all: the same as a missing case)."""
    if user is None or user.role is None:
        return None
    if user.role == Role.STAFF:
        return "staff"
    if user.role == Role.MONITOR:
        return "mediator" if case.monitor_id == user.id else None
    if await party_role(conn, case.id, user.id) is not None:
        return "party"
    if (
        user.role == Role.TEACHER
        and case.student_id is not None
        and user.school_id == case.school_id
    ):
        student = (
            await conn.execute(
                select(users.c.grade, users.c.school_id).where(users.c.id == case.student_id)
            )
        ).first()
        if student is not None and student.school_id == user.school_id:
            if _covers(user, student.grade):
                return "reader"
    return None


async def case_for(conn: AsyncConnection, case_id: int, user: Row) -> tuple[Row, str]:
    """(the case, how this user sees it); NotFound for a case they may not read."""
    found = await get(conn, case_id)
    seen = await access(conn, found, user) if found is not None else None
    if seen is None:
        raise NotFound
    return found, seen


async def party_list(conn: AsyncConnection, case_id: int) -> list[Row]:
    """The case's parties with their first names' source (name), role and answer; students
    first, then teachers, then the site."""
    order = case({"student": 0, "teacher": 1, "site": 2}, value=parties.c.role, else_=3)
    found = await conn.execute(
        select(parties.c.user_id, parties.c.role, parties.c.answer, users.c.name)
        .join(users, users.c.id == parties.c.user_id)
        .where(parties.c.case_id == case_id)
        .order_by(order, parties.c.user_id)
    )
    return list(found.all())


def _visible(viewer_id: int, every_private: bool):
    if every_private:
        return messages.c.id.is_not(None)
    return or_(
        messages.c.kind != "private",
        messages.c.sender_id == viewer_id,
        messages.c.to_user_id == viewer_id,
    )


async def thread(
    conn: AsyncConnection, case_id: int, viewer: Row, seen: str, *, skip: int, limit: int
) -> tuple[list[Row], int]:
    """The case's record as `viewer` may see it (private messages only to their sender,
    their recipient, the mediator and staff): the `limit` lines before the last `skip`,
    oldest first, and how many there are in all."""
    visible = _visible(viewer.id, seen in ("mediator", "staff"))
    where = and_(messages.c.case_id == case_id, visible)
    total = await conn.scalar(select(func.count()).select_from(messages).where(where))
    found = await conn.execute(
        select(messages).where(where).order_by(messages.c.id.desc()).offset(skip).limit(limit)
    )
    return list(reversed(found.all())), total


async def message(conn: AsyncConnection, message_id: int) -> Row | None:
    return (await conn.execute(select(messages).where(messages.c.id == message_id))).first()


def _list_where(user: Row):
    """The cases `user`'s /cases lists: not closed; staff all, a monitor their own, parties
    theirs, a teacher also their students'."""
    not_closed = cases.c.status != "closed"
    if user.role == Role.STAFF:
        return not_closed
    if user.role == Role.MONITOR:
        return and_(not_closed, cases.c.monitor_id == user.id)
    mine = cases.c.id.in_(select(parties.c.case_id).where(parties.c.user_id == user.id))
    if user.role == Role.TEACHER and user.school_id is not None:
        students = select(users.c.id).where(
            users.c.role == Role.STUDENT, users.c.school_id == user.school_id
        )
        grades = covered_grades(user)
        if grades:
            students = students.where(users.c.grade.in_(grades))
        theirs = and_(cases.c.school_id == user.school_id, cases.c.student_id.in_(students))
        return and_(not_closed, or_(mine, theirs))
    return and_(not_closed, mine)


async def list_for(
    conn: AsyncConnection, user: Row, *, offset: int, limit: int
) -> tuple[list[Row], int]:
    """The open cases /cases lists for `user`, escalated first, then the newest."""
    where = _list_where(user)
    total = await conn.scalar(select(func.count()).select_from(cases).where(where))
    found = await conn.execute(
        CASE_VIEW.where(where)
        .order_by((cases.c.status == "escalated").desc(), cases.c.opened_at.desc(), cases.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(found.all()), total


# ----- bookings a case can be opened about ----------------------------------------------------


PICK_VIEW = (
    select(
        bookings.c.id,
        bookings.c.session_id,
        bookings.c.student_id,
        bookings.c.booked_by,
        bookings.c.status,
        func.coalesce(users.c.name, bookings.c.student_name).label("name"),
        schools.c.name.label("school"),
        sessions.c.starts_at,
        programs.c.title,
    )
    .join(sessions, sessions.c.id == bookings.c.session_id)
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(schools, schools.c.id == bookings.c.school_id)
    .outerjoin(users, users.c.id == bookings.c.student_id)
)


@dataclass(frozen=True)
class Pick:
    """A booking to open a case about: one of a student's, or a class booking (its seats
    counted, one of them standing for it)."""

    booking_id: int
    title: str
    starts_at: datetime
    name: str | None  # the student's first name; None for a class booking
    school: str
    seats: int


async def pickable(
    conn: AsyncConnection, user: Row, *, now: datetime, session_id: int | None = None
) -> list[Pick]:
    """The bookings `user` may open a case about, of sessions from PICK_WINDOW ago on:
    upcoming soonest first, then the most recent. A class booking is one entry."""
    where = [bookings.c.status.in_(PICK_STATUSES), sessions.c.starts_at >= now - PICK_WINDOW]
    if session_id is not None:
        where.append(bookings.c.session_id == session_id)
    if user.role == Role.STUDENT:
        where.append(bookings.c.student_id == user.id)
    elif user.role == Role.TEACHER:
        grades = covered_grades(user)
        own = and_(
            bookings.c.booked_by == bookings.c.student_id,
            users.c.school_id == user.school_id,
            users.c.grade.in_(grades) if grades else users.c.id.is_not(None),
        )
        where.append(bookings.c.school_id == user.school_id)
        where.append(or_(own, bookings.c.booked_by == user.id))
    elif user.role == Role.SITE and user.site_id is not None:
        where.append(programs.c.site_id == user.site_id)
    else:
        return []
    found = (await conn.execute(PICK_VIEW.where(*where).order_by(bookings.c.id))).all()
    picks: list[Pick] = []
    classes: dict[tuple[int, int], list[Row]] = {}
    for row in found:
        if _class_seat(row) and user.role != Role.STUDENT:
            classes.setdefault((row.session_id, row.booked_by), []).append(row)
        else:
            name = display_name(row.name) if row.name else None
            picks.append(Pick(row.id, row.title, row.starts_at, name, row.school, 1))
    for seats in classes.values():
        # The seat standing for the class: an unnamed one if any, so no student joins in.
        stand = next((s for s in seats if s.student_id is None), seats[0])
        picks.append(Pick(stand.id, stand.title, stand.starts_at, None, stand.school, len(seats)))
    return sorted(
        picks,
        key=lambda p: (p.starts_at < now, abs((p.starts_at - now).total_seconds()), p.booking_id),
    )


# ----- posting --------------------------------------------------------------------------------


async def _involved_staff(conn: AsyncConnection, case_id: int) -> list[int]:
    """Staff who have written in the case: they hear its news from then on."""
    found = await conn.execute(
        select(messages.c.sender_id)
        .where(
            messages.c.case_id == case_id,
            messages.c.sender_role == "staff",
            messages.c.kind.in_(POSTS),
            messages.c.sender_id.is_not(None),
        )
        .distinct()
    )
    return list(found.scalars())


async def post(
    conn: AsyncConnection,
    case_id: int,
    sender: Row,
    text: str | None,
    photo: str | None = None,
    *,
    now: datetime,
    kind: str = "message",
    to_user_id: int | None = None,
    answer_wait: timedelta = ANSWER_WAIT,
) -> int:
    """Write a message in the case and relay it; returns its id. Parties post to everyone;
    the mediator (the case's monitor, or staff) also privately to one party (`to_user_id`)
    or a proposal the parties accept or reject. Access is checked here, every time."""
    text = _clean(text)
    _check_text(text, photo)
    if kind not in POSTS:
        raise NotFound
    found = await _lock(conn, case_id)
    seen = await access(conn, found, sender) if found is not None else None
    if seen is None:
        raise NotFound
    if seen == "reader":
        raise Refused("read_only")
    if found.status == "closed":
        raise Refused("closed")
    mediating = seen in ("mediator", "staff")
    if kind != "message" and not mediating:
        raise NotFound
    if kind == "proposal" and photo is not None:
        raise Refused("empty")
    people = await party_list(conn, case_id)
    party_ids = [p.user_id for p in people]
    if kind == "private" and to_user_id not in party_ids:
        raise Refused("not_party")
    if seen == "party":
        role = await party_role(conn, case_id, sender.id)
    else:
        role = "monitor" if seen == "mediator" else "staff"
    message_id = await _add(
        conn, case_id, now, kind, text, photo, sender=sender, role=role,
        to_user_id=to_user_id if kind == "private" else None,
    )  # fmt: skip
    values: dict = {}
    if mediating:
        if found.mediator_at is None:
            values["mediator_at"] = now
        if found.status == "open":
            values.update(due_at=now + answer_wait, due_what="answer", due_step=0)
        if kind == "proposal":
            values["proposal_id"] = message_id
            await conn.execute(
                update(parties)
                .where(parties.c.case_id == case_id)
                .values(answer=None, answered_at=None)
            )
    else:
        values["last_party_at"] = now
        if found.due_what == "answer":
            values.update(due_at=None, due_what=None, due_step=0)
    await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
    others = [u for u in party_ids if u != sender.id]
    watchers = [u for u in [found.monitor_id, *await _involved_staff(conn, case_id)] if u]
    watchers = [u for u in watchers if u != sender.id]
    if kind == "private":
        await _tell(conn, "case_message", case_id, message_id, [to_user_id], now)
    elif kind == "proposal":
        await _tell(conn, "case_proposal", case_id, message_id, others, now)
        await _tell(conn, "case_message", case_id, message_id, watchers, now)
    else:
        await _tell(conn, "case_message", case_id, message_id, others + watchers, now)
    await audit.record(
        conn, sender.id, f"case.{kind}", "case", case_id, message=message_id,
        photo=photo is not None,
        now=now,
    )  # fmt: skip
    return message_id


async def answer(
    conn: AsyncConnection, case_id: int, proposal_id: int, user: Row, accept: bool, *, now
) -> Answered:
    """A party accepts or rejects the current proposal, once: a compare-and-swap on their
    answer. An answer to a proposal since replaced is Refused("replaced"); a second answer
    AlreadyHandled. The proposer (and the monitor) are told, with the tally."""
    found = await _lock(conn, case_id)
    role = await party_role(conn, case_id, user.id) if found is not None else None
    if role is None:
        raise NotFound
    if found.status == "closed":
        raise Refused("closed")
    if found.proposal_id != proposal_id:
        raise Refused("replaced")
    said = "accepted" if accept else "rejected"
    swapped = await conn.execute(
        update(parties)
        .where(
            parties.c.case_id == case_id,
            parties.c.user_id == user.id,
            parties.c.answer.is_(None),
        )
        .values(answer=said, answered_at=now)
    )
    if swapped.rowcount != 1:
        raise AlreadyHandled
    event = await _add(conn, case_id, now, "event", said, sender=user, role=role)
    values: dict = {"last_party_at": now}
    if found.due_what == "answer":
        values.update(due_at=None, due_what=None, due_step=0)
    await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
    tally = await _tally(conn, case_id)
    proposer = await conn.scalar(select(messages.c.sender_id).where(messages.c.id == proposal_id))
    await _tell(
        conn, "case_answer", case_id, event, [u for u in (proposer, found.monitor_id) if u], now
    )
    await audit.record(
        conn, user.id, f"case.{said}", "case", case_id, proposal=proposal_id, now=now
    )
    return tally


async def _tally(conn: AsyncConnection, case_id: int) -> Answered:
    found = await conn.execute(select(parties.c.answer).where(parties.c.case_id == case_id))
    said = list(found.scalars())
    return Answered(said.count("accepted"), len(said), said.count("rejected"))


async def tally(conn: AsyncConnection, case_id: int) -> Answered:
    return await _tally(conn, case_id)


# ----- the mediator's and staff's steps ------------------------------------------------------


async def _mediating(conn: AsyncConnection, case_id: int, user: Row) -> tuple[Row, str]:
    """The locked case if `user` mediates it (its monitor, or staff); else NotFound."""
    found = await _lock(conn, case_id)
    seen = await access(conn, found, user) if found is not None else None
    if seen not in ("mediator", "staff"):
        raise NotFound
    return found, seen


async def escalate(conn: AsyncConnection, case_id: int, user: Row, *, now: datetime) -> None:
    """The mediator hands the case to staff (escalation "mediator")."""
    found, seen = await _mediating(conn, case_id, user)
    if seen != "mediator":
        raise NotFound
    if found.status == "closed":
        raise Refused("closed")
    if not await _escalate(conn, found, "mediator", now, actor=user):
        raise AlreadyHandled


async def _escalate(conn, found: Row, why: str, now: datetime, *, actor: Row | None = None) -> bool:
    """open → escalated (a compare-and-swap on the status, and on the due step seen when the
    clock does it); staff are told. False when it was no longer open as seen."""
    where = [cases.c.id == found.id, cases.c.status == "open"]
    if actor is None:  # the clock: only the step it saw
        where += [cases.c.due_at == found.due_at, cases.c.due_step == found.due_step]
    swapped = await conn.execute(
        update(cases)
        .where(*where)
        .values(
            status="escalated",
            escalation=why,
            escalated_at=now,
            due_at=None,
            due_what=None,
            due_step=0,
        )
    )
    if swapped.rowcount != 1:
        return False
    role = "monitor" if actor is not None else None
    event = await _add(conn, found.id, now, "event", f"escalated:{why}", sender=actor, role=role)
    await _tell(conn, "case_escalated", found.id, event, await active_staff(conn), now)
    await audit.record(
        conn,
        actor.id if actor is not None else None,
        "case.escalate",
        "case",
        found.id,
        why=why,
        now=now,
    )
    return True


async def close(
    conn: AsyncConnection,
    case_id: int,
    user: Row,
    outcome: str,
    note: str | None = None,
    *,
    now: datetime,
) -> None:
    """The mediator (or staff) closes the case with an outcome and an optional note;
    everyone in it is told."""
    if outcome not in OUTCOMES:
        raise NotFound
    note = _clean(note)
    if note is not None and len(note) > NOTE_MAX:
        raise Refused("too_long")
    found, seen = await _mediating(conn, case_id, user)
    swapped = await conn.execute(
        update(cases)
        .where(cases.c.id == case_id, cases.c.status != "closed")
        .values(
            status="closed",
            outcome=outcome,
            closed_at=now,
            closed_by=user.id,
            due_at=None,
            due_what=None,
            due_step=0,
        )
    )
    if swapped.rowcount != 1:
        raise Refused("closed")
    role = "monitor" if seen == "mediator" else "staff"
    code = f"closed:{outcome}" + (f"\n{note}" if note else "")
    event = await _add(conn, case_id, now, "event", code, sender=user, role=role)
    people = [p.user_id for p in await party_list(conn, case_id)]
    watchers = [found.monitor_id, *await _involved_staff(conn, case_id)]
    told = [u for u in [*people, *watchers] if u and u != user.id]
    await _tell(conn, "case_closed", case_id, event, told, now)
    await audit.record(conn, user.id, "case.close", "case", case_id, outcome=outcome, now=now)


async def assign(
    conn: AsyncConnection,
    case_id: int,
    staff: Row,
    monitor_id: int,
    *,
    now: datetime,
    mediator_wait: timedelta = MEDIATOR_WAIT,
) -> None:
    """Staff give the case to a monitor (any district); the monitor is told. A case still
    waiting for its first mediator's word waits again from now."""
    if staff.role != Role.STAFF:
        raise NotFound
    found = await _lock(conn, case_id)
    if found is None:
        raise NotFound
    if found.status == "closed":
        raise Refused("closed")
    monitor = await _monitor(conn, monitor_id)
    if monitor is None:
        raise NotFound
    if found.monitor_id == monitor_id:
        raise AlreadyHandled
    await _give(conn, found, monitor_id, now, mediator_wait)
    await audit.record(conn, staff.id, "case.assign", "case", case_id, monitor=monitor_id, now=now)


async def take(
    conn: AsyncConnection,
    case_id: int,
    monitor_user: Row,
    *,
    now: datetime,
    mediator_wait: timedelta = MEDIATOR_WAIT,
) -> None:
    """A monitor of the site's district takes a case nobody mediates yet (from the reminder
    that it waits); the first to press gets it (a compare-and-swap on monitor_id)."""
    found = await _lock(conn, case_id)
    monitor = await _monitor(conn, monitor_user.id) if found is not None else None
    if monitor is None:
        raise NotFound
    district = await conn.scalar(select(sites.c.district).where(sites.c.id == found.site_id))
    if monitor.district != district:
        raise NotFound
    if found.status == "closed":
        raise Refused("closed")
    if found.monitor_id is not None:
        raise AlreadyHandled
    if not await _give(conn, found, monitor_user.id, now, mediator_wait, only_if_free=True):
        raise AlreadyHandled
    await audit.record(conn, monitor_user.id, "case.take", "case", case_id, now=now)


async def _monitor(conn: AsyncConnection, user_id: int) -> Row | None:
    """An active monitor with a district (their profile), or None."""
    return (
        await conn.execute(
            select(monitor_rows, users.c.name)
            .join(users, users.c.id == monitor_rows.c.user_id)
            .where(
                monitor_rows.c.user_id == user_id,
                users.c.role == Role.MONITOR,
                users.c.active.is_(True),
            )
        )
    ).first()


async def _give(conn, found: Row, monitor_id: int, now, wait, *, only_if_free=False) -> bool:
    values: dict = {"monitor_id": monitor_id, "assigned_at": now}
    if found.status == "open" and found.mediator_at is None:
        values.update(due_at=now + wait, due_what="mediator", due_step=0)
    where = [cases.c.id == found.id]
    if only_if_free:
        where.append(cases.c.monitor_id.is_(None))
    swapped = await conn.execute(update(cases).where(*where).values(**values))
    if swapped.rowcount != 1:
        return False
    await conn.execute(
        update(monitor_rows).where(monitor_rows.c.user_id == monitor_id).values(last_case_at=now)
    )
    event = await _assigned_event(conn, found.id, monitor_id, now)
    await _tell(conn, "case_assigned", found.id, event, [monitor_id], now)
    people = [p.user_id for p in await party_list(conn, found.id)]
    await _tell(conn, "case_mediator", found.id, event, people, now)
    return True


async def monitor_choices(conn: AsyncConnection, district: str | None) -> list[Row]:
    """Monitors staff may assign: the district's available ones, or (None) every active
    monitor with a district, paused ones too (marked), by district and name."""
    if district is not None:
        return await monitors.in_district(conn, district)
    found = await conn.execute(
        select(users.c.id, users.c.name, monitor_rows.c.district, monitor_rows.c.paused)
        .join(monitor_rows, monitor_rows.c.user_id == users.c.id)
        .where(users.c.role == Role.MONITOR, users.c.active.is_(True))
        .order_by(monitor_rows.c.district, users.c.name, users.c.id)
    )
    return list(found.all())


# ----- service levels (the clock) --------------------------------------------------------------


def second_wait(span: timedelta) -> timedelta:
    """From a service level's reminder to the escalation: the same wait again, at most a day
    (4 hours for a mediator, 24 for an answer with the defaults)."""
    return min(span, SECOND_WAIT_MAX)


async def check_service_levels(
    conn: AsyncConnection,
    *,
    now: datetime,
    mediator_wait: timedelta = MEDIATOR_WAIT,
    answer_wait: timedelta = ANSWER_WAIT,
    limit: int = 50,
) -> list[int]:
    """Open cases whose service level fell due: at step 0 the people it waits for are
    reminded and the escalation is set for later (step 1); at step 1 it goes to staff.
    Returns the cases acted on."""
    pick = (
        select(cases)
        .where(cases.c.status == "open", cases.c.due_at <= now)
        .order_by(cases.c.due_at, cases.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    acted = []
    for found in (await conn.execute(pick)).all():
        why = "no_mediator" if found.due_what == "mediator" else "no_answer"
        if found.due_step >= 1:
            done = await _escalate(conn, found, why, now)
        else:
            span = mediator_wait if found.due_what == "mediator" else answer_wait
            done = await _remind(conn, found, now, second_wait(span))
            if done is None:  # nobody to remind: straight to staff
                done = await _escalate(conn, found, why, now)
        if done:
            acted.append(found.id)
    return acted


async def _remind(conn, found: Row, now: datetime, then: timedelta) -> bool | None:
    """Step 0: remind and move to step 1. None when there is nobody to remind."""
    if found.due_what == "mediator":
        if found.monitor_id is not None:
            told = [found.monitor_id]
        else:
            district = await conn.scalar(
                select(sites.c.district).where(sites.c.id == found.site_id)
            )
            told = [m.id for m in await monitors.in_district(conn, district)]
        kind = "case_sla_mediator"
    else:
        told = await _awaited(conn, found)
        kind = "case_sla_answer"
    if not told:
        return None
    swapped = await conn.execute(
        update(cases)
        .where(
            cases.c.id == found.id,
            cases.c.status == "open",
            cases.c.due_at == found.due_at,
            cases.c.due_step == 0,
        )
        .values(due_at=now + then, due_step=1)
    )
    if swapped.rowcount != 1:
        return False
    event = await _add(conn, found.id, now, "event", f"reminded:{found.due_what}")
    await _tell(conn, kind, found.id, event, told, now)
    await audit.record(conn, None, "case.remind", "case", found.id, what=found.due_what, now=now)
    return True


async def _awaited(conn: AsyncConnection, found: Row) -> list[int]:
    """Whom an unanswered mediator's message waits for: the parties it asked (a private
    message's one, a proposal's who have not answered, else all) who have not written
    since; and the mediator, to follow it up."""
    last = (
        await conn.execute(
            select(messages)
            .where(
                messages.c.case_id == found.id,
                messages.c.sender_role.in_(("monitor", "staff")),
                messages.c.kind.in_(POSTS),
            )
            .order_by(messages.c.id.desc())
            .limit(1)
        )
    ).first()
    if last is None:
        return [found.monitor_id] if found.monitor_id else []
    people = await party_list(conn, found.id)
    if last.kind == "private":
        asked = [last.to_user_id]
    elif last.kind == "proposal":
        asked = [p.user_id for p in people if p.answer is None]
    else:
        asked = [p.user_id for p in people]
    spoke = set(
        (
            await conn.execute(
                select(messages.c.sender_id).where(
                    messages.c.case_id == found.id,
                    messages.c.id > last.id,
                    messages.c.sender_role.in_(PARTY_ROLES),
                )
            )
        ).scalars()
    )
    mediator = found.monitor_id or last.sender_id
    return [u for u in asked if u and u not in spoke] + ([mediator] if mediator else [])


# ----- erasing a person (/deleteme) -----------------------------------------------------------


async def erase_person(conn: AsyncConnection, user_id: int, *, now: datetime) -> int:
    """A person who erases their data: what they wrote in cases loses its words, photo and
    name (shown as "(삭제된 메시지)" with their role only), so the threads stay readable for
    the others; their answers' and events' names go too. Returns the lines changed. Call
    before the user row is deleted (the foreign keys then clear the rest)."""
    wrote = await conn.execute(
        update(messages)
        .where(messages.c.sender_id == user_id, messages.c.kind.in_(POSTS))
        .values(text=None, photo=None, sender_name=None)
    )
    named = await conn.execute(
        update(messages)
        .where(messages.c.sender_id == user_id, messages.c.kind == "event")
        .values(sender_name=None)
    )
    await conn.execute(delete(parties).where(parties.c.user_id == user_id))
    await audit.record(conn, None, "case.erase", "user", user_id, now=now, lines=wrote.rowcount)
    return wrote.rowcount + named.rowcount
