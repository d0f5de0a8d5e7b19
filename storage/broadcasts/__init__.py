"""Broadcasts: an announcement to a chosen audience, delivered through the reminders outbox.

A broadcast is a row from the author's first message on: a draft with the text (HTML), the
media's file_id, the audience chosen, urgency and when to send. Nothing goes to the outbox
before the author confirms. `confirm` writes every recipient's delivery in one statement, in
the same transaction that moves the broadcast on: a row of `reminders` with kind "broadcast",
key "broadcast:<broadcast id>:<user id>" (so confirming twice keeps one copy per person),
due at the send moment. The dispatcher claims and sends deliveries like any reminder, so a
broadcast continues after a restart and on several processes.

Statuses: draft → scheduled (due later) | sending → done; sending ⇄ paused; scheduled,
sending or paused → cancelled. Pausing moves pending deliveries to "held", which the
dispatcher never claims; resuming moves them back; cancelling skips them ("cancelled").

Audience (a JSON object on the row): roles, schools, districts, grades, site_kinds, a
programme or a session (its students with requested or confirmed bookings), or everyone.
Filters combine with AND, choices within one with OR; a filter leaves out whom it cannot
describe (a district keeps students and teachers by their school, site people by their site,
and nobody else). Nothing chosen means nobody: staff choose "everyone" on purpose. Role
limits hold here, not only in the chat: staff may choose anything; a teacher reaches only
students of their own school (grades optional); a site only students booked on its own
sessions (optionally one programme or session of its own). Only active users count.
"""

from __future__ import annotations

from storage.broadcasts.audience import (
    GRADES,
    ROLES,
    SITE_KINDS,
    Audience,
    Counted,
    _recipients,
    check_choice,
    count,
    limited,
)
from storage.broadcasts.clock import (
    FOLLOWED,
    OPEN,
    claim_report,
    finish_if_done,
    followed,
    for_delivery,
    settle,
    start_due,
)
from storage.broadcasts.common import AUTHORS, CANCELLED, PARTICIPANTS, Share
from storage.broadcasts.confirming import (
    KIND,
    Refused,
    _write_deliveries,
    confirm,
    set_progress,
    set_shown,
)
from storage.broadcasts.drafts import DRAFT_FIELDS, discard, draft, start_draft, update_draft
from storage.broadcasts.lists import listing, record_export, undelivered
from storage.broadcasts.picks import (
    Names,
    find_programs,
    names,
    program_for,
    program_sessions,
    schools_page,
    session_for,
)
from storage.broadcasts.steering import cancel, owned, pause, resume
from storage.broadcasts.tally import BLOCKED, RATE_WINDOW, Figures, figures, time_left

__all__ = [
    "AUTHORS",
    "BLOCKED",
    "CANCELLED",
    "DRAFT_FIELDS",
    "FOLLOWED",
    "GRADES",
    "KIND",
    "OPEN",
    "PARTICIPANTS",
    "RATE_WINDOW",
    "ROLES",
    "SITE_KINDS",
    "Audience",
    "Counted",
    "Figures",
    "Names",
    "Refused",
    "Share",
    "_recipients",  # tests/test_broadcasts.py
    "_write_deliveries",  # tests/test_broadcasts.py
    "cancel",
    "check_choice",
    "claim_report",
    "confirm",
    "count",
    "discard",
    "draft",
    "figures",
    "find_programs",
    "finish_if_done",
    "followed",
    "for_delivery",
    "limited",
    "listing",
    "names",
    "owned",
    "pause",
    "program_for",
    "program_sessions",
    "record_export",
    "resume",
    "schools_page",
    "session_for",
    "set_progress",
    "set_shown",
    "settle",
    "start_draft",
    "start_due",
    "time_left",
    "undelivered",
    "update_draft",
]
