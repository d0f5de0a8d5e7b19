"""An audit entry's detail (ids, counts and codes) in words, for /audit's file: each key by
its name, each code of a key that has codes by its name ("reason=written_guardian" is
"사유: 보호자 서면 요청"), a page counted from 1, a flag as yes or no, the ids of the students
a list showed by how many they are (children's Telegram ids are not for a spreadsheet). A
key or code the mappings do not know yet is shown as it is written (key=value), so nothing
is hidden. The names of roles and periods are here too: they are codes of the details as
much as words of the pages.

The keys are those of every audit.record and audit.read call in storage/ and handlers/
(their keyword arguments); the codes are the values those calls write."""

from __future__ import annotations

import json

from messages import label
from messages.labels import N_

KEYS = {
    "answer": N_("Answer given"),
    "reason": N_("Reason given"),
    "method": N_("How the guardian was identified"),
    "relationship": N_("Guardian's relationship"),
    "period": N_("Period shown"),
    "seen": N_("Read as"),
    "page": N_("Page number"),
    "rows": N_("Entries shown"),
    "clashes": N_("Clashes shown"),
    "total": N_("Entries in all"),
    "view": N_("Audit trail opened in entry"),
    "student_ids": N_("Students shown"),
    "role": N_("Role given"),
    "kind": N_("Kind of case"),
    "outcome": N_("How it ended"),
    "why": N_("Why escalated"),
    "what": N_("Waiting for"),
    "attendance": N_("Attendance marked as"),
    "mode": N_("Meeting mode"),
    "result": N_("Inspection result"),
    "status": N_("Request status"),
    "lines": N_("Case lines"),
    "withdrawn": N_("Requests withdrawn"),
    "cancelled": N_("Seats given back"),
    "kept": N_("Bookings kept as figures"),
    "bookings": N_("Bookings (count)"),
    "cases": N_("Cases (count)"),
    "students": N_("Students (count)"),
    "seats": N_("Seats (count)"),
    "parties": N_("Parties (count)"),
    "winners": N_("Lottery winners"),
    "seed": N_("Lottery seed"),
    "days": N_("Days valid"),
    "max_uses": N_("Uses allowed"),
    "dropped": N_("Deliveries dropped"),
    "mentors": N_("Mentors (count)"),
    "programs": N_("Programmes (count)"),
    "sessions": N_("Sessions (count)"),
    "minutes": N_("Minutes long"),
    "school_id": N_("School number"),
    "site_id": N_("Site number"),
    "booking": N_("Booking number"),
    "message": N_("Message number"),
    "proposal": N_("Proposal number"),
    "request": N_("Mentor request number"),
    "mentor": N_("Mentor profile number"),
    "monitor": N_("Monitor's account number"),
    "monitor_id": N_("Monitor's account number"),
    "person": N_("Account number brought in"),
    "button_number": N_("Number in the button"),
    "district": N_("District chosen"),
    "changed": N_("Fields changed"),
    "photo": N_("With a photo"),
    "file": N_("As a file to print"),
    "on": N_("Turned on"),
    "active": N_("In use"),
    "paused": N_("Paused now"),
    "registered": N_("Student registered in Telegram"),
    "school_cap": N_("Seats one school may take"),
    "opens_at": N_("Opening time"),
    "lottery_until": N_("Lottery deadline"),
    "marks": N_("Attendance marks' fingerprint"),
    "sites_new": N_("Sites added"),
    "sites_changed": N_("Sites changed"),
    "sites_unchanged": N_("Sites unchanged"),
    "programs_new": N_("Programmes added"),
    "programs_changed": N_("Programmes changed"),
    "programs_unchanged": N_("Programmes unchanged"),
    "sessions_new": N_("Sessions added"),
    "sessions_changed": N_("Sessions changed"),
    "sessions_unchanged": N_("Sessions unchanged"),
}

PERIOD_NAMES = {
    "week": N_("Last 7 days"),
    "month": N_("Last 30 days"),
    "year": N_("This school year"),
}
# The codes of the keys that have codes.
CODES = {
    "answer": {
        "shown": N_("shown"),
        "empty": N_("an empty list"),
        "stale": N_("an old or forged button"),
        "already_handled": N_("already handled"),
        "not_allowed": N_("not for their role"),
        "self": N_("their own account"),
        "staff": N_("a staff account"),
        "too_late": N_("too late"),
    },
    "reason": {
        # an erasure (person.erased)
        "self": N_("the person's own request"),
        "guardian": N_("the guardian's request"),
        "written_self": N_("the person's request in writing"),
        "written_guardian": N_("the guardian's request in writing"),
        "school": N_("the school's request"),
        "retention": N_("retention period over"),
        # a consent refused (consent.refused)
        "role": N_("an account with a role"),
        "children": N_("too many children"),
        "phone": N_("another phone number"),
        "minor": N_("not an adult"),
        "tampered": N_("a tampered identity check"),
        "stale": N_("an identity check too old"),
    },
    "method": {
        "contact": N_("own number shared in Telegram"),
        "identity": N_("phone identity check"),
        "paper": N_("paper form"),
    },
    "relationship": {"parent": N_("parent"), "guardian": N_("legal guardian")},
    "seen": {
        "staff": N_("staff"),
        "mediator": N_("mediator"),
        "party": N_("party"),
        "reader": N_("reader"),
    },
    "attendance": {"attended": N_("attended"), "no_show": N_("did not come")},
    "outcome": {
        "resolved": N_("resolved"),
        "unresolved": N_("unresolved"),
        "withdrawn": N_("withdrawn"),
    },
    "why": {
        "no_mediator": N_("no mediator took it"),
        "no_answer": N_("no answer in time"),
    },
    "what": {"mediator": N_("a mediator"), "answer": N_("an answer")},
    "mode": {
        "online": N_("online"),
        "group": N_("group meeting"),
        "visit": N_("visit to a school"),
    },
    "result": {
        "passed": N_("passed the inspection"),
        "needs_fix": N_("needs fixing"),
        "failed": N_("failed the inspection"),
    },
    "kind": {
        "schedule": N_("schedule change"),
        "safety": N_("a safety concern"),
        "complaint": N_("a complaint"),
        "no_show": N_("a no-show"),
        "other": N_("something else"),
    },
}
PROFILE_FIELDS = {  # `changed`: mentor.profile's (storage/mentors/profiles.py PROFILE_FIELDS) …
    "title": N_("title"),
    "bio": N_("introduction"),
    "online": N_("online meetings"),
    "group_sessions": N_("group meetings"),
    "school_visits": N_("school visits"),
    "districts": N_("districts"),
    "max_open": N_("requests at once"),
    # … and mentor_request.changed's (storage/mentors/requester.py change_request)
    "field": N_("field"),
    "mode": N_("way of meeting"),
    "times": N_("preferred times"),
}
ROLES = {
    "student": N_("student"),
    "teacher": N_("teacher"),
    "site": N_("experience site"),
    "mentor": N_("mentor"),
    "monitor": N_("parent monitor"),
    "staff": N_("staff"),
}
NOT_JOINED = N_("not joined")  # a role's place, for someone with no role
CODES["period"] = PERIOD_NAMES
YES, NO = N_("yes"), N_("no")
PAGE_KEYS = ("page",)  # counted from 0 in the log, from 1 for people
ID_LISTS = ("student_ids",)  # children's Telegram ids: only how many


def detail_text(detail: dict, lang: str) -> str:
    """The detail as one text: known keys in KEYS' order, then the others by name."""
    known = [key for key in KEYS if key in detail]
    others = sorted(key for key in detail if key not in KEYS)
    parts = [f"{label(lang, KEYS[key])}: {_value(key, detail[key], lang)}" for key in known]
    parts += [f"{key}={_raw(detail[key])}" for key in others]
    return ", ".join(parts)


def _value(key: str, value: object, lang: str) -> str:
    if isinstance(value, bool):
        return label(lang, YES if value else NO)
    if key in PAGE_KEYS and isinstance(value, int):
        return str(value + 1)
    if key in ID_LISTS and isinstance(value, list):
        return str(len(value))
    if key == "role" and isinstance(value, str):
        return role_name(value, lang)
    if key == "changed" and isinstance(value, list):
        return ", ".join(_code(PROFILE_FIELDS, field, lang) for field in value)
    return _code(CODES.get(key, {}), value, lang)


def _code(names: dict, value: object, lang: str) -> str:
    name = names.get(value) if isinstance(value, str) else None
    return label(lang, name) if name else _raw(value)


def role_name(role: str | None, lang: str) -> str:
    known = ROLES.get(role or "")
    if known:
        return label(lang, known)
    return label(lang, NOT_JOINED) if role is None else role


def _raw(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
