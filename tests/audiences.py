"""Who reads each text, so that each reader hears one register (tests/test_registers.py).

Students (and people who have not joined yet) are spoken to in 해요체, adults (teachers, sites,
mentors, monitors, guardians, staff) in 합니다체. A text read by both is EITHER: a template
then branches on `formal` (handlers pass speaks_formally; reply() does it for every template),
a handler picks one of two labels. Declared by folder, with the files that differ.
"""

from __future__ import annotations

STUDENTS, ADULTS, EITHER = "students", "adults", "either"

# messages/templates/<folder>/: the folder's readers.
TEMPLATE_FOLDERS = {
    "": EITHER,  # the shared partials at the top (_macros, _told)
    "audit": ADULTS,
    "bookings": STUDENTS,
    "broadcasts": ADULTS,
    "cases": EITHER,
    "classbook": ADULTS,
    "common": EITHER,
    "consent": ADULTS,
    "fair": ADULTS,
    "general": STUDENTS,
    "help": ADULTS,
    "imports": ADULTS,
    "inspections": ADULTS,
    "invites": ADULTS,
    "mentoring": EITHER,  # a student asking a mentor, or a teacher for their class
    "mentors": ADULTS,
    "onboarding": STUDENTS,
    "pending": ADULTS,
    "privacy": EITHER,
    "reminders": ADULTS,
    "search": EITHER,
    "sessions": ADULTS,
    "stats": ADULTS,
}

# "folder/name" (no .html.j2): the templates whose readers differ from their folder's.
TEMPLATE_FILES = {
    "bookings/site_cancelled": ADULTS,
    "cases/ask_escalate": ADULTS,  # the mediator's steps
    "cases/ask_note": ADULTS,
    "cases/ask_outcome": ADULTS,
    "cases/assigned": ADULTS,
    "cases/closed": ADULTS,
    "cases/escalated": ADULTS,
    "cases/joined": ADULTS,
    "cases/pick_joiner": ADULTS,
    "cases/pick_monitor": ADULTS,
    "cases/pick_party": ADULTS,
    "cases/view": ADULTS,
    "classbook/calendar_student": STUDENTS,
    "classbook/student_booked": STUDENTS,
    "classbook/student_unbooked": STUDENTS,
    "consent/_ask_number": STUDENTS,
    "consent/_later": STUDENTS,
    "consent/refused": ADULTS,  # a guardian's link; a student who opens it: see TEXTS
    "consent/student_ask_number": STUDENTS,
    "consent/student_bad_number": STUDENTS,
    "consent/student_link": STUDENTS,
    "consent/student_reminded": STUDENTS,
    "consent/student_status": STUDENTS,
    "consent/student_told": STUDENTS,
    "general/typed": ADULTS,
    "help/guest": EITHER,
    "help/student": STUDENTS,
    "mentoring/groups": ADULTS,
    "mentoring/students": ADULTS,
    "onboarding/already_registered": ADULTS,
    "onboarding/ask_code": ADULTS,
    "onboarding/ask_free_times": ADULTS,  # a mentor who has just joined
    "onboarding/bad_name": EITHER,  # a student's name, or an invited adult's
    "onboarding/ask_grades": ADULTS,
    "onboarding/ask_mentor_field": ADULTS,
    "onboarding/ask_mentor_kind": ADULTS,
    "onboarding/ask_monitor_district": ADULTS,
    "onboarding/ask_profile_name": ADULTS,
    "onboarding/invite_accepted": ADULTS,
    "onboarding/invite_invalid": ADULTS,
    "onboarding/profile_done": ADULTS,
    "onboarding/welcome_back": EITHER,
    "onboarding/welcome_first": ADULTS,
    "pending/student_told": STUDENTS,
    "privacy/_ahead": ADULTS,  # what erasing someone cancels: to a guardian or staff
    "privacy/child_erase_ask": ADULTS,
    "privacy/child_erased": ADULTS,
    "privacy/child_gone": ADULTS,
    "privacy/erase_whose": ADULTS,
    "privacy/site_told": ADULTS,
    "privacy/staff_ask": ADULTS,
    "privacy/staff_confirm": ADULTS,
    "privacy/staff_erased": ADULTS,
    "privacy/staff_found": ADULTS,
    "privacy/staff_reason": ADULTS,
    "privacy/teacher_told": ADULTS,
    "reminders/student": STUDENTS,
    "search/for_you": STUDENTS,
    "sessions/cancelled_student": STUDENTS,
}

# Labels: the readers of the labels a handler file (or package) uses, most specific first.
LABEL_FILES = {
    "handlers/audit": ADULTS,
    "handlers/bookings": STUDENTS,
    "handlers/broadcasts": ADULTS,
    "handlers/cases": ADULTS,
    "handlers/cases/common.py": EITHER,
    "handlers/classbook": ADULTS,
    "handlers/common": EITHER,
    "handlers/consent": ADULTS,
    "handlers/consent/student.py": STUDENTS,
    "handlers/fair": ADULTS,
    "handlers/general.py": STUDENTS,
    "handlers/imports.py": ADULTS,
    "handlers/inspections": ADULTS,
    "handlers/invites": ADULTS,
    "handlers/mentors": ADULTS,
    "handlers/mentors/asking.py": EITHER,
    "handlers/mentors/changing.py": EITHER,
    "handlers/mentors/request.py": EITHER,
    "handlers/mentors/talk.py": EITHER,
    "handlers/onboarding": STUDENTS,
    "handlers/onboarding/free_times.py": ADULTS,
    "handlers/onboarding/invited.py": ADULTS,
    "handlers/pending": ADULTS,
    "handlers/privacy": ADULTS,
    "handlers/privacy/deleteme.py": EITHER,
    "handlers/search": EITHER,
    "handlers/sessions": ADULTS,
    "handlers/stats.py": ADULTS,
    "messages/imports.py": ADULTS,
    "messages/people.py": EITHER,  # names with their role: no register of their own
    "messages/vocabulary.py": EITHER,  # districts and fields by name: no sentences
}

# A text given to one side only where its file serves the other or both: a label a handler
# picks by speaks_formally, a template's branch that only a student reaches.
TEXTS = {
    "This consent link is for your guardian. Please send it to them: they open it in their own "
    "Telegram.": STUDENTS,
    "This link is for the student's guardian: an account that uses Jinro as a student can't give "
    "a guardian's consent.": STUDENTS,
    "This button can no longer be used.": ADULTS,
    "This button is no longer active.": STUDENTS,
    "This has already been handled.": ADULTS,
    "This has already been taken care of.": STUDENTS,
    "This request no longer takes messages.": ADULTS,
    "This request doesn't take messages any more.": STUDENTS,
    "Yes, delete my data": STUDENTS,
    "Yes, delete everything": ADULTS,
    "This case is closed.": ADULTS,
    "You can read this case, but only its parties can write in it.": ADULTS,
    "You can read this case, but only the people in it can write.": STUDENTS,
    "This person is not in the case.": ADULTS,
    "This person isn't in the case.": STUDENTS,
    "Only students apply here.": ADULTS,
    "Your guardian's consent is needed first. Send /consent to see how.": STUDENTS,
    "The most open requests allowed are already open. Wait for an answer or cancel one.": ADULTS,
    "You have as many open requests as you can. Wait for them, or cancel one.": STUDENTS,
    "Please type the question again (5 to 500 characters).": ADULTS,
    "Please write your question again (5 to 500 characters).": STUDENTS,
    "This request could not be sent.": ADULTS,
    "This request cannot be sent.": STUDENTS,
    "✕ Yes, cancel the request": ADULTS,
    "✕ Yes, cancel it": STUDENTS,
    "The request's status changed meanwhile.": ADULTS,
    "This request has changed meanwhile.": STUDENTS,
    "The request has been changed.": ADULTS,
    "Your request is changed.": STUDENTS,
    "🕒 Change to any time": ADULTS,
    "🕒 Make it any time": STUDENTS,
    "The request is cancelled.": ADULTS,
    "Cancelled.": STUDENTS,  # a teacher who presses Apply on a card
    "My own data (my consents are withdrawn)": ADULTS,  # a guardian's choices
    "Yes, delete %(name)s's data": ADULTS,
    "No, delete nothing": ADULTS,
    "This case has ended.": STUDENTS,
    "This proposal was replaced by a newer one.": ADULTS,
    "A newer proposal has replaced this one.": STUDENTS,
    "You have already answered this proposal.": ADULTS,
    "You already answered this proposal.": STUDENTS,
}

# EITHER templates with branches only one side reaches, chosen by more than `formal`: the
# values only that side's messages carry, and the words compared (`what == "private"`) that
# only that side's messages are chosen by. The other side's rendering goes without them.
ONE_SIDE = {
    "cases/ask_post": {"private": ADULTS, "proposal": ADULTS, "mediator": ADULTS, "staff": ADULTS},
    "cases/list": {"staff": ADULTS, "monitor": ADULTS, "paused": ADULTS},
    "cases/news": {
        "case_answer": ADULTS,  # the mediator hears each answer
        "case_assigned": ADULTS,
        "case_joined": ADULTS,  # a teacher or site brought in
        "case_sla_mediator": ADULTS,
        "case_unassigned": ADULTS,  # staff are asked to assign one
        "mediator": ADULTS,
        "staff": ADULTS,
    },
    "cases/posted": {"when": ADULTS, "private": ADULTS, "proposal": ADULTS},
    "cases/refused": {"read_only": ADULTS, "not_party": ADULTS},
    "common/settings": {"student": STUDENTS},  # the survey switch
    "mentoring/news": {"clashes": STUDENTS},  # a student's other commitments
    "privacy/erase_ask": {"consents": ADULTS},  # a guardian's
    "privacy/erased_told": {"guardian": STUDENTS},  # a student whose guardian erased them
    "privacy/summary": {"guardian": ADULTS, "children": ADULTS},
}


def template_audience(name: str) -> str | None:
    """The readers of template `name` ("folder/file"), None when nobody declared them."""
    if name in TEMPLATE_FILES:
        return TEMPLATE_FILES[name]
    folder = name.rpartition("/")[0]
    return TEMPLATE_FOLDERS.get(folder)


def label_audience(path: str) -> str | None:
    """The readers of the labels in source file `path` (relative to the project)."""
    for prefix in sorted(LABEL_FILES, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return LABEL_FILES[prefix]
    return None
