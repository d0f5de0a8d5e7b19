"""The buttons of search (sr:…): pages, cards and the filter panel."""

from __future__ import annotations

from handlers.common.buttons import ID, JOINED, Buttons

SEARCH = Buttons("sr")
# "Apply" on a card sent before bookings had buttons of their own; bookings still answers it.
OLD_APPLY = SEARCH.action("ap", ID, roles=JOINED)
