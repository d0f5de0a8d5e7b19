"""Search results: typed words, a page of matching programmes (or what to drop when none
match), and /foryou."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    Handler,
    answer_query,
    days,
    keyboard,
    page_count,
    pages_row,
    reply,
    requires,
    stale_button,
)
from handlers.search.buttons import CARD, CLEAR, LIST, PANEL, RESULTS, SAME_FIELD
from handlers.search.common import (
    FILTER_NAMES,
    QUERY_MAX,
    _clear_rows,
    _filters,
    _save,
    _state,
    _summary,
    _value_name,
    closed_hits,
    fresh_state,
    in_panel,
    panel_used,
)
from messages import label
from storage import discover
from storage import search as search_store
from storage import users as users_store
from storage.catalogue import NEIGHBOURS, related_fields
from storage.models import Role

PAGE = 5


# ----- typed words and days -------------------------------------------------------------------


async def search_words(
    update: Update, context: JinroContext, text: str, *, if_none: Handler | None = None
) -> None:
    """Typed words: a new search from the first page; a typed day sets the "when" filter.
    Only while the /search panel is in use do they narrow its filters (shown above the
    results, each with its ✕); otherwise the search starts afresh, with no filter.
    `if_none`: what answers a fresh search that finds nothing, instead of what to drop."""
    state = _state(context)
    state = (
        {**panel_used(context, state), "fy": False} if in_panel(context, state) else fresh_state()
    )
    today = context.now.astimezone(context.tz).date()
    try:
        day = days.parse_day(text, today)
        # A day with a time ("내일 오후 3시"): that day from that time on.
        at = None if day is not None else days.parse_moment(text, today, context.tz, context.now)
    except days.NotADay:
        await reply(update, context, "search/bad_day", text=text[:QUERY_MAX])
        return
    if at is not None:
        state["f"]["wh"] = days.moment_key(at, context.tz)
    elif day is not None:
        state["f"]["wh"] = f"d:{day.isoformat()}"
    else:
        state["q"] = text[:QUERY_MAX]
    await _save(context, state)
    if if_none is not None and not state.get("pn") and await _total(context, state) == 0:
        await if_none(update, context)
        return
    await show_page(update, context, 0)


async def _total(context: JinroContext, state: dict) -> int:
    async with context.db.read() as conn:
        found = await search_store.search(
            conn, state["q"], _filters(state["f"], context), limit=0, now=context.now
        )
    return found.total


# ----- results --------------------------------------------------------------------------------


@LIST.handles
async def page_pressed(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await show_page(update, context, page, edit=True)


@RESULTS.handles
async def results_pressed(update: Update, context: JinroContext) -> None:
    """🔎 on the filter panel: the results of its filters, from the first page."""
    await answer_query(update)
    await _save(context, {**panel_used(context, _state(context)), "fy": False})
    await show_page(update, context, 0, edit=True)


@SAME_FIELD.handles
async def same_field_pressed(update: Update, context: JinroContext, program_id: int) -> None:
    """The programmes of a programme's field, as a new search and a new message (the message
    pressed, a booking or a mentor request, stays as it was)."""
    async with context.db.read() as conn:
        found = await search_store.card(conn, program_id, now=context.now)
    if found is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _save(context, {**fresh_state(), "f": {"fd": found.program.field}})
    await show_page(update, context, 0)


async def show_page(
    update: Update, context: JinroContext, page: int, *, edit: bool = False
) -> None:
    state = _state(context)
    if state["fy"]:
        await _show_for_you(update, context, page, edit=edit)
        return
    filters = _filters(state["f"], context)
    async with context.db.read() as conn:
        found = await search_store.search(
            conn, state["q"], filters, offset=page * PAGE, limit=PAGE, now=context.now
        )
    if found.total == 0:
        await _show_nothing(update, context, state, edit=edit)
        return
    pages = page_count(found.total, PAGE)
    if page >= pages:  # an old page button after the results shrank
        await show_page(update, context, pages - 1, edit=edit)
        return
    lang = context.lang
    await reply(
        update,
        context,
        "search/results",
        _page_keyboard(lang, found, page, pages, _clear_rows(lang, state["f"])),
        edit=edit,
        query=state["q"],
        summary=_summary(lang, state["f"]),
        **_listing(found, page, pages, context),
    )


def _page_keyboard(lang: str, found: search_store.Page, page: int, pages: int, clear=()):
    """A page of programmes (search results or /foryou): one button each, the pages, the
    filters to drop (`clear`), the filter panel."""
    hits = [
        [CARD(f"{page * PAGE + n + 1}. {hit.title}"[:60], hit.program_id, page)]
        for n, hit in enumerate(found.hits)
    ]
    panel = [PANEL(label(lang, "⚙️ Filters"))]
    return keyboard([*hits, pages_row(lang, LIST, page, pages), *clear, panel])


def _listing(found: search_store.Page, page: int, pages: int, context: JinroContext) -> dict:
    return {
        "hits": found.hits,
        "closed": closed_hits(context, found.hits),
        "total": found.total,
        "page": page + 1,
        "pages": pages,
        "first": page * PAGE + 1,
        "tz": context.tz,
    }


async def _show_nothing(update: Update, context: JinroContext, state: dict, *, edit: bool) -> None:
    """No results: which filter to drop (with what it would give), and nearby programmes."""
    lang, chosen, query = context.lang, state["f"], state["q"]
    relax, nearby, related = [], [], []
    async with context.db.read() as conn:
        for key in chosen:
            rest = {k: v for k, v in chosen.items() if k != key}
            total = (
                await search_store.search(
                    conn, query, _filters(rest, context), limit=0, now=context.now
                )
            ).total
            if total:
                relax.append((key, total))
        unfiltered = 0
        if len(chosen) > 1:  # with one filter, dropping it is already offered above
            unfiltered = (await search_store.search(conn, query, limit=0, now=context.now)).total
        if "di" in chosen:
            nearby = await _alternatives(
                conn, context, query, chosen, "di", NEIGHBOURS.get(chosen["di"], ())
            )
        if "fd" in chosen:
            related = await _alternatives(
                conn, context, query, chosen, "fd", related_fields(chosen["fd"])
            )
    rows = [[CLEAR(f"✕ {_value_name(lang, k, chosen[k])} → {total}"[:40], k)] for k, total in relax]
    if unfiltered:
        rows.append([CLEAR(label(lang, "✕ Drop every filter → %(count)s", count=unfiltered), "f")])
    rows += [[CARD(f"{hit.title}"[:60], hit.program_id, 0)] for hit in nearby + related]
    rows.append([PANEL(label(lang, "⚙️ Filters"))])
    await reply(
        update,
        context,
        "search/no_results",
        keyboard(rows),
        edit=edit,
        query=query,
        summary=_summary(lang, chosen),
        relax=[{"name": label(lang, FILTER_NAMES[k]), "count": n} for k, n in relax],
        unfiltered=unfiltered,
        nearby=nearby,
        related=related,
        tz=context.tz,
    )


async def _alternatives(conn, context, query: str, chosen: dict, key: str, values) -> list:
    """Up to three programmes found when filter `key` takes one of `values` instead."""
    hits = []
    for value in values:
        found = await search_store.search(
            conn,
            query,
            _filters({**chosen, key: value}, context),
            limit=3 - len(hits),
            now=context.now,
        )
        hits += found.hits
        if len(hits) >= 3:
            break
    return hits


# ----- "for you" ------------------------------------------------------------------------------


@requires(Role.STUDENT)
async def for_you_command(update: Update, context: JinroContext) -> None:
    await _save(context, {**fresh_state(), "fy": True})
    await _show_for_you(update, context, 0)


async def _show_for_you(
    update: Update, context: JinroContext, page: int, *, edit: bool = False
) -> None:
    student = context.user
    async with context.db.read() as conn:
        school = await users_store.school(conn, student.school_id)
        fields = await discover.top_interests(conn, student.id)
        found = await discover.for_you(
            conn,
            grade=student.grade,
            district=school.district if school else None,
            fields=fields,
            offset=page * PAGE,
            limit=PAGE,
            now=context.now,
            unchecked_ok=context.settings.unchecked_sites_bookable,
        )
    pages = page_count(found.total, PAGE)
    if found.total and page >= pages:
        await _show_for_you(update, context, pages - 1, edit=edit)
        return
    await reply(
        update,
        context,
        "search/for_you",
        _page_keyboard(context.lang, found, page, pages),
        edit=edit,
        grade=student.grade,
        district=school.district if school else None,
        fields=fields,
        **_listing(found, page, pages, context),
    )
