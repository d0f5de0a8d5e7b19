"""The buttons of mentoring: the mentor's profile and free times (mn:…), a request as its
mentor answers it (mr:…), the student's and teacher's side (rq:…) and staff's figures (sm:…).

Every id is checked against the presser where it is used: a request never offered to this
mentor, or not this student's, gets the same answer as a missing one. A field is carried by
its place in storage.mentors.vocabulary() and a check number of its name
(handlers.mentors.field_tag), so a list that changed since the button was shown is caught.
"""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, Answers, Buttons, Number, choice
from messages.labels import N_
from storage.catalogue import DISTRICTS
from storage.mentors import MAX_OPEN_CHOICES, MODES, TIMES
from storage.models import Role

# Mirrors of storage's words and numbers (tests/test_mentors_priority_e2e.py checks them).
MODE_CHOICE = choice(*MODES)
TIME_CHOICE = choice(*TIMES)
DISTRICT = Number(0, len(DISTRICTS) - 1)  # by index
MAX_OPEN = Number(1, max(MAX_OPEN_CHOICES))
FIELD_INDEX = Number(0, 9999)  # a place in storage.mentors.vocabulary()
FIELD_TAG = Number(0, 0xFFFFFF)  # handlers.mentors.field_tag: six hex digits
ON = Number(0, 1)  # 1 pause, 0 resume
UNIX_MINUTES = Number()  # a moment, in whole minutes since 1970 (UTC)
LENGTH = Number(5, 600)  # a meeting's length in minutes
SCORE = Number(1, 5)  # a rating


def _has_profile(context, values) -> bool:
    return context.user.mentor_id is not None


def _has_school(context, values) -> bool:
    return context.user.school_id is not None


# ----- mn: the mentor's profile and free times -----------------------------------------------

PROFILE_BUTTONS = Buttons("mn", roles=(Role.MENTOR,), guard=_has_profile)
PROFILE = PROFILE_BUTTONS.action("pr")  # the profile (leaves a typing step)
FIELDS = PROFILE_BUTTONS.action("f", PAGE)  # the fields to choose from, at a page
FIELD = PROFILE_BUTTONS.action("ft", FIELD_INDEX, PAGE, FIELD_TAG)  # a field on/off; its page
TITLE = PROFILE_BUTTONS.action("t")  # type the job title (or major)
BIO = PROFILE_BUTTONS.action("b")  # type the introduction
MODE = PROFILE_BUTTONS.action("m", MODE_CHOICE)  # a way of meeting on/off
VISITS = PROFILE_BUTTONS.action("d", DISTRICT)  # school visits in a district on/off
LIMIT = PROFILE_BUTTONS.action("x")  # how many requests at a time?
LIMIT_SET = PROFILE_BUTTONS.action("xo", MAX_OPEN)  # … that many
PAUSE = PROFILE_BUTTONS.action("p", ON)  # pause or resume requests
SLOTS = PROFILE_BUTTONS.action("s")  # the free times (/slots)
ADD_SLOT = PROFILE_BUTTONS.action("sa")  # type a free time
SAVE_SLOT = PROFILE_BUTTONS.action("sk")  # keep the free time as it was read back
DELETE_SLOT = PROFILE_BUTTONS.action("sd", ID)  # remove a free time

# ----- mr: a request, for the mentor it was offered to ------------------------------------------

LOGGING = Answers(
    taken=N_("Already logged."),
    refused={"not_yet": N_("You can log it once it has begun.")},
)

DESK_BUTTONS = Buttons("mr", roles=(Role.MENTOR,), guard=_has_profile)
DESK = DESK_BUTTONS.action("b")  # the desk: my requests (leaves a typing step)
REQUEST = DESK_BUTTONS.action("v", ID)  # a request as its mentor sees it
ACCEPT = DESK_BUTTONS.action("a", ID)  # accept the offer
DECLINE = DESK_BUTTONS.action("d", ID)  # decline? (asks for an optional reason)
DECLINE_NOW = DESK_BUTTONS.action("dn", ID)  # decline without a reason
KEEP = DESK_BUTTONS.action("k", ID)  # keep it (not declined, not cancelled)
SET_TIME = DESK_BUTTONS.action("tm", ID)  # set the time: the free ones as buttons
TIME = DESK_BUTTONS.action("t", ID, UNIX_MINUTES)  # this time (then a link or a place)
AT_SCHOOL = DESK_BUTTONS.action("pl", ID)  # a visit at the student's school
CANCEL_MEETING = DESK_BUTTONS.action("c", ID)  # cancel the meeting? (asks why)
HELD = DESK_BUTTONS.action("h", ID, LENGTH, answers=LOGGING)  # held, that many minutes
HELD_OTHER = DESK_BUTTONS.action("hm", ID)  # held: how long?
NOT_HELD = DESK_BUTTONS.action("nh", ID, answers=LOGGING)  # not held
SKIP_NOTE = DESK_BUTTONS.action("ns")  # no note after logging
WRITE = DESK_BUTTONS.action("w", ID)  # write to the requester (then the words)

# ----- rq: the student's and teacher's side -----------------------------------------------------

TEACHERS = (Role.TEACHER,)
CLOSED = N_("This group session is no longer open.")

ASKING = Buttons("rq", roles=(Role.STUDENT, Role.TEACHER), guard=_has_school)
MY_REQUESTS = ASKING.action("l")  # /mentor: my requests (leaves a typing step)
ASK = ASKING.action("n")  # ask a mentor: the field
ASK_FIELD = ASKING.action("f", FIELD_INDEX, FIELD_TAG)  # this field
ASK_ALL_FIELDS = ASKING.action("fa", PAGE)  # every field, at a page
ASK_MODE = ASKING.action("m", MODE_CHOICE)  # online, at school, a group session
ASK_TIME = ASKING.action("tt", TIME_CHOICE)  # a preferred time on/off
ASK_ANY_TIME = ASKING.action("ta")  # any time: the question
ASK_NEXT = ASKING.action("tn")  # these times: the question
ASK_SEND = ASKING.action("ok")  # send the request
ASK_DROP = ASKING.action("no")  # don't send it (any rq. step)
MY_REQUEST = ASKING.action("v", ID)  # one of my requests
WITHDRAW = ASKING.action("x", ID)  # cancel the request?
WITHDRAW_NOW = ASKING.action("xy", ID)  # cancel it!
CHANGE_ANY_TIME = ASKING.action("ca", ID)  # a waiting request: any time instead
CHANGE_FIELD = ASKING.action("cf", ID, FIELD_INDEX, FIELD_TAG)  # … this related field instead
CHANGE_MODE = ASKING.action("cm", ID, MODE_CHOICE)  # … this way of meeting instead
RATE = ASKING.action("r", ID, SCORE)  # rate the meeting (then a comment)
SKIP_COMMENT = ASKING.action("cs")  # no comment
ASK_WRITE = ASKING.action("w", ID)  # write to the request's mentor (then the words)
STUDENTS = ASKING.action("s", PAGE, roles=TEACHERS)  # my students' requests, at a page
STUDENT_PRIORITY = ASKING.action("p", ID, PAGE, roles=TEACHERS)  # priority on/off; the page
GROUPS = ASKING.action("g", roles=TEACHERS)  # other schools' group sessions to join
JOIN = ASKING.action(
    "gj",
    ID,  # a meeting
    roles=TEACHERS,
    answers=Answers(
        refused={
            "full": N_("This group session is full."),
            "already": N_("Your school is already in this group session."),
            "gone": CLOSED,
            "role": CLOSED,
        }
    ),
)

# ----- sm: staff -----------------------------------------------------------------------------

STAFF_BUTTONS = Buttons("sm", roles=(Role.STAFF,))
FIGURES = STAFF_BUTTONS.action("f")  # the figures (/mentors)
WAITING = STAFF_BUTTONS.action("l", PAGE)  # the requests waiting for a mentor, at a page
PRIORITY = STAFF_BUTTONS.action("p", ID, PAGE)  # priority on/off; the page
EXPORT = STAFF_BUTTONS.action("x")  # the mid-term evaluation (XLSX)
