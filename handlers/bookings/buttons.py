"""The buttons of a student's bookings (bk:…). Search cards pack APPLY."""

from __future__ import annotations

from handlers.common.buttons import ID, JOINED, Buttons

BOOKINGS = Buttons("bk")
APPLY = BOOKINGS.action("ap", ID, roles=JOINED)  # apply for a session (students; others told why)
