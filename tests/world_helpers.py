"""The rows the tests' small worlds are built of: a site, its programme, a session, a booking,
people. Each helper writes one row as the app's own flows would leave it and returns its id,
so that a world says what is in it (names, capacities, moments) rather than how a row is
written; the columns a world does not name take the values most worlds share."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from storage.models import SEAT_STATUSES, Booking, Program, School, Session, Site, User

TWO_HOURS = timedelta(hours=2)
PROGRAM_DEFAULTS = dict(type="field_trip", field="환경", district="덕양구", capacity=20)


async def add_school(conn, name: str, *, district: str = "덕양구") -> int:
    """A school; its id."""
    return await conn.scalar(
        insert(School).values(name=name, district=district).returning(School.id)
    )


async def add_site(conn, name: str, *, kind: str = "public", district: str = "덕양구", **values):
    """A site that passed its safety check (unless `values` say otherwise); its id."""
    values = {"safety_status": "passed", **values}
    return await conn.scalar(
        insert(Site).values(name=name, kind=kind, district=district, **values).returning(Site.id)
    )


async def add_program(conn, site_id: int, title: str, *, external_key: str, **values) -> int:
    """A programme of `site_id`: a field trip in 환경, in 덕양구, for 20, unless `values` say
    otherwise; its id."""
    values = {**PROGRAM_DEFAULTS, **values}
    return await conn.scalar(
        insert(Program)
        .values(external_key=external_key, site_id=site_id, title=title, **values)
        .returning(Program.id)
    )


async def add_session(conn, program_id: int, starts_at: datetime, *, capacity: int, **values):
    """A session of `program_id`, two hours long unless `ends_at` is given; its id."""
    values = {"ends_at": starts_at + TWO_HOURS, **values}
    return await conn.scalar(
        insert(Session)
        .values(program_id=program_id, starts_at=starts_at, capacity=capacity, **values)
        .returning(Session.id)
    )


async def add_booking(conn, session_id: int, student_id, status: str = "confirmed", **values):
    """A booking, by default the student's own (booked by the student, for the student's
    school); its id. The session's `booked` count is left as it is (see `book_seat`)."""
    if "school_id" not in values:
        values["school_id"] = await conn.scalar(select(User.school_id).where(User.id == student_id))
    values = {"booked_by": student_id, **values}
    return await conn.scalar(
        insert(Booking)
        .values(session_id=session_id, student_id=student_id, status=status, **values)
        .returning(Booking.id)
    )


async def book_seat(conn, session_id: int, student_id, status: str = "confirmed", **values):
    """A booking as the booking flows leave it: `add_booking`, and the seat counted in the
    session's `booked` when the status holds one; its id."""
    booking_id = await add_booking(conn, session_id, student_id, status, **values)
    if status in SEAT_STATUSES:
        await conn.execute(
            update(Session).where(Session.id == session_id).values(booked=Session.booked + 1)
        )
    return booking_id


async def school_named(conn, name: str = "정발중학교") -> int:
    """A demo school's id, by its full name."""
    return await conn.scalar(select(School.id).where(School.name == name))


def student_row(user_id: int, name: str, school_id: int, grade: int = 2) -> dict:
    """A student's `users` row (over 14), for a bulk insert."""
    return dict(
        id=user_id, role="student", name=name, school_id=school_id, grade=grade, under14=False
    )


def teacher_row(user_id: int, name: str, school_id: int, grades: str = "") -> dict:
    """A teacher's `users` row (`grades` "" for every grade), for a bulk insert."""
    return dict(id=user_id, role="teacher", name=name, school_id=school_id, grades=grades)


async def add_teacher(
    db, sandbox, user_id: int, name: str = "박선영", *, school: str = "정발중학교", grades=""
):
    """A teacher of `school` (of every grade unless `grades`) as an invite would leave them,
    and their chat opened with /help, so that notices reach them."""
    async with db.write() as conn:
        school_id = await school_named(conn, school)
        await conn.execute(insert(User).values(**teacher_row(user_id, name, school_id, grades)))
    teacher = sandbox.user(user_id, name[1:])
    await teacher.send("/help")
    return teacher


async def session_bookings(db, session_id: int) -> list:
    """A session's bookings (whole rows), in the order they were made."""
    async with db.read() as conn:
        stmt = select(Booking.__table__).where(Booking.session_id == session_id)
        return list((await conn.execute(stmt.order_by(Booking.id))).all())
