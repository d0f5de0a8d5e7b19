"""What a teacher sees of their school's bookings over time (/calendar and its file): who goes
where, students' own bookings (of the grades the teacher covers, like every teacher's list)
and the school's class bookings (every teacher's: a school goes out together).

Only bookings that are or were going ahead: asked for or confirmed (a confirmed one with the
site's attendance once the session has begun); a cancelled session's are over and gone from
the list.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import bookings, programs, sessions, sites, users
from storage.users import covered_grades

SHOWN = ("requested", "confirmed")

_student = users.alias("student")
_teacher = users.alias("booker")

SCHOOL_VIEW = (
    select(
        bookings.c.id,
        bookings.c.status,
        bookings.c.attendance,
        bookings.c.student_id,
        bookings.c.student_name,
        bookings.c.booked_by,
        bookings.c.session_id,
        _student.c.name.label("registered_name"),
        _student.c.grade,
        _teacher.c.name.label("booked_by_name"),
        _teacher.c.role.label("booked_by_role"),
        sessions.c.starts_at,
        sessions.c.ends_at,
        programs.c.title,
        sites.c.name.label("site_name"),
    )
    .select_from(bookings)
    .join(sessions, sessions.c.id == bookings.c.session_id)
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(sites, sites.c.id == programs.c.site_id)
    .outerjoin(_student, _student.c.id == bookings.c.student_id)
    .outerjoin(_teacher, _teacher.c.id == bookings.c.booked_by)
)


def class_seat(row: Row) -> bool:
    """A seat a teacher booked for a class (named or not), not a student's own booking."""
    return row.student_id is None or row.booked_by != row.student_id


async def school_bookings(
    conn: AsyncConnection, teacher: Row, *, start: datetime, end: datetime | None = None
) -> list[Row]:
    """The school's bookings on sessions starting in [start, end), by start, then session;
    in each session the class seats in booking order, then students' own by name."""
    where = [
        bookings.c.school_id == teacher.school_id,
        bookings.c.status.in_(SHOWN),
        sessions.c.status != "cancelled",
        sessions.c.starts_at >= start,
    ]
    if end is not None:
        where.append(sessions.c.starts_at < end)
    grades = covered_grades(teacher)
    if grades:  # a class seat is the school's; a student's own booking, their grade's
        where.append(
            or_(
                bookings.c.student_id.is_(None),
                bookings.c.booked_by != bookings.c.student_id,
                _student.c.grade.in_(grades),
            )
        )
    rows = await conn.execute(
        SCHOOL_VIEW.where(*where).order_by(
            sessions.c.starts_at, sessions.c.id, bookings.c.booked_by, bookings.c.id
        )
    )
    return list(rows.all())
