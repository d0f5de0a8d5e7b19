"""What the broadcasts package shares: a few constants and Share (how many of one kind)."""

from __future__ import annotations

from typing import NamedTuple

from storage.models import Role

# A site's and a programme's students: those holding a seat the school knows about.
PARTICIPANTS = ("requested", "confirmed")
AUTHORS = (Role.STAFF, Role.TEACHER, Role.SITE)
CANCELLED = "cancelled"  # last_error of a delivery skipped because its broadcast was


class Share(NamedTuple):
    """How many of one kind: recipients of a role, failures of one reason."""

    name: str
    count: int
