"""The buttons of a session's fair opening (fo:…), for staff. Search cards pack SETTINGS."""

from __future__ import annotations

from handlers.common.buttons import ID, Buttons, Number, choice
from storage.models import Role

CAP = Number(0, 100)  # seats one school may take (0: no cap)
MOMENT = choice("o", "l")  # the opening time, the lottery deadline

FAIR = Buttons("fo", roles=(Role.STAFF,))
SETTINGS = FAIR.action("s", ID)  # the session's fair-opening settings
SET_CAP = FAIR.action("c", ID, CAP)  # a per-school cap
ASK_OPENING = FAIR.action("o", ID)  # type the opening time
ASK_LOTTERY = FAIR.action("l", ID)  # type the lottery deadline
CLEAR = FAIR.action("x", ID, MOMENT)  # no opening time, or no lottery
