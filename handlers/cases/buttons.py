"""The buttons of cases (cs:…). Other areas open a case from their own screens with
ABOUT_BOOKING and SESSION_BOOKINGS. Every id is checked against the presser: a case they
may not read gets the same answer as a missing one. No button carries another person's
user id: the mediator picks a party, and staff a monitor, by its place in the list shown
and a check number (storage.cases.party_tag)."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, TAG, Buttons, Number
from storage.cases import KINDS, OUTCOMES
from storage.models import Role

# Everyone who may be in a case: its student, teacher and site, the mediating monitor, staff.
PEOPLE = (Role.STUDENT, Role.TEACHER, Role.SITE, Role.MONITOR, Role.STAFF)
OPENERS = (Role.STUDENT, Role.TEACHER, Role.SITE)  # who opens a case
MONITOR_CHOICES = 30  # monitors listed for staff to assign

KIND = Number(0, len(KINDS) - 1)  # by index
OUTCOME = Number(0, len(OUTCOMES) - 1)  # by index
EVERY = Number(0, 1)  # the monitors to choose from: 0 the district's free ones, 1 all
PARTY = Number(0, 99)  # a place in the case's list of parties (a keyboard holds 100 buttons)
MONITOR = Number(0, MONITOR_CHOICES - 1)  # a place in the list of monitors
ON = Number(0, 1)  # 1 pause, 0 resume

CASES = Buttons("cs", roles=PEOPLE)
# Lists and one case
LIST = CASES.action("l", PAGE)  # /cases at a page
VIEW = CASES.action("v", ID, PAGE)  # a case, that many pages of its record back (0: latest)
OPEN = CASES.action("o", ID)  # a case as a new message (under relayed ones)
PAUSE = CASES.action("pa", ON, roles=(Role.MONITOR,))  # a monitor pauses or resumes
# Opening a case
NEW = CASES.action("n", roles=OPENERS)  # bookings to open a case about
NEW_PAGE = CASES.action("nb", PAGE, roles=OPENERS)  # … at a page
# A site's roster: the session's bookings to pick from.
SESSION_BOOKINGS = CASES.action("ns", ID, roles=(Role.SITE,))
ABOUT_BOOKING = CASES.action("new", ID)  # a case about this booking: its kind?
KIND_CHOSEN = CASES.action("k", ID, KIND)  # booking, kind: the first message (or write again)
SEND = CASES.action("go")  # send the case as summed up
DROP = CASES.action("x")  # stop (any case flow)
# Writing in a case (REPLY also sits under every relayed message: Telegram's reply to one
# goes to its case)
REPLY = CASES.action("re", ID)  # write to everyone
PICK_PARTY = CASES.action("pp", ID)  # the mediator: whom privately?
PARTY_CHOSEN = CASES.action("pv", ID, PARTY, TAG)  # … the party at that place
PROPOSE = CASES.action("pr", ID)  # the mediator proposes a resolution
ACCEPT = CASES.action("ok", ID, ID)  # case, proposal: a party accepts
REJECT = CASES.action("no", ID, ID)  # … or rejects it
# Mediating
ADD_PARTY = CASES.action("ap", ID)  # the mediator: whom to bring into the case?
BRING_IN = CASES.action("aj", ID, PARTY, TAG)  # … the person at that place
ESCALATE = CASES.action("up", ID)  # hand to staff?
ESCALATE_NOW = CASES.action("upy", ID)  # hand to staff!
CLOSE = CASES.action("cl", ID)  # which outcome?
OUTCOME_CHOSEN = CASES.action("co", ID, OUTCOME)  # that outcome: a note?
CLOSE_NOW = CASES.action("cz", ID, OUTCOME)  # close with that outcome, without a note
MONITORS = CASES.action("as", ID, EVERY, roles=(Role.STAFF,))  # monitors to assign
ASSIGN = CASES.action("am", ID, EVERY, MONITOR, TAG, roles=(Role.STAFF,))  # the one at that place
TAKE = CASES.action("tk", ID, roles=(Role.MONITOR,))  # a monitor takes a case nobody mediates
