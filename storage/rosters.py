"""A session's roster as a site prints it: who comes (students who applied themselves and the
seats of class bookings), and for each class booking its teacher's name and school.

A class seat is a booking made by someone else than its student: the teacher of a class
booking (storage/bookings/classes.py), whose seat may hold a student on Telegram, a typed name
or no name yet. Only what the site already sees in the chat is here; nothing new is kept.
The caller checks that the session is the site's own (storage.sessions.site_session).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import bookings, schools, users

COMING = ("requested", "confirmed")  # who is expected on the day

_students = users.alias("student")
_teachers = users.alias("teacher")
_CLASS_SEAT = or_(bookings.c.student_id.is_(None), bookings.c.booked_by != bookings.c.student_id)

PEOPLE = (
    select(
        bookings.c.id,
        bookings.c.status,
        bookings.c.attendance,
        bookings.c.booked_by,
        func.coalesce(_students.c.name, bookings.c.student_name).label("name"),
        _students.c.grade,
        schools.c.name.label("school"),
        _CLASS_SEAT.label("class_seat"),
        _teachers.c.name.label("teacher"),
    )
    .select_from(
        bookings.outerjoin(_students, _students.c.id == bookings.c.student_id)
        .join(schools, schools.c.id == bookings.c.school_id)
        .outerjoin(_teachers, and_(_CLASS_SEAT, _teachers.c.id == bookings.c.booked_by))
    )
    # A class's seats together (its teacher's), then the students who applied themselves.
    .order_by(schools.c.name, _CLASS_SEAT.desc(), bookings.c.booked_by, _students.c.grade, "name")
    .order_by(bookings.c.id)
)


@dataclass(frozen=True)
class ClassBooking:
    """One teacher's seats on the session: `key` is its first booking's id (what a button
    carries); `teacher_id` only to mention the teacher in the chat, never in a file."""

    key: int
    teacher_id: int
    teacher: str | None
    school: str
    seats: int
    unnamed: int


@dataclass(frozen=True)
class Roster:
    people: list[Row]
    classes: list[ClassBooking]

    def of_class(self, key: int) -> tuple[ClassBooking, list[Row]] | None:
        """The class booking known by `key` and its seats; None when there is none (gone)."""
        for found in self.classes:
            if found.key == key:
                seats = [p for p in self.people if p.class_seat and p.booked_by == found.teacher_id]
                return found, [p for p in seats if p.school == found.school]
        return None


async def roster(conn: AsyncConnection, session_id: int) -> Roster:
    """Who comes to the session, with its class bookings."""
    rows = await conn.execute(
        PEOPLE.where(bookings.c.session_id == session_id, bookings.c.status.in_(COMING))
    )
    people = list(rows.all())
    return Roster(people, _classes(people))


def _classes(people: list[Row]) -> list[ClassBooking]:
    grouped: dict[tuple[int, str], list[Row]] = {}
    for person in people:
        if person.class_seat:
            grouped.setdefault((person.booked_by, person.school), []).append(person)
    return [
        ClassBooking(
            key=min(seat.id for seat in seats),
            teacher_id=teacher_id,
            teacher=seats[0].teacher,
            school=school,
            seats=len(seats),
            unnamed=sum(1 for seat in seats if not seat.name),
        )
        for (teacher_id, school), seats in grouped.items()
    ]
