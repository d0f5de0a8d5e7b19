"""A programme card shown again where it already is, with its seats as they are now: search
draws cards and registers how (`card_painter`); an area that changes seats (bookings, after
a seat is taken or given back) asks for it (`repaint_card`), so no area imports another."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram.error import BadRequest

from bot.context import JinroContext

log = logging.getLogger(__name__)

# (context, chat id, the card's message id, programme id, the results page its "back" button
# returns to, or None for a card with no list behind it)
CardPainter = Callable[[JinroContext, int, int, int, int | None], Awaitable[None]]
_PAINTERS: list[CardPainter] = []


def card_painter(painter: CardPainter) -> CardPainter:
    """Register the one function that draws a programme card into an existing message."""
    _PAINTERS[:] = [painter]
    return painter


async def repaint_card(
    context: JinroContext, chat_id: int, message_id: int, program_id: int, page: int | None
) -> None:
    """Draw the card again in its message. A card that is gone (deleted, too old to edit)
    or already as it should be is left alone: what just happened is told separately."""
    if not _PAINTERS:
        return
    try:
        await _PAINTERS[0](context, chat_id, message_id, program_id, page)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            log.info("card not repainted: %s", error)
