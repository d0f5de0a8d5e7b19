"""What the outbox tells a teacher about their students' requests: a new one at once, one
about to expire, the morning digest of what waits (school days), and a seat they confirmed
or booked for the class that the student cancelled."""

from __future__ import annotations

from handlers.common import keyboard
from handlers.outbox import Kind, on_its_day, session_ahead
from handlers.pending.buttons import CONFIRM, LIST, REJECT
from messages import label
from storage import commitments
from storage import pending as pending_store
from storage import sessions as sessions_store
from storage.errors import NotFound
from storage.models import Role

DIGEST_LINES = 10  # requests listed in the morning digest; /pending has them all


async def _teacher_request(conn, context, row, user):
    """A new request, to a teacher who may decide it, while it still waits."""
    request = await _waiting_request(conn, context, row, user)
    if request is None:
        return None
    # The student's other commitments at that time, so the teacher decides knowing of them.
    clashes = await commitments.of_request(conn, request)
    return "pending/new_request", {
        "student": request,
        "session": request,
        "booking_id": request.id,
        "clashes": clashes,
    }


async def _expiring(conn, context, row, user):
    """Only while the request still waits, and only to a teacher who may still decide it."""
    request = await _waiting_request(conn, context, row, user)
    if request is None:
        return None
    clashes = await commitments.of_request(conn, request)  # the teacher decides now, knowing
    return "reminders/teacher_expiring", {"request": request, "clashes": clashes}


async def _teacher_digest(conn, context, row, user):
    if user.role != Role.TEACHER or not on_its_day(context, row):
        return None
    requests, total = await pending_store.pending_for_teacher(conn, user, limit=DIGEST_LINES)
    if not total:
        return None  # nothing waits: no message at all
    more = total - len(requests)
    # The students' other commitments at an overlapping time, for all the lines at once.
    clashes = await commitments.of_requests(conn, requests)
    return "reminders/teacher_digest", {
        "requests": requests,
        "total": total,
        "more": more,
        "clashes": clashes,
    }


async def _student_cancelled(conn, context, row, user):
    """A student cancelled a seat this teacher confirmed, or booked for the class: said
    while the session is still to come and the seat still cancelled."""
    session = await session_ahead(conn, row)
    person = await sessions_store.person(conn, row.booking_id) if row.booking_id else None
    if session is None or person is None or person.status != "cancelled":
        return None
    return "pending/student_cancelled", {
        "session": session,
        "student": person,
        "class_seat": person.booked_by != person.student_id,
    }


async def _waiting_request(conn, context, row, user):
    """The request while it still waits (at the outbox's `context.now`), if this teacher may
    still decide it; else None."""
    if user.role != Role.TEACHER:
        return None
    try:
        request = await pending_store.request_for_teacher(conn, row.booking_id, user)
    except NotFound:
        return None
    if request.status != "requested" or request.expires_at <= context.now:
        return None
    return request


def _decide(row, lang: str):
    return keyboard(
        [
            [
                CONFIRM(label(lang, "✅ Confirm"), row.booking_id),  # no page: from a notice
                REJECT(label(lang, "❌ Reject"), row.booking_id),
            ]
        ]
    )


def _see_the_requests(row, lang: str):
    return keyboard([[LIST(label(lang, "📋 See the requests"), 0)]])


OUTGOING = [
    Kind("teacher_request", _teacher_request, _decide),
    Kind("teacher_expiring", _expiring, _decide),
    Kind("teacher_digest", _teacher_digest, _see_the_requests),
    Kind("teacher_student_cancelled", _student_cancelled),
]
