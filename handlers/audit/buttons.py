"""The buttons of /audit (au:…), staff only. No button carries a person's Telegram id: a
person found by name is picked by their place on the page of people shown and a check number
(storage.cases.party_tag), the list itself re-read from the name typed (kept in the staff
member's flow data); an opened trail is named by the id of the audit entry that recorded its
opening, checked against the presser (storage/audit_trail.py reopen), so another staff
member's trail or a forged id gets the stale answer."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, PLACE, TAG, Buttons, choice
from storage.audit_trail import PERIODS
from storage.models import Role

PERIOD = choice(*PERIODS)

AUDIT = Buttons("au", roles=(Role.STAFF,))
EVERYTHING = AUDIT.action("all", PERIOD)  # every entry of the period
PEOPLE = AUDIT.action("pp", PAGE)  # the people found by the name typed, at a page
PERSON = AUDIT.action("p", PAGE, PLACE, TAG)  # this one's trail (the last 30 days first)
TRAIL = AUDIT.action("t", ID, PAGE)  # an opened trail at a page
SWITCH = AUDIT.action("s", ID, PERIOD)  # the same trail's subject over another period
EXPORT = AUDIT.action("x", ID)  # the opened trail as an XLSX file
AGAIN = AUDIT.action("new")  # someone else: the question again
