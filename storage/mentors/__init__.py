"""Mentor requests: profiles and free slots, matching, offers one mentor at a time, meetings.

A request is offered to the best available mentor (rank, below) and waits for their answer
for a set time (24 hours by default); declined or unanswered, it passes to the next one. A
request nobody can take waits in line, priority requests first, until a mentor comes free.

Who holds what. `mentors.open_requests` counts the requests a mentor holds now (offered to
them, accepted, scheduled and not yet logged); `mentor_requests.counted` marks each of them.
Taking a place is one conditional UPDATE (`open_requests < max_open AND NOT paused`), so two
requests matched at the same moment cannot both take a mentor's last place, and a paused
mentor gets nothing. Giving it back clears `counted` first, so it is given back once.

Compare-and-swap everywhere. Every change of a request's status is an UPDATE on the status
(and mentor) it was seen in: a mentor pressing "accept" just as the clock passes the request
on, or as another mentor accepts it, either wins or gets AlreadyHandled; never both.

Lock order (PostgreSQL): the request row first, then the mentor row. offer_next locks the
request before taking a mentor's place; every other change swaps the request first too.

The priority mark (the city's pilot for students from vulnerable backgrounds) only orders the
line; the views a mentor or student sees never carry it.

Every function runs in the caller's transaction; reminders and notices go to the outbox
(storage.reminders.write) in that same transaction, so nothing is said that did not happen.

The package, by step: common (tables, constants, small pieces), rows (the rows every step
reads and locks), profiles, slots, matching, offers, answers, meetings, requester (and the
priority mark), views (what people see), choosing (fields, times, alternatives), and reports
(staff's figures and the evaluation file, imported as `storage.mentors.reports`).
"""

from __future__ import annotations

from storage.errors import Refused
from storage.mentors.answers import accept, decline, expire_offers, expire_waiting, waiting_in_line
from storage.mentors.choosing import (
    Alternatives,
    FieldCount,
    alternatives,
    available_fields,
    find_fields,
    time_choices,
    vocabulary,
)
from storage.mentors.common import (
    ACTIVE,
    ANSWER_WINDOW,
    CITY_TZ,
    CLOSED,
    DAY_BEFORE_AT,
    GROUP_CAPACITY,
    HORIZON,
    LEAD,
    MAX_OPEN_CHOICES,
    MAX_SLOTS,
    MISSED_IN_A_ROW,
    MODE_COLUMNS,
    MODES,
    NUDGE_BEFORE,
    OPEN,
    QUESTION_MAX,
    QUESTION_MIN,
    QUICK,
    RECENT,
    STUDENT_MODES,
    STUDENT_OPEN_LIMIT,
    TEACHER_MODES,
    TEACHER_OPEN_LIMIT,
    TIMES,
    WAIT_LIMIT,
    Opening,
    all_fields,
    mentor_modes,
    openings,
    split_codes,
    time_bucket,
)
from storage.mentors.matching import Candidate, Wish, rank
from storage.mentors.meetings import (
    MEETING_KINDS,
    cancel_meeting,
    join_group,
    log_meeting,
    meeting_plans,
    note_meeting,
    schedule,
)
from storage.mentors.offers import Created, create_request, offer_next
from storage.mentors.profiles import (
    PROFILE_FIELDS,
    fields_of,
    profile,
    set_fields,
    set_paused,
    update_profile,
)
from storage.mentors.requester import (
    cancel_request,
    change_request,
    comment,
    may_see_priority,
    rate,
    set_priority,
)
from storage.mentors.rows import get, meeting, mentor_user_id
from storage.mentors.slots import add_slot, delete_slot, free_openings, mentor_slots
from storage.mentors.talk import MESSAGE_MAX, TALK, may_talk, side_of
from storage.mentors.talk import message as talk_message
from storage.mentors.talk import write as write_message
from storage.mentors.views import (
    REQUEST_VIEW,
    Board,
    Seen,
    board,
    for_mentor,
    for_requester,
    group_view,
    meeting_schools,
    my_requests,
    open_for_staff,
    open_groups,
    seen_by_mentor,
    students_requests,
    view,
)
from storage.names import first_name  # the staff's list of waiting requests uses it

__all__ = [
    "MESSAGE_MAX",
    "TALK",
    "may_talk",
    "side_of",
    "talk_message",
    "write_message",
    "ACTIVE",
    "ANSWER_WINDOW",
    "Alternatives",
    "Board",
    "CITY_TZ",
    "CLOSED",
    "Candidate",
    "Created",
    "DAY_BEFORE_AT",
    "FieldCount",
    "GROUP_CAPACITY",
    "HORIZON",
    "LEAD",
    "MAX_OPEN_CHOICES",
    "MAX_SLOTS",
    "MEETING_KINDS",
    "MISSED_IN_A_ROW",
    "MODES",
    "MODE_COLUMNS",
    "NUDGE_BEFORE",
    "OPEN",
    "Opening",
    "PROFILE_FIELDS",
    "QUESTION_MAX",
    "QUESTION_MIN",
    "QUICK",
    "RECENT",
    "REQUEST_VIEW",
    "Refused",
    "STUDENT_MODES",
    "STUDENT_OPEN_LIMIT",
    "Seen",
    "TEACHER_MODES",
    "TEACHER_OPEN_LIMIT",
    "TIMES",
    "WAIT_LIMIT",
    "Wish",
    "accept",
    "add_slot",
    "all_fields",
    "alternatives",
    "available_fields",
    "board",
    "cancel_meeting",
    "cancel_request",
    "change_request",
    "comment",
    "create_request",
    "decline",
    "delete_slot",
    "expire_offers",
    "expire_waiting",
    "fields_of",
    "find_fields",
    "first_name",
    "for_mentor",
    "for_requester",
    "free_openings",
    "get",
    "group_view",
    "join_group",
    "log_meeting",
    "may_see_priority",
    "meeting",
    "meeting_plans",
    "meeting_schools",
    "mentor_modes",
    "mentor_slots",
    "mentor_user_id",
    "my_requests",
    "note_meeting",
    "offer_next",
    "open_for_staff",
    "open_groups",
    "openings",
    "profile",
    "rank",
    "rate",
    "schedule",
    "seen_by_mentor",
    "set_fields",
    "set_paused",
    "set_priority",
    "split_codes",
    "students_requests",
    "time_bucket",
    "time_choices",
    "update_profile",
    "view",
    "vocabulary",
    "waiting_in_line",
]
