"""Search by typing: words typed outside any other flow list matching programmes, 5 a page.

The query is kept in the user's flow ("sr") so the page buttons and "back to the
list" work from any bot process; typing again while browsing starts a new search.
Filters (/search buttons), "for you" and inline mode come in the next steps of issue 3.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    page_count,
    paging_row,
    reply,
    stale_button,
    text_step,
)
from messages import label
from storage import search as search_store
from storage import users as users_store

PAGE = 5
QUERY_MAX = 40


@text_step("sr")
async def search_text(update: Update, context: JinroContext) -> None:
    """Typed words: a new search from the first page."""
    query = " ".join(update.message.text.split())[:QUERY_MAX]
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, "sr", {"q": query})
    await show_page(update, context, 0)


async def show_page(
    update: Update, context: JinroContext, page: int, *, edit: bool = False
) -> None:
    query = context.user.flow_data.get("q", "")
    async with context.db.read() as conn:
        found = await search_store.search(conn, query, offset=page * PAGE, limit=PAGE)
    if found.total == 0:
        await reply(update, context, "search/no_results", edit=edit, query=query)
        return
    pages = page_count(found.total, PAGE)
    if page >= pages:  # an old page button after the results shrank
        await show_page(update, context, pages - 1, edit=edit)
        return
    lang = context.lang
    rows = [
        [(f"{page * PAGE + n + 1}. {hit.title}"[:60], f"sr:p:{hit.program_id}:{page}")]
        for n, hit in enumerate(found.hits)
    ]
    await reply(
        update,
        context,
        "search/results",
        keyboard([*rows, paging_row(lang, "sr:pg", page, pages)]),
        edit=edit,
        query=query,
        hits=found.hits,
        total=found.total,
        page=page + 1,
        pages=pages,
        first=page * PAGE + 1,
        tz=context.settings.tz,
    )


async def on_search_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if context.user.flow != "sr" or len(parts) < 3:
        await stale_button(update, context)
        return
    if parts[1] == "pg" and int_part(parts, 2) is not None:
        await answer_query(update)
        await show_page(update, context, int_part(parts, 2), edit=True)
    elif (
        parts[1] == "p" and len(parts) == 4 and None not in (int_part(parts, 2), int_part(parts, 3))
    ):
        await show_card(update, context, int_part(parts, 2), int_part(parts, 3))
    elif parts[1] == "ap" and int_part(parts, 2) is not None:
        # Applying is the booking issue's work; until then say so plainly.
        await answer_query(update, label(context.lang, "Applying opens soon."), alert=True)
    else:
        await stale_button(update, context)


async def show_card(update: Update, context: JinroContext, program_id: int, page: int) -> None:
    async with context.db.read() as conn:
        found = await search_store.card(conn, program_id)
    if found is None:  # deleted since the list was shown, or forged
        await stale_button(update, context)
        return
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            (
                label(
                    lang,
                    "Apply: %(when)s",
                    when=s.starts_at.astimezone(context.settings.tz).strftime("%m/%d %H:%M"),
                ),
                f"sr:ap:{s.id}",
            )
        ]
        for s in found.sessions
    ]
    rows.append([(label(lang, "◀ Back to the list"), f"sr:pg:{page}")])
    await reply(
        update,
        context,
        "search/card",
        keyboard(rows),
        edit=True,
        card=found,
        tz=context.settings.tz,
    )


def handlers() -> list[BaseHandler]:
    return [CallbackQueryHandler(on_search_button, pattern=r"^sr:")]
