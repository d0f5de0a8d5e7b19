"""What the outbox says about mentor requests: each kind's composer (REMINDERS) and buttons
(KEYBOARDS), declared to the outbox as OUTGOING."""

from __future__ import annotations

from handlers.common import keyboard
from handlers.mentors.buttons import HELD_OTHER, MY_REQUEST, NOT_HELD, PROFILE, RATE
from handlers.mentors.desk import back_to_desk, offer_buttons
from handlers.mentors.talk import reply_button
from handlers.outbox import Kind
from messages import label
from storage import commitments
from storage import mentors as store
from storage.errors import NotFound
from storage.models import Role


async def _offer(conn, context, row, user):
    """An offer, while it is still this mentor's to answer."""
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.status != "offered" or request.mentor_id != user.mentor_id:
        return None
    seen = await store.for_mentor(conn, request.id, user.mentor_id)
    nudge = row.kind == "mentor_offer_nudge"
    return "mentors/request", {
        "request": seen,
        "mine": True,
        "schools": [],
        "nudge": nudge,
    }


async def _requester_view(conn, row, user, *statuses):
    try:
        found = await store.for_requester(conn, row.mentor_request_id, user.id)
    except NotFound:
        return None
    return found if found.status in statuses else None


def _while(status: str):
    """To the requester, while the request is still `status` (accepted, waiting, expired):
    the news of that."""

    async def compose(conn, context, row, user):
        found = await _requester_view(conn, row, user, status)
        return None if found is None else ("mentoring/news", {"request": found, "news": status})

    return compose


async def _mentors_view(conn, request):
    """The request as its mentor sees it in a notice."""
    return store.seen_by_mentor(await store.view(conn, request.id))


async def _meeting_of(conn, request, user):
    """The request's meeting while it is still scheduled with this mentor, else None."""
    meeting = await store.meeting(conn, request.meeting_id)
    if meeting is None or meeting.status != "scheduled" or meeting.mentor_id != user.mentor_id:
        return None
    return meeting


async def _scheduled(conn, context, row, user):
    found = await _requester_view(conn, row, user, "scheduled")
    if found is None or found.meeting_status != "scheduled" or found.starts_at <= context.now:
        return None
    clashes = (await commitments.of_meeting(conn, found.id)).student
    return "mentoring/news", {"request": found, "news": "scheduled", "clashes": clashes}


async def _meeting_soon(conn, context, row, user):
    """The day before and an hour before, to the requester and to the mentor."""
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.meeting_id is None:
        return None
    meeting = await store.meeting(conn, request.meeting_id)
    if meeting is None or meeting.status != "scheduled" or meeting.starts_at <= context.now:
        return None  # its moment passed, or it is off
    if user.role == Role.MENTOR:
        if user.mentor_id != meeting.mentor_id:
            return None
        seen = await _mentors_view(conn, request)
        schools = await store.meeting_schools(conn, meeting.id) if meeting.mode == "group" else []
        return "mentors/soon", {"request": seen, "schools": schools}
    found = await _requester_view(conn, row, user, "scheduled")
    if found is None:
        return None
    return "mentoring/news", {"request": found, "news": "soon"}


async def _log_due(conn, context, row, user):
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.meeting_id is None or user.role != Role.MENTOR:
        return None
    if await _meeting_of(conn, request, user) is None:
        return None  # logged already, or off
    return "mentors/log", {"request": await _mentors_view(conn, request)}


async def _rate(conn, context, row, user):
    found = await _requester_view(conn, row, user, "held")
    if found is None or found.rating is not None:
        return None
    return "mentoring/news", {"request": found, "news": "rate"}


async def _meeting_cancelled(conn, context, row, user):
    try:
        found = await store.for_requester(conn, row.mentor_request_id, user.id)
    except NotFound:
        return None
    return "mentoring/news", {"request": found, "news": f"off_{row.detail or 'cancelled'}"}


async def _request_cancelled(conn, context, row, user):
    """The requester withdrew a request this mentor had taken (or a school left a session)."""
    if user.role != Role.MENTOR:
        return None
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.status != "cancelled" or request.mentor_id != user.mentor_id:
        return None
    return "mentors/withdrawn", {"request": await _mentors_view(conn, request)}


async def _group_joined(conn, context, row, user):
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.status != "scheduled" or user.role != Role.MENTOR:
        return None
    if await _meeting_of(conn, request, user) is None:
        return None
    return "mentors/joined", {"request": await _mentors_view(conn, request)}


async def _auto_paused(conn, context, row, user):
    if user.role != Role.MENTOR or user.mentor_id is None:
        return None
    mentor = await store.profile(conn, user.mentor_id)
    if mentor is None or not mentor.paused:
        return None  # resumed meanwhile
    return "mentors/auto_paused", {"count": store.MISSED_IN_A_ROW}


REMINDERS = {
    "mentor_offer": _offer,
    "mentor_offer_nudge": _offer,
    "mentor_accepted": _while("accepted"),
    "mentor_waiting": _while("waiting"),
    "mentor_expired": _while("expired"),
    "mentor_scheduled": _scheduled,
    "mentor_meeting_day_before": _meeting_soon,
    "mentor_meeting_hour": _meeting_soon,
    "mentor_log": _log_due,
    "mentor_rate": _rate,
    "mentor_meeting_cancelled": _meeting_cancelled,
    "mentor_request_cancelled": _request_cancelled,
    "mentor_group_joined": _group_joined,
    "mentor_auto_paused": _auto_paused,
}


def _my_requests(row, lang: str):
    return keyboard([[MY_REQUEST(label(lang, "📋 My mentor requests"), row.mentor_request_id)]])


def _waiting(row, lang: str):
    """The waiting request's screen: where it stands and the changes that reach a mentor
    sooner, each a button there (handlers/mentors/changing.py)."""
    text = label(lang, "⏳ See the request and other ways")
    return keyboard([[MY_REQUEST(text, row.mentor_request_id)]])


def _log_keyboard(row, lang: str):
    request_id = row.mentor_request_id
    return keyboard(
        [
            [HELD_OTHER(label(lang, "✅ Held"), request_id)],
            [NOT_HELD(label(lang, "❌ Not held"), request_id)],
        ]
    )


def _desk(row, lang: str):
    return back_to_desk(lang)


async def _message(conn, context, row, user):
    """A message from the other side of the request, relayed while the request still takes
    words and the reader is still its other side (a message goes with its request)."""
    found = await store.talk_message(conn, int((row.detail or "0").split(":")[0]))
    request = await store.get(conn, row.mentor_request_id)
    if found is None or request is None:
        return None
    side = store.side_of(request, user)
    if side is None or (side == "mentor") == found.from_mentor:
        return None
    if side == "mentor":
        seen = await _mentors_view(conn, request)
        who, role = seen.who, "teacher" if seen.teacher else "student"
    else:
        who, role = (await store.for_requester(conn, request.id, user.id)).mentor_name, "mentor"
    return "mentoring/message", {
        "to_mentor": side == "mentor",
        "formal": user.role != Role.STUDENT,
        "who": who or "?",
        "role": role,  # named by messages/people.py: 민지 학생, 윤서진 멘토님
        "field": request.field,
        "text": found.text,
    }


REMINDERS["mentor_message"] = _message


def _reply(row, lang: str):
    """A relayed message's reply button, for the side it went to ("m": the mentor)."""
    mentor = (row.detail or "").endswith(":m")
    return keyboard([[reply_button(lang, row.mentor_request_id, mentor=mentor)]])


KEYBOARDS = {
    "mentor_message": _reply,
    "mentor_offer": lambda row, lang: keyboard([offer_buttons(lang, row.mentor_request_id)]),
    "mentor_offer_nudge": lambda row, lang: keyboard([offer_buttons(lang, row.mentor_request_id)]),
    "mentor_log": _log_keyboard,
    "mentor_rate": lambda row, lang: keyboard(
        [[RATE(str(n), row.mentor_request_id, n) for n in range(1, 6)]]
    ),
    "mentor_accepted": _my_requests,
    "mentor_waiting": _waiting,
    "mentor_expired": _my_requests,
    "mentor_scheduled": _my_requests,
    "mentor_meeting_cancelled": _my_requests,
    "mentor_group_joined": _desk,
    "mentor_request_cancelled": _desk,
    "mentor_auto_paused": lambda row, lang: keyboard([[PROFILE(label(lang, "👤 Profile"))]]),
}


# The kinds this area sends, registered in bot/app.py.
OUTGOING = [Kind(name, compose, KEYBOARDS.get(name)) for name, compose in REMINDERS.items()]
