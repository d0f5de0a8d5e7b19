"""The buttons of cases (cs:…). Other areas open a case from their own screens with
ABOUT_BOOKING and SESSION_BOOKINGS; every id is checked against the presser."""

from __future__ import annotations

from handlers.common.buttons import ID, Buttons
from storage.models import Role

# Everyone who may be in a case: its student, teacher and site, the mediating monitor, staff.
PEOPLE = (Role.STUDENT, Role.TEACHER, Role.SITE, Role.MONITOR, Role.STAFF)

CASES = Buttons("cs", roles=PEOPLE)
SESSION_BOOKINGS = CASES.action("ns", ID)  # a site picks a booking of its session
ABOUT_BOOKING = CASES.action("new", ID)  # a case about this booking
