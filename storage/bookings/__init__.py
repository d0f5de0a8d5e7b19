"""Bookings: taking a seat, the teacher's decision, cancelling, the waiting list, the lottery.

Every function runs in the caller's write transaction and returns what happened, so the
handler can tell the people concerned after the commit.

The parts: common (the tables, the refusal, reading, the status compare-and-swap), seats
(taking and giving back seats, the lock order), deadlines (until when a seat may be cancelled
and a request or an offer waits), apply, decisions (confirm, reject, cancel),
waitlist (offers and expiry), lottery (and the fair opening), classes (class bookings),
attendance (and the survey) and views (lists). A site's sessions are in storage/sessions.py
and the teacher's lists in storage/pending.py.
"""

from __future__ import annotations

from storage.bookings.apply import (
    Applied,
    apply,
    clashes,
    place_in_line,
    same_programme,
    too_late_to_cancel,
)
from storage.bookings.attendance import (
    answer_survey,
    comment_survey,
    mark_attendance,
    survey_answered,
)
from storage.bookings.class_changes import (
    Changed,
    cancel_class,
    change_refusal,
    class_seat,
    fewer_seats,
    give_back_seat,
    rename_seat,
    unname_seat,
)
from storage.bookings.classes import book_class, name_seat
from storage.bookings.common import (
    SESSION_VIEW,
    Freed,
    bookable_site,
    get,
    get_many,
    session_view,
    session_views,
)
from storage.bookings.deadlines import answer_by, cancel_closed, cancel_deadline
from storage.bookings.decisions import cancel, confirm, reject
from storage.bookings.lottery import FAIR_FIELDS, draw, draw_due, set_fair_opening
from storage.bookings.views import (
    MY_VIEW,
    my_booking,
    seat_taken_matches,
    seats_held,
    student_bookings,
    teachers_of,
)
from storage.bookings.waitlist import accept_offer, decline_offer, expire_due, offer_free_seats
from storage.errors import Refused
from storage.tables import bookings, programs, sessions, sites, users
from storage.tables import survey_answers as surveys

__all__ = [
    "FAIR_FIELDS",
    "MY_VIEW",
    "SESSION_VIEW",
    "Applied",
    "Changed",
    "Freed",
    "Refused",
    "accept_offer",
    "answer_survey",
    "answer_by",
    "apply",
    "book_class",
    "cancel_class",
    "change_refusal",
    "class_seat",
    "fewer_seats",
    "give_back_seat",
    "rename_seat",
    "unname_seat",
    "bookable_site",
    "bookings",
    "cancel",
    "cancel_closed",
    "cancel_deadline",
    "clashes",
    "comment_survey",
    "confirm",
    "decline_offer",
    "draw",
    "draw_due",
    "expire_due",
    "get",
    "get_many",
    "mark_attendance",
    "my_booking",
    "name_seat",
    "offer_free_seats",
    "place_in_line",
    "programs",
    "reject",
    "seat_taken_matches",
    "seats_held",
    "session_view",
    "session_views",
    "sessions",
    "set_fair_opening",
    "sites",
    "student_bookings",
    "survey_answered",
    "surveys",
    "teachers_of",
    "same_programme",
    "too_late_to_cancel",
    "users",
]
