"""What the broadcasts area shares: its logger, the names of roles, and who may broadcast."""

from __future__ import annotations

import logging

from messages.labels import N_
from storage.models import Role

log = logging.getLogger("handlers.broadcasts")  # one logger for the area, whichever module logs

ROLE_NAMES = {
    "student": N_("Students"),
    "teacher": N_("Teachers"),
    "site": N_("Experience sites"),
    "mentor": N_("Mentors"),
    "monitor": N_("Parent monitors"),
    "staff": N_("Staff"),
}


def _may_broadcast(user) -> bool:
    """A teacher needs a school and a site its site: that is whom they may reach."""
    if user.role == Role.TEACHER:
        return user.school_id is not None
    if user.role == Role.SITE:
        return user.site_id is not None
    return user.role == Role.STAFF
