"""Picking a session to book a class on: the open sessions, soonest first, narrowed the way
students search: typed words (the search of storage/search), a typed day or this week / next
week / this month (handlers/common/days.py), a district, a field.

The choices live in the teacher's step "cb.find" ({"q": words, "wh": when, "di": district,
"fd": field}); /classbook starts without any. Words find programmes (at most FOUND of them,
the best first); the list shows their sessions open for a class.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.context import JinroContext
from handlers.classbook.buttons import FILTER, HOME, SESSION, SESSIONS, SET
from handlers.common import (
    answer_query,
    days,
    fetch_page,
    keyboard,
    reply,
    reply_page,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.days import short
from messages import label
from messages.labels import N_
from messages.vocabulary import district_name, field_name
from storage import discover
from storage import pending as pending_store
from storage import search as search_store
from storage.catalogue import DISTRICTS

PAGE = 8
FOUND = 200  # programmes a search narrows the list to: the best matches
QUERY_MAX = 40
WHEN_NAMES = {"tw": N_("this week"), "nw": N_("next week"), "tm": N_("this month")}


def _chosen(context: JinroContext) -> dict:
    """The teacher's choices while they pick a session; none outside the step."""
    user = context.user
    return dict(user.flow_data or {}) if user.flow == "cb.find" else {}


@SESSIONS.handles
async def show_sessions(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await show_page(update, context, _chosen(context), page, edit=True)


async def show_page(
    update: Update, context: JinroContext, chosen: dict, page: int, *, edit: bool
) -> None:
    if context.user.flow != "cb.find" or context.user.flow_data != chosen:
        await set_flow(context, "cb.find", chosen)
    async with context.db.read() as conn:
        shown = await fetch_page(_sessions, conn, context, chosen, index=page, size=PAGE)
    lang, tz = context.lang, context.tz
    rows = [
        [SESSION(f"{short(lang, s.starts_at, tz, clock=True)} {s.title}"[:60], s.id)]
        for s in shown.items
    ]
    filters = [
        FILTER(label(lang, "🗓 When"), "wh"),
        FILTER(label(lang, "📍 District"), "di"),
        FILTER(label(lang, "🏷 Field"), "fd"),
    ]
    below = [filters]
    if chosen:
        below.append([SET(label(lang, "✕ Clear the search"), "x", "-")])
    below.append([HOME(label(lang, "◀ My class bookings"))])
    await reply_page(
        update,
        context,
        "classbook/sessions",
        shown,
        shown.markup(lang, rows, SESSIONS, below=below),
        edit=edit,
        sessions=shown.items,
        summary=_summary(lang, chosen),
        tz=tz,
    )


async def _sessions(conn, context: JinroContext, chosen: dict, *, offset: int, limit: int):
    """A page of the open sessions that fit the choices, and how many fit."""
    span = days.window(chosen["wh"], context.now, context.tz) if "wh" in chosen else None
    start, end = span if span else (None, None)
    program_ids = None
    if chosen.get("q") or chosen.get("di") or chosen.get("fd"):
        filters = search_store.Filters(
            field=chosen.get("fd"),
            district=chosen.get("di"),
            start=start,
            end=end,
            free_seats=True,
        )
        found = await search_store.search(
            conn, chosen.get("q", ""), filters, limit=FOUND, now=context.now
        )
        program_ids = [hit.program_id for hit in found.hits]
    return await pending_store.open_sessions(
        conn,
        now=context.now,
        offset=offset,
        limit=limit,
        program_ids=program_ids,
        start=start,
        end=end,
        unchecked_ok=context.settings.unchecked_sites_bookable,
    )


def _summary(lang: str, chosen: dict) -> str:
    """The choices in one line: “방송” · 이번 주 · 덕양구 · 방송영상 (districts and fields in
    the reader's language)."""
    parts = [f"“{chosen['q']}”"] if chosen.get("q") else []
    when = chosen.get("wh")
    if when in WHEN_NAMES:
        parts.append(label(lang, WHEN_NAMES[when]))
    elif when:
        at = datetime.fromisoformat(when[2:])
        day = f"{at.month}월 {at.day}일" if lang == "ko" else f"{at:%d %b}".lstrip("0")
        if when.startswith("t:"):  # a typed day with a time: from that time on
            day = label(lang, "%(day)s from %(time)s", day=day, time=f"{at:%H:%M}")
        parts.append(day)
    if chosen.get("di"):
        parts.append(district_name(lang, chosen["di"]))
    if chosen.get("fd"):
        parts.append(field_name(lang, chosen["fd"]))
    return " · ".join(parts)


@text_step("cb.find")
async def words_typed(update: Update, context: JinroContext) -> None:
    """Words narrow the list (a new search of words, the other choices kept); a day sets
    when."""
    text = " ".join(update.message.text.split())
    chosen = _chosen(context)
    today = context.now.astimezone(context.tz).date()
    try:
        day = days.parse_day(text, today)
        # A day with a time ("내일 오후 3시"): that day from that time on, as students search.
        at = None if day is not None else days.parse_moment(text, today, context.tz, context.now)
    except days.NotADay:
        await reply(update, context, "search/bad_day", text=text[:QUERY_MAX])
        return
    if at is not None:
        chosen["wh"] = days.moment_key(at, context.tz)
    elif day is not None:
        chosen["wh"] = f"d:{day.isoformat()}"
    elif text:
        chosen["q"] = text[:QUERY_MAX]
    await show_page(update, context, chosen, 0, edit=False)


@FILTER.handles
async def filter_pressed(update: Update, context: JinroContext, key: str) -> None:
    """One choice's buttons: when, district or field."""
    lang = context.lang
    if key == "wh":
        options = [SET(label(lang, WHEN_NAMES[k]), "wh", k) for k in WHEN_NAMES]
    elif key == "di":
        options = [SET(district_name(lang, name), "di", str(n)) for n, name in enumerate(DISTRICTS)]
    else:
        async with context.db.read() as conn:
            names = await discover.program_fields(conn)
        options = [
            SET(field_name(lang, name)[:30], "fd", str(n)) for n, name in enumerate(names[:90])
        ]
    await answer_query(update)
    rows = [options[i : i + 3] for i in range(0, len(options), 3)]
    rows.append([SET(label(lang, "any"), key, "-"), SESSIONS(label(lang, "◀ Back"), 0)])
    await reply(update, context, "search/choose", keyboard(rows), edit=True, key=key)


@SET.handles
async def set_pressed(update: Update, context: JinroContext, key: str, value: str) -> None:
    chosen = _chosen(context)
    if key == "x":
        chosen = {}
    elif value == "-":
        chosen.pop(key, None)
    else:
        picked = await _value(context, key, value)
        if picked is None:  # an old list of fields, or forged
            await stale_button(update, context)
            return
        chosen[key] = picked
    await answer_query(update)
    await show_page(update, context, chosen, 0, edit=True)


async def _value(context: JinroContext, key: str, value: str) -> str | None:
    if key == "wh":
        return value if value in WHEN_NAMES else None
    if not value.isdigit():
        return None
    if key == "di":
        names = DISTRICTS
    else:
        async with context.db.read() as conn:
            names = await discover.program_fields(conn)
    return names[int(value)] if int(value) < len(names) else None
