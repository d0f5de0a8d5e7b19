"""What the codes of the audit log are called on /audit's pages and in its file: one mapping
for every action (and, for a read, what was read), one for what an object id names, one for
the areas whose buttons a refused press names (by their prefix) and one for the retention
sweep's rules; a code the mappings do not know yet is shown as it is written, so a new
action is never hidden. The details' keys and codes are in handlers/audit/details.py.

Every action is a noun phrase in one style ("신청 승인", "보호자 동의 요청"); a line says
each noun once: the object's kind is left out of the chat's line where the action already
names it ("신청 승인 · #12", not "신청 승인 · 신청 #12"), and a person is named by their
name alone, or as "someone no longer registered".

The action codes are those of every audit.record and audit.read call in storage/ and
handlers/ (grep them there when adding one); the prefixes those of every Buttons("xx", …)
declaration (tests/test_audit_trail.py checks that each has its area here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy.engine import Row

from handlers.audit.details import detail_text, role_name
from messages import label
from messages.labels import N_
from storage.audit_trail import NAMED_PEOPLE, SESSION_OBJECTS, Line
from storage.models import Role

ACTIONS = {
    # bookings and sessions
    "booking.requested": N_("Booking requested"),
    "booking.waitlisted": N_("Joined a waiting list"),
    "booking.entered": N_("Entered a lottery"),
    "booking.confirmed": N_("Booking confirmed"),
    "booking.rejected": N_("Booking rejected"),
    "booking.cancelled": N_("Booking cancelled"),
    "booking.withdrawn": N_("Booking withdrawn"),
    "booking.expired": N_("Booking request expired"),
    "booking.offer_accepted": N_("Offered seat accepted"),
    "booking.offer_declined": N_("Offered seat declined"),
    "booking.session_cancelled": N_("Booking ended: session cancelled"),
    "booking.named": N_("Student named on a class seat"),
    "booking.class": N_("Class seats booked"),
    "booking.unnamed": N_("Student taken off a class seat"),
    "booking.renamed": N_("Name on a class seat corrected"),
    "booking.class_fewer": N_("Class seats given back"),
    "booking.class_cancelled": N_("Class booking cancelled"),
    "booking.attendance": N_("Attendance marked"),
    "session.added": N_("Session added"),
    "session.capacity": N_("Session capacity changed"),
    "session.cancelled": N_("Session cancelled"),
    "session.all_attended": N_("Everyone marked present"),
    "session.attendance_reported": N_("Attendance reported"),
    "session.fair_opening": N_("Fair opening set"),
    "lottery.drawn": N_("Lottery drawn"),
    # cases
    "case.open": N_("Case opened"),
    "case.message": N_("Case message"),
    "case.private": N_("Private case message"),
    "case.proposal": N_("Resolution proposed"),
    "case.accepted": N_("Proposal accepted"),
    "case.rejected": N_("Proposal rejected"),
    "case.remind": N_("Case reminder"),
    "case.escalate": N_("Case escalated"),
    "case.close": N_("Case closed"),
    "case.assign": N_("Case mediator assigned"),
    "case.take": N_("Case taken by a monitor"),
    "case.bring_in": N_("Party brought into a case"),
    "case.erase": N_("Case lines erased"),
    # guardian consent
    "consent.asked": N_("Guardian consent asked"),
    "consent.given": N_("Guardian consent given"),
    "consent.declined": N_("Guardian consent declined"),
    "consent.withdrawn": N_("Guardian consent withdrawn"),
    "consent.paper": N_("Paper consent form recorded"),
    "consent.reminded": N_("Student reminded about consent"),
    "consent.refused": N_("Consent attempt refused"),
    # mentoring
    "mentor_request.created": N_("Mentor request made"),
    "mentor_request.offered": N_("Mentor request offered to a mentor"),
    "mentor_request.accepted": N_("Mentor request accepted"),
    "mentor_request.declined": N_("Mentor request declined"),
    "mentor_request.timeout": N_("Mentor request left unanswered"),
    "mentor_request.paused": N_("Mentor request passed on (mentor paused)"),
    "mentor_request.expired": N_("Mentor request expired"),
    "mentor_request.cancelled": N_("Mentor request cancelled"),
    "mentor_request.changed": N_("Mentor request changed by its requester"),
    "mentor_request.priority": N_("Mentor request priority changed"),
    "mentor_request.message": N_("Message within a mentor request relayed"),
    "mentor_meeting.scheduled": N_("Mentor meeting scheduled"),
    "mentor_meeting.joined": N_("School joined a group meeting"),
    "mentor_meeting.held": N_("Mentor meeting held"),
    "mentor_meeting.not_held": N_("Mentor meeting not held"),
    "mentor_meeting.cancelled": N_("Mentor meeting cancelled"),
    "mentor.profile": N_("Mentor profile changed"),
    "mentor.paused": N_("Mentor paused"),
    "mentor.resumed": N_("Mentor resumed"),
    "mentor.auto_paused": N_("Mentor paused automatically"),
    # parent monitors and inspections
    "monitor.district": N_("Monitor's district set"),
    "monitor.pause": N_("Monitor paused or resumed"),
    "inspection.assign": N_("Inspection assigned"),
    "inspection.pick": N_("Inspection picked"),
    "inspection.start": N_("Inspection started"),
    "inspection.finish": N_("Inspection finished"),
    "inspection.cancel": N_("Inspection cancelled"),
    "checklist.toggle": N_("Checklist item turned on or off"),
    "checklist.add": N_("Checklist item added"),
    # staff work
    "invite.create": N_("Invite link issued"),
    "invite.accept": N_("Invite link used"),
    "programs.import": N_("Programmes imported"),
    "programs.export": N_("Programmes exported"),
    "mentors.export": N_("Mentor evaluation exported"),
    "broadcast.confirmed": N_("Announcement confirmed"),
    "broadcast.paused": N_("Announcement paused"),
    "broadcast.resumed": N_("Announcement resumed"),
    "broadcast.cancelled": N_("Announcement cancelled"),
    "broadcast.csv": N_("Announcement recipients exported"),
    # people and accounts
    "student.join": N_("Student joined"),
    "profile.complete": N_("Joined by invite"),
    "staff.bootstrap": N_("Made staff by the server's settings"),
    "mydata.sent": N_("Own data sent"),
    "person.erased": N_("Personal data erased"),
    "retention.swept": N_("Old data destroyed (retention)"),
    "button.refused": N_("Button press refused"),
    "command.refused": N_("Command refused"),
}

# action "read": what was read (its object_type)
READS = {
    "case": N_("Read a case"),
    "case_bookings": N_("Read bookings to open a case about"),
    "roster": N_("Read a session roster"),
    "attendance": N_("Read an attendance list"),
    "pending": N_("Read pending booking requests"),
    "consents": N_("Read the consent list"),
    "class_seats": N_("Read class seats"),
    "school_bookings": N_("Read the school's bookings by day"),
    "school_bookings_file": N_("Exported the school's bookings"),
    "mentor_desk": N_("Read a mentor's requests"),
    "mentor_request": N_("Read a mentor request"),
    "mentor_requests": N_("Read students' mentor requests"),
    "mydata_child": N_("Read a child's data (guardian)"),
    "audit_trail": N_("Read an audit trail"),
    "audit_file": N_("Exported an audit trail"),
    "audit_people": N_("Searched people for an audit trail"),
    "erase_search": N_("Searched people to erase"),
    "erase_person": N_("Read a person to erase"),
}
UNKNOWN_READ = N_("Read: %(what)s")  # a read of a kind not in READS

# What an entry's object id names, by its object_type.
OBJECTS = {
    "user": N_("person"),
    "mydata_child": N_("person"),
    "audit_trail": N_("person"),
    "audit_file": N_("person"),
    "erase_person": N_("person"),
    "booking": N_("booking"),
    "case": N_("case"),
    "session": N_("session"),
    "roster": N_("session"),
    "attendance": N_("session"),
    "class_seats": N_("session"),
    "school_bookings": N_("school"),
    "school_bookings_file": N_("school"),
    "case_bookings": N_("session"),
    "pending": N_("school"),
    "consents": N_("school"),
    "mentor_requests": N_("school"),
    "mentor_request": N_("mentor request"),
    "mentor_meeting": N_("mentor meeting"),
    "mentor": N_("mentor profile"),
    "mentor_desk": N_("mentor profile"),
    "inspection": N_("inspection"),
    "checklist_item": N_("checklist item"),
    "invite": N_("invite link"),
    "consent_request": N_("consent request"),
    "broadcast": N_("announcement"),
    "file": N_("file"),
    "command": N_("command"),
}
# Object ids that are secrets of a link (an invite's code, a consent token): shown cut.
TOKENS = ("invite", "consent_request")

# A refused press's object_type is the button's name ("bk:ap"): the area its prefix is
# declared by (Buttons("bk", …) in handlers/bookings/buttons.py). An unknown one ("unknown",
# data that matched no button) is named only as a button.
BUTTON = N_("button")
AREAS = {
    "au": N_("Audit trail (staff)"),
    "bc": N_("Writing an announcement"),
    "bk": N_("Booking a programme"),
    "bl": N_("Sending an announcement"),
    "cb": N_("Class booking (teacher)"),
    "ck": N_("Safety checklist (staff)"),
    "cn": N_("Asking a guardian's consent (student)"),
    "cs": N_("Cases and mediation"),
    "dm": N_("Deleting one's own or a child's data"),
    "er": N_("Deleting data on a written request (staff)"),
    "fo": N_("Fair opening (staff)"),
    "gc": N_("Guardian consent (guardian)"),
    "imp": N_("Importing programmes (staff)"),
    "inv": N_("Invite links (staff)"),
    "is": N_("Safety inspections"),
    "lang": N_("Language setting"),
    "mn": N_("Mentor profile (mentor)"),
    "mr": N_("Mentor's requests (mentor)"),
    "ob": N_("Joining"),
    "pf": N_("Profile after an invite"),
    "rm": N_("Reminder settings"),
    "rq": N_("Asking a mentor"),
    "sm": N_("Mentoring figures (staff)"),
    "sr": N_("Programme search"),
    "ss": N_("Sessions (experience site)"),
    "stat": N_("Programme figures (staff)"),
    "tc": N_("Consent list (teacher)"),
    "tp": N_("Pending booking requests (teacher)"),
}

# retention.swept: its object_type is the rule (storage/retention.py RULES), what it destroys.
RULES = {
    "people": N_("people who left or went quiet"),
    "case_texts": N_("words of closed cases"),
    "mentor_texts": N_("words of closed mentor requests"),
    "mentor_talk": N_("messages within closed mentor requests"),
    "meeting_texts": N_("words of past mentor meetings"),
    "survey_comments": N_("survey comments of past school years"),
    "booking_words": N_("words of past school years' bookings"),
    "unanswered_consents": N_("consent requests that came to nothing"),
    "quarantined_updates": N_("messages the bot could not read"),
    "audit_entries": N_("old audit entries"),
}

BOT = N_("the bot (automatic)")
GONE = N_("someone no longer registered")
NO_NAME = N_("(no name)")
GUEST = N_("someone not joined (e.g. a guardian)")  # no role, and no name to show
NAME_MAX = 30  # of a person's name on a line
OBJECT_MAX = 40  # of an object's text on a line


@dataclass(frozen=True)
class Described:
    """One entry in words, the same for a page and for the file: `kind` and `object` are
    the file's columns, `about` the two as the chat's line says them (each noun once)."""

    at: datetime  # in the city's time
    who: str
    role: str
    what: str
    kind: str
    object: str
    about: str
    detail: str


def describe(line: Line, lang: str, tz: tzinfo) -> Described:
    doing = what(line.action, line.object_type, lang)
    kind, named = _kind(line, lang), _object(line, lang)
    if line.object_type in NAMED_PEOPLE or not kind or kind.lower() in doing.lower():
        about = named  # a person's name says what they are; a kind said once
    else:
        about = f"{kind} {named}".strip()
    return Described(
        at=line.at.astimezone(tz),
        who=_who(line, lang),
        role=_role(line, lang),
        what=doing,
        kind=kind,
        object=named,
        about=about,
        detail=detail_text(_detail(line), lang),
    )


def what(action: str, object_type: str | None, lang: str) -> str:
    """The action's name; a code not in the mappings as it is written."""
    if action == "read":
        known = READS.get(object_type or "")
        return label(lang, known) if known else label(lang, UNKNOWN_READ, what=object_type)
    known = ACTIONS.get(action)
    return label(lang, known) if known else action


def area(button_name: str | None) -> str | None:
    """The area whose button a refused press was (by its prefix), or None."""
    return AREAS.get((button_name or "").split(":", 1)[0])


def _who(line: Line, lang: str) -> str:
    if line.actor_id is None:
        return label(lang, BOT)
    if not line.actor_known:
        return label(lang, GONE)
    if line.actor_name is None:  # a guardian has neither a name nor a role here
        return label(lang, GUEST if line.actor_role is None else NO_NAME)
    return line.actor_name[:NAME_MAX]


def _role(line: Line, lang: str) -> str:
    if line.actor_id is None or not line.actor_known:
        return ""
    if line.actor_role is None and line.actor_name is None:
        return ""  # said by _who
    return role_name(line.actor_role, lang)


def _kind(line: Line, lang: str) -> str:
    """What the object is, in words: nothing where the entry has no object (a read of a
    search, a file): the action says it all."""
    kind = line.object_type
    if line.action == "button.refused":
        return label(lang, BUTTON)
    if line.action == "retention.swept":
        return label(lang, RULES[kind]) if kind in RULES else kind or ""
    if line.object_id is None:
        return ""
    return label(lang, OBJECTS[kind]) if kind in OBJECTS else kind or ""


def _object(line: Line, lang: str) -> str:
    """The object: a person's name (never their Telegram id), a school's name, a session's
    programme with the session's number, a link's code cut short, a refused press's area, a
    refused command as typed, else its number."""
    object_id = line.object_id
    if line.action == "button.refused":
        known = area(line.object_type)
        return label(lang, known) if known else ""
    if object_id is None:
        return ""
    if line.object_type in NAMED_PEOPLE:
        if not line.object_known:
            return label(lang, GONE)
        return (line.object_name or label(lang, NO_NAME))[:NAME_MAX]
    if line.object_type in TOKENS:
        return object_id[:4] + "…"
    if line.object_type == "command":
        return f"/{object_id}"[:OBJECT_MAX]
    if line.object_name and line.object_type in SESSION_OBJECTS:
        return f"{line.object_name[: OBJECT_MAX - 10]} #{object_id}"
    if line.object_name:
        return line.object_name[:OBJECT_MAX]
    return f"#{object_id}"[:OBJECT_MAX]


def _detail(line: Line) -> dict:
    """The entry's detail, with a refused press's first number (the object id: which one it
    is depends on the button, so it is shown as the button's, not as an id of anything)."""
    if line.action == "button.refused" and line.object_id is not None:
        return {**line.detail, "button_number": line.object_id}
    return line.detail


@dataclass(frozen=True)
class Found:
    """A person as the lists and a trail's heading show them: their name, and what tells
    them apart from others of that name (role, school and grade, or site)."""

    name: str
    where: str


def found(row: Row, lang: str) -> Found:
    role = role_name(row.role, lang)
    if row.role == Role.STUDENT and row.school:
        grade = label(lang, "Grade %(grade)s", grade=row.grade) if row.grade else ""
        where = f"{role} · {row.school} {grade}".strip()
    elif row.school:
        where = f"{role} · {row.school}"
    elif row.site:
        where = f"{role} · {row.site}"
    else:
        where = role
    return Found(row.name or "?", where)
