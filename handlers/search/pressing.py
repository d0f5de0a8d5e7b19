"""The sr: buttons: pages, cards and the filter panel's buttons, each checked against the
search it belongs to."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, callback_parts, int_part, stale_button
from handlers.search.card import show_card
from handlers.search.common import FILTER_KEYS, _save, _state
from handlers.search.panel import _clear, _set_filter, _show_choices, show_panel
from handlers.search.results import show_page

# ----- buttons --------------------------------------------------------------------------------


async def on_search_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    if context.user.role is None:  # still joining: search buttons mean nothing yet
        await stale_button(update, context)
    elif action == "p" and None not in (int_part(parts, 2), int_part(parts, 3)):
        await show_card(update, context, int_part(parts, 2), back=f"sr:pg:{int_part(parts, 3)}")
    elif context.user.flow not in ("sr", "sr.day"):
        # Paging and filters need the search this message belongs to; it has been left.
        await stale_button(update, context)
    elif action == "pg" and int_part(parts, 2) is not None:
        await answer_query(update)
        await show_page(update, context, int_part(parts, 2), edit=True)
    elif action == "m" and len(parts) == 2:
        await answer_query(update)
        await _save(context, _state(context))  # leaves the "which day?" step, if in it
        await show_panel(update, context, edit=True)
    elif action == "m" and len(parts) == 3 and parts[2] in ("fd", "ty", "di", "wh"):
        await answer_query(update)
        await _show_choices(update, context, parts[2])
    elif action == "s" and len(parts) == 4 and parts[2] in FILTER_KEYS:
        await _set_filter(update, context, parts[2], parts[3])
    elif action == "c" and len(parts) == 3:
        await _clear(update, context, parts[2])
    elif action == "r" and len(parts) == 2:
        await answer_query(update)
        await _save(context, {**_state(context), "fy": False})
        await show_page(update, context, 0, edit=True)
    else:
        await stale_button(update, context)
