"""What the outbox tells a student about their bookings: the day before and an online
session's link, the survey, a seat offered from the line, the teacher's decision, an expired
request, the lottery, a seat a teacher booked for them, a cancelled session."""

from __future__ import annotations

from handlers.bookings.buttons import CALENDAR, MY, OPEN, PASS_OFFER, SURVEY, TAKE_OFFER
from handlers.common import keyboard
from handlers.outbox import Kind, booking_of, session_ahead
from messages import label
from storage import bookings as bookings_store
from storage import pending as pending_store
from storage import users as users_store
from storage.models import utcnow


async def _student(conn, context, row, user):
    session = await session_ahead(conn, row)
    booking = await booking_of(conn, row.booking_id) if row.booking_id else None
    if session is None or booking is None or booking.status != "confirmed":
        return None
    return "reminders/student", {"session": session}


async def _survey(conn, context, row, user):
    """Once, after the session, to a student marked attended who has not answered yet."""
    booking = await bookings_store.my_booking(conn, row.booking_id, user.id)
    if booking is None or booking.status != "confirmed" or booking.attendance != "attended":
        return None
    if await bookings_store.survey_answered(conn, booking.id):
        return None
    return "bookings/survey", {"booking": booking}


async def _student_booking(conn, row, user, *statuses):
    """The notice's booking if it is still the student's and in one of `statuses`."""
    booking = await bookings_store.my_booking(conn, row.booking_id, user.id)
    if booking is None or booking.status not in statuses:
        return None
    return booking


async def _offer(conn, context, row, user):
    booking = await _student_booking(conn, row, user, "offered")
    if booking is None or booking.expires_at <= utcnow():
        return None  # taken, passed or run out meanwhile
    session = await bookings_store.session_view(conn, booking.session_id)
    # Taken after its session's cancellation deadline, the seat could not be given back.
    closed = bookings_store.cancel_closed(session, context.now)
    cutoff = bookings_store.cancel_deadline(session) if closed else None
    clashes = await bookings_store.clashes(conn, user.id, session)
    return "bookings/offer", {
        "booking": booking,
        "session": session,
        "cutoff": cutoff,
        "clashes": clashes,
    }


async def _decision(conn, context, row, user):
    booking = await _student_booking(conn, row, user, row.detail)
    if booking is None:
        return None  # changed since (a confirmed seat cancelled): nothing to tell
    request = await pending_store.request_view(conn, booking.id)
    return "pending/student_told", {
        "request": request,
        "decision": booking.status,
        "reason": booking.reason or "",
    }


async def _expired(conn, context, row, user):
    booking = await _student_booking(conn, row, user, "expired")
    if booking is None:
        return None
    session = await bookings_store.session_view(conn, booking.session_id)
    return "bookings/expired", {"session": session, "was": row.detail}


async def _drawn(conn, context, row, user):
    """Drawn or not; a student offered a seat meanwhile hears of the offer instead."""
    booking = await _student_booking(conn, row, user, "requested", "confirmed", "waitlisted")
    if booking is None:
        return None
    session = await bookings_store.session_view(conn, booking.session_id)
    place = await bookings_store.place_in_line(conn, booking.id)
    # A seat won: the student's other commitments at that time (a place in line holds none).
    clashes = await bookings_store.clashes(conn, user.id, session) if place is None else []
    return "bookings/drawn", {
        "session": session,
        "won": place is None,
        "place": place,
        "clashes": clashes,
    }


async def _booked_by_teacher(conn, context, row, user):
    booking = await _student_booking(conn, row, user, "confirmed")
    if booking is None:
        return None
    session = await bookings_store.session_view(conn, booking.session_id)
    teacher = await users_store.get(conn, booking.booked_by)
    return "classbook/student_booked", {
        "session": session,
        "teacher": teacher.name if teacher else "",
        "clashes": await bookings_store.clashes(conn, user.id, session),
    }


async def _session_cancelled(conn, context, row, user):
    session = await bookings_store.session_view(conn, row.session_id)
    if session is None or session.status != "cancelled":
        return None
    return "sessions/cancelled_student", {"session": session, "status": row.detail}


def _my_bookings(row, lang: str, *, calendar: bool = True):
    rows = [[MY(label(lang, "My bookings"))]]
    if calendar:
        rows.insert(0, [CALENDAR(label(lang, "📅 Add to my calendar"), row.booking_id)])
    return keyboard(rows)


def _survey_scores(row, lang: str):
    return keyboard([[SURVEY(str(n), row.booking_id, n) for n in range(1, 6)]])


def _take_or_pass(row, lang: str):
    return keyboard(
        [
            [
                TAKE_OFFER(label(lang, "✅ Take the seat"), row.booking_id),
                PASS_OFFER(label(lang, "Pass"), row.booking_id),
            ]
        ]
    )


def _next_steps(row, lang: str):
    """A booking that gave no seat: the booking, with what to do next (handlers/bookings/
    mine.py: its programme's other dates, similar programmes)."""
    return keyboard(
        [
            [OPEN(label(lang, "🔎 Other dates and similar programmes"), row.booking_id)],
            [MY(label(lang, "My bookings"))],
        ]
    )


def _decision_buttons(row, lang: str):
    if row.detail == "rejected":
        return _next_steps(row, lang)
    return _my_bookings(row, lang, calendar=row.detail == "confirmed")


def _drawn_buttons(row, lang: str):
    return _my_bookings(row, lang, calendar=False)


# An offer runs out, and a cancelled session may be tomorrow morning: both reach a student in
# quiet hours too.
OUTGOING = [
    Kind("student_day_before", _student),
    Kind("student_online", _student),
    Kind("student_survey", _survey, _survey_scores),
    Kind("student_offer", _offer, _take_or_pass, urgent=True),
    Kind("student_decision", _decision, _decision_buttons),
    Kind("student_expired", _expired, _next_steps),
    Kind("student_drawn", _drawn, _drawn_buttons),
    Kind("student_booked", _booked_by_teacher, _my_bookings),
    Kind("student_session_cancelled", _session_cancelled, _next_steps, urgent=True),
]
