"""What the broadcasts package shares: the tables it reads and writes, a few constants and
Share (how many of one kind)."""

from __future__ import annotations

from typing import NamedTuple

from storage.models import Booking, Broadcast, Program, Reminder, Role, School, Session, User

broadcasts = Broadcast.__table__
reminders = Reminder.__table__
users = User.__table__
schools = School.__table__
programs = Program.__table__
sessions = Session.__table__
bookings = Booking.__table__

# A site's and a programme's students: those holding a seat the school knows about.
PARTICIPANTS = ("requested", "confirmed")
AUTHORS = (Role.STAFF, Role.TEACHER, Role.SITE)
CANCELLED = "cancelled"  # last_error of a delivery skipped because its broadcast was


class Share(NamedTuple):
    """How many of one kind: recipients of a role, failures of one reason."""

    name: str
    count: int
