"""What the outbox tells an experience site (its rosters, late changes, a student's
cancellation) and a teacher (a cancelled session, the attendance the site reported)."""

from __future__ import annotations

from handlers.outbox import Kind, session_ahead
from storage import bookings as bookings_store
from storage import sessions as sessions_store


async def _roster(conn, context, row, user):
    session = await session_ahead(conn, row)
    if session is None:
        return None
    people = await sessions_store.roster(conn, row.session_id, statuses=("confirmed",))
    if not people:
        return None
    return "reminders/site_roster", {"session": session, "people": people}


async def _site_change(conn, context, row, user):
    """A booking confirmed or cancelled close to the session: said as it stands now."""
    session = await session_ahead(conn, row)
    person = await sessions_store.person(conn, row.booking_id) if row.booking_id else None
    if session is None or person is None or person.status not in ("confirmed", "cancelled"):
        return None
    return "reminders/site_change", {"session": session, "person": person}


async def _site_cancelled(conn, context, row, user):
    """A student cancelled a confirmed booking (further ahead than site_change covers)."""
    session = await session_ahead(conn, row)
    person = await sessions_store.person(conn, row.booking_id) if row.booking_id else None
    if session is None or person is None or person.status != "cancelled":
        return None
    return "bookings/site_cancelled", {"session": session, "student": person}


async def _session_cancelled_teacher(conn, context, row, user):
    session = await bookings_store.session_view(conn, row.session_id)
    if session is None or session.status != "cancelled" or not (row.detail or "").isdigit():
        return None
    ended = await sessions_store.cancelled_by_site(conn, row.session_id, int(row.detail))
    people = await _theirs(conn, user, ended)
    if not people:
        return None
    return "sessions/cancelled_teacher", {"session": session, "people": people}


async def _attendance(conn, context, row, user):
    """The attendance the site reported; a report corrected since is its own notice."""
    session = await bookings_store.session_view(conn, row.session_id)
    if session is None:
        return None
    roster = await sessions_store.roster(conn, row.session_id, statuses=("confirmed",))
    if sessions_store.attendance_digest(roster) != row.detail:
        return None  # the marks changed: the newer report says it
    people = await _theirs(conn, user, roster)
    if not people:
        return None
    return "sessions/attendance_teacher", {"session": session, "people": people}


async def _theirs(conn, teacher, people) -> list:
    """Of `people` (roster rows), those this teacher is told about."""
    for who, theirs in await sessions_store.teachers_to_tell(conn, people):
        if who.id == teacher.id:
            return theirs
    return []


OUTGOING = [
    Kind("site_roster_day_before", _roster),
    Kind("site_roster_morning", _roster),
    Kind("site_change", _site_change),
    Kind("site_cancelled", _site_cancelled),
    Kind("teacher_session_cancelled", _session_cancelled_teacher),
    Kind("teacher_attendance", _attendance),
]
