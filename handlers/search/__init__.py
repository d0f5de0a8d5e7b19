"""Finding programmes: typed words, /search filter buttons, /foryou, shared cards, inline mode.

The search state is kept in the user's flow "sr" so that page, filter and back buttons
work from any bot process and after a restart:
    {"q": typed words, "f": {filter key: value}, "fy": true while browsing /foryou,
     "pn": when the /search panel was last used (ISO time; absent: not in the panel)}
Filter keys: fd field (name), ty type (code), di district, wh when ("tw" this week,
"nw" next week, "tm" this month, "d:YYYY-MM-DD" a typed day), on "on"/"off", fr free seats.
Typed words start a new search, with no filter; only while the panel is in use (opened or
used in the last PANEL_MINUTES) do they narrow its filters, which are shown above the
results, each with a ✕ button. A typed day such as "12/3" becomes the "when" filter.
/search always opens a new panel. Greetings and requests for help typed get a menu, and an
adult's words that find nothing outside the panel their role's commands; adults see every
search screen in 합니다체 (handlers/search/typed.py).
Buttons: handlers/search/buttons.py (its old "apply" button is answered by handlers/bookings/).
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler, InlineQueryHandler

from bot.context import JinroContext
from handlers.common import requires
from handlers.search.card import open_shared, show_card
from handlers.search.inline import inline_search
from handlers.search.panel import day_text, search_command, show_panel
from handlers.search.results import for_you_command, show_page
from handlers.search.typed import search_text
from storage import search as search_store
from storage.models import Role

__all__ = [
    "clock_tick",
    "day_text",
    "for_you_command",
    "handlers",
    "inline_search",
    "open_shared",
    "search_command",
    "search_text",
    "show_card",
    "show_page",
    "show_panel",
]


async def clock_tick(application) -> None:
    """Every minute: programmes whose stored next session has begun move to the one after,
    so "the soonest" and "free seats only" stay true between bookings."""
    context = JinroContext(application)
    async with context.db.write() as conn:
        await search_store.refresh_started(conn, now=context.now)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("search", requires(*Role)(search_command)),
        CommandHandler("foryou", for_you_command),
        InlineQueryHandler(inline_search),
    ]
