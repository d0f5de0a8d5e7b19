"""The mediator brings people into a case as parties: the student's teachers (and the
teacher who booked a class seat) and the site's people, when they were not parties when it
was opened (a teacher who joined since, a site's second account). Once in, they read and
write in it like any party, and are told they were brought in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.bookings import teachers_of
from storage.cases.common import _add, _tell
from storage.cases.mediating import _mediating
from storage.cases.reading import party_list
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.models import Role
from storage.tables import bookings, users
from storage.tables import case_parties as parties
from storage.users import site_people


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str | None
    role: str  # teacher | site


async def _candidates(conn: AsyncConnection, case: Row) -> list[tuple[Row, str]]:
    """(person, role) who may be brought into `case`: the student's teachers (their school,
    covering their grade), the teacher who booked a class seat, the site's active people;
    teachers first, each list by name."""
    teachers: dict[int, Row] = {}
    booking = None
    if case.booking_id is not None:
        booking = (
            await conn.execute(
                select(bookings.c.student_id, bookings.c.booked_by).where(
                    bookings.c.id == case.booking_id
                )
            )
        ).first()
    if booking is not None and booking.booked_by != booking.student_id:
        booker = (
            await conn.execute(
                select(users).where(
                    users.c.id == booking.booked_by,
                    users.c.role == Role.TEACHER,
                    users.c.school_id == case.school_id,
                    users.c.active.is_(True),
                )
            )
        ).first()
        if booker is not None:
            teachers[booker.id] = booker
    if case.student_id is not None:
        grade = await conn.scalar(select(users.c.grade).where(users.c.id == case.student_id))
        for teacher in (await conn.execute(teachers_of(case.school_id, grade))).all():
            teachers[teacher.id] = teacher
    site = await site_people(conn, case.site_id)
    by_name = lambda person: (person.name or "", person.id)  # noqa: E731
    return [(t, "teacher") for t in sorted(teachers.values(), key=by_name)] + [
        (s, "site") for s in sorted(site, key=by_name)
    ]


async def joinable(conn: AsyncConnection, case: Row) -> list[Candidate]:
    """The people the mediator may bring into `case` now (not parties yet)."""
    inside = {p.user_id for p in await party_list(conn, case.id)}
    return [
        Candidate(person.id, person.name, role)
        for person, role in await _candidates(conn, case)
        if person.id not in inside
    ]


async def bring_in(
    conn: AsyncConnection, case_id: int, mediator: Row, person_id: int, *, now: datetime
) -> str:
    """The case's mediator (its monitor, or staff) makes `person_id` a party; they are told.
    Returns their role in the case. NotFound when the mediator may not, or the person may
    not be brought in (not the student's teacher, not the site's); AlreadyHandled when they
    are a party already; Refused("closed") for a closed case."""
    found, seen = await _mediating(conn, case_id, mediator)
    if found.status == "closed":
        raise Refused("closed")
    inside = {p.user_id for p in await party_list(conn, case_id)}
    if person_id in inside:
        raise AlreadyHandled
    role = next((r for p, r in await _candidates(conn, found) if p.id == person_id), None)
    if role is None:
        raise NotFound
    person = (await conn.execute(select(users).where(users.c.id == person_id))).one()
    await conn.execute(insert(parties).values(case_id=case_id, user_id=person_id, role=role))
    # The event names who joined (as its sender), so the record shows it to everyone.
    event = await _add(conn, case_id, now, "event", "joined", sender=person, role=role)
    await _tell(conn, "case_joined", case_id, event, [person_id], now)
    await audit.record(
        conn, mediator.id, "case.bring_in", "case", case_id, person=person_id, role=role,
        seen=seen, now=now,
    )  # fmt: skip
    return role
