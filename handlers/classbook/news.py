"""What the outbox tells of a class booking changed (storage/bookings/class_changes.py):
the site hears of seats given back, of seats booked and names changed late, and a student
on Telegram hears they were taken off. Each is composed when sent, from the class as it is then."""

from __future__ import annotations

from handlers.outbox import Kind, booking_of, session_ahead
from storage import pending as pending_store
from storage import users as users_store


async def _site_class_change(conn, context, row, user):
    session = await session_ahead(conn, row)
    # teacher:given_back[:booked] (rows written before seats booked late were told have two)
    parts = (row.detail or "").split(":")
    teacher_id, given_back, booked = (parts + ["0"])[:3]
    if session is None or not all(p.isdigit() for p in (teacher_id, given_back, booked)):
        return None
    teacher = await users_store.get(conn, int(teacher_id))
    school = await users_store.school(conn, teacher.school_id) if teacher else None
    seats = await pending_store.class_seats(conn, int(teacher_id), session.id)
    return "classbook/site_class_change", {
        "session": session,
        "school": school.name if school else "",
        "given_back": int(given_back),
        "booked": int(booked),
        "seats": seats,
    }


async def _student_unbooked(conn, context, row, user):
    session = await session_ahead(conn, row)
    booking = await booking_of(conn, row.booking_id) if row.booking_id else None
    if session is None or booking is None:
        return None
    if booking.student_id == user.id and booking.status == "confirmed":
        return None  # put back on the seat since: nothing to tell
    teacher = await users_store.get(conn, booking.booked_by)
    return "classbook/student_unbooked", {
        "session": session,
        "teacher": teacher.name if teacher else "",
    }


OUTGOING = [
    Kind("site_class_change", _site_class_change),
    Kind("student_unbooked", _student_unbooked),
]
