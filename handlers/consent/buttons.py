"""The buttons of guardian consent. No button carries a person's id: a guardian's child and
a teacher's student are picked by their place in the list shown and a check number
(storage.cases.party_tag), so a list that changed meanwhile gives the stale answer, never
another child."""

from __future__ import annotations

from handlers.common.buttons import PAGE, PLACE, TAG, Buttons, Number, Token, choice
from storage.consent import MAX_CHILDREN, RELATIONSHIPS
from storage.models import Role

TOKEN = Token(r"c[A-Za-z0-9_-]{22}", 23)  # as storage/consent.py makes them
CHILD = Number(0, MAX_CHILDREN - 1)

# The guardian, who has no role here: "gc:r:parent:<token>" (5 + 7 + 23 bytes).
GUARDIAN = Buttons("gc", roles=None)
RELATIONSHIP = GUARDIAN.action("r", choice(*RELATIONSHIPS), TOKEN)  # I am the … and agree
DISAGREE = GUARDIAN.action("n", TOKEN)
WITHDRAW = GUARDIAN.action("w", CHILD, TAG)  # take back the consent for this child?
WITHDRAW_SURE = GUARDIAN.action("ws", CHILD, TAG)  # … yes
KEEP = GUARDIAN.action("k")  # … no, keep it

# The student: a new request, to another number.
STUDENT = Buttons("cn", roles=(Role.STUDENT,))
NEW_NUMBER = STUDENT.action("new")

# The teacher's list of students under 14.
CONSENTS = Buttons("tc", roles=(Role.TEACHER,))
LIST = CONSENTS.action("pg", PAGE)  # the list at a page
PAPER_FORM = CONSENTS.action("ok", PAGE, PLACE, TAG)  # this student's paper form came
ASK_AGAIN = CONSENTS.action("re", PAGE, PLACE, TAG)  # remind this student to ask again
