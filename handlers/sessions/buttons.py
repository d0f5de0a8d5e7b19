"""The site's session buttons (ss:…). Only a site user presses them, and only while the
account still belongs to a site; every handler reloads the session with the site's id."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, Answers, Buttons, Number
from messages.labels import N_
from storage.models import Role

MINUTES = Number(1, 24 * 60)
DAYS = Number(0, 366)

SESSIONS = Buttons(
    "ss", roles=(Role.SITE,), guard=lambda context, values: context.user.site_id is not None
)
LIST = SESSIONS.action("pg", PAGE)  # the list at a page
OPEN = SESSIONS.action("s", ID, PAGE)  # a session; the page of the list to go back to
CAPACITY = SESSIONS.action("c", ID)  # type a new capacity
CANCEL = SESSIONS.action("x", ID)  # cancel? (asks why)
CANCEL_NOW = SESSIONS.action("xy", ID)  # cancel!
# What storage refuses when a mark comes too early (the handler says from when first) or is
# for a class seat without a name (storage/bookings/attendance.py).
MARKING = Answers(
    refused={
        "attendance_closed": N_("Attendance can be taken only once the session has started."),
        "unnamed_seat": N_(
            "A seat without a name cannot be marked: the teacher names the student first."
        ),
    }
)
ATTENDANCE = SESSIONS.action("at", ID, PAGE)  # the attendance list at a page
MARK = SESSIONS.action("am", ID, PAGE, answers=MARKING)  # a booking attended ⇄ no-show
# everyone not marked attended
ALL_ATTENDED = SESSIONS.action("aa", ID, PAGE, answers=MARKING)
ATTENDANCE_DONE = SESSIONS.action("ad", ID, answers=MARKING)  # done: tell the teachers
ROSTER_FILE = SESSIONS.action("rf", ID)  # the roster as an XLSX file
CLASS_ROSTER = SESSIONS.action("rc", ID, ID)  # one class booking's: its first booking's id
ADD = SESSIONS.action("n")  # add a session: pick the programme
ADD_PROGRAMME = SESSIONS.action("np", ID)
ADD_DURATION = SESSIONS.action("du", MINUTES)
RETYPE_START = SESSIONS.action("rs")  # the start was read wrongly: type it again
USUAL_SEATS = SESSIONS.action("dc")
USUAL_PLACE = SESSIONS.action("pl")
ADD_DEADLINE = SESSIONS.action("dl", DAYS)  # applications close that many days before
ADD_NOW = SESSIONS.action("ok")
ADD_DROP = SESSIONS.action("no")
