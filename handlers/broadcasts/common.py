"""What the broadcasts area shares: its logger and the names of roles. Who may broadcast:
`may_broadcast` in handlers/broadcasts/buttons.py (the draft's buttons check it too)."""

from __future__ import annotations

import logging

from messages.labels import N_

log = logging.getLogger("handlers.broadcasts")  # one logger for the area, whichever module logs

ROLE_NAMES = {
    "student": N_("Students"),
    "teacher": N_("Teachers"),
    "site": N_("Experience sites"),
    "mentor": N_("Mentors"),
    "monitor": N_("Parent monitors"),
    "staff": N_("Staff"),
}
