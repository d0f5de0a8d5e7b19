"""The buttons of search (sr:…): pages, cards and the filter panel. Anyone who has joined
presses them; pages and filters only while the search they belong to is still the user's
(flow "sr", or "sr.day" while it asks which day)."""

from __future__ import annotations

from handlers.common.buttons import ID, JOINED, PAGE, Buttons, Maybe, choice

# The filters, in the order the summary line names them (handlers/search/__init__.py).
FILTER_KEYS = ("fd", "ty", "di", "wh", "on", "fr")
# Programme types as stored (storage.catalogue.PROGRAM_TYPES; handlers/search/common.py
# checks that these are all of them).
TYPES = ("job_practice", "field_job", "department", "talk", "field_trip", "camp", "online")
# What a filter button sets: "-" any; a field's or a district's place in the list shown (a
# keyboard holds 100 buttons); a type; this week, next week, this month, or "day" (ask which
# day); "on"/"off" (online or not); "1" (free seats only; one of the places).
VALUE = choice("-", "on", "off", "tw", "nw", "tm", "day", *TYPES, *(str(n) for n in range(100)))


def _searching(context, values) -> bool:
    return context.user.flow in ("sr", "sr.day")


SEARCH = Buttons("sr", roles=JOINED)
CARD = SEARCH.action("p", ID, PAGE)  # a programme's card; the page of results to go back to
LIST = SEARCH.action("pg", PAGE, guard=_searching)  # the results at a page
# The filter panel ("sr:m"), or one filter's choices ("sr:m:KEY").
PANEL = SEARCH.action("m", Maybe(choice("fd", "ty", "di", "wh")), guard=_searching)
SET = SEARCH.action("s", choice(*FILTER_KEYS), VALUE, guard=_searching)  # a filter's value
# Clear one filter, "f" every filter (keeping the typed words) or "all" (the words too).
CLEAR = SEARCH.action("c", choice("all", "f", *FILTER_KEYS), guard=_searching)
RESULTS = SEARCH.action("r", guard=_searching)  # the results of the panel's filters
# The menu's buttons (a greeting or "help" typed): the /search panel, or /foryou.
GO = SEARCH.action("go", choice("panel", "fy"))
# "Apply" on a card sent before bookings had buttons of their own; bookings still answers it.
OLD_APPLY = SEARCH.action("ap", ID, roles=JOINED)
# From elsewhere (a booking that did not work out, a mentor request waiting): a programme's
# card as a new message, and the programmes of its field as a new search.
SHOW = SEARCH.action("o", ID)
SAME_FIELD = SEARCH.action("fo", ID)
