"""Inline mode: @bot words in any chat list matching programmes as cards to share."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)

from bot.context import JinroContext
from handlers.common import deep_link
from handlers.common.buttons import Number
from handlers.search.common import QUERY_MAX, closed_hits
from messages import label, normalize_lang, render
from storage import search as search_store

INLINE_PAGE = 10


# Telegram shows at most a few hundred inline results anyway; an offset past this is forged.
INLINE_OFFSET = Number(0, 10_000)


# ----- inline mode ----------------------------------------------------------------------------


async def inline_search(update: Update, context: JinroContext) -> None:
    """@bot words in any chat: matching programmes as cards to share, each with a deep link."""
    query = update.inline_query
    lang = context.user.lang if context.user else normalize_lang(query.from_user.language_code)
    # The offset is ours (next_offset below), but the client sends it back: any string.
    offset = INLINE_OFFSET.match(query.offset) or 0
    async with context.db.read() as conn:
        found = await search_store.search(
            conn,
            " ".join(query.query.split())[:QUERY_MAX],
            offset=offset,
            limit=INLINE_PAGE,
            now=context.now,
        )
    tz = context.tz
    closed = closed_hits(context, found.hits)
    results = []
    for hit in found.hits:
        link = deep_link(context, f"p_{hit.program_id}")
        results.append(
            InlineQueryResultArticle(
                id=str(hit.program_id),
                title=hit.title,
                description=render("search/inline_line", lang, hit=hit, tz=tz).strip(),
                input_message_content=InputTextMessageContent(
                    render("search/shared", lang, hit=hit, link=link, tz=tz, closed=closed)
                ),
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton(label(lang, "Open in Jinro"), url=link)]]
                ),
            )
        )
    more = offset + INLINE_PAGE < found.total
    await query.answer(
        results,
        cache_time=60,
        is_personal=False,
        next_offset=str(offset + INLINE_PAGE) if more else "",
    )
