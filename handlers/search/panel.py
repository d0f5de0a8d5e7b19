"""The /search filter panel: each filter's choices, setting and clearing them, and the
"which day?" step of the 📅 button."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, days, keyboard, reply, stale_button, text_step
from handlers.search.buttons import CLEAR, PANEL, RESULTS, SET
from handlers.search.common import (
    FILTER_NAMES,
    QUERY_MAX,
    TYPE_NAMES,
    WHEN_NAMES,
    _filters,
    _save,
    _state,
    _summary,
    _value_name,
    fresh_state,
    panel_used,
)
from handlers.search.results import show_page
from messages import label
from messages.vocabulary import district_name, field_name
from storage import discover, moments
from storage import search as search_store
from storage.catalogue import DISTRICTS

# ----- the "which day?" step ------------------------------------------------------------------


@text_step("sr.day")
async def day_text(update: Update, context: JinroContext) -> None:
    """The answer to "which day?" after the 📅 button."""
    text = " ".join(update.message.text.split())
    today = context.now.astimezone(context.tz).date()
    try:  # asked for a day: "내일", "토요일", "다음 주 화요일" are days here too
        day = moments.day(text, today)
        # and a day with a time ("내일 오후 3시") is that day from that time on
        at = None if day is not None else days.parse_moment(text, today, context.tz, context.now)
    except days.NotADay:
        day = at = None
    if day is None and at is None:
        await reply(update, context, "search/bad_day", text=text[:QUERY_MAX])
        return
    state = _state(context)
    state["f"]["wh"] = days.moment_key(at, context.tz) if at else f"d:{day.isoformat()}"
    await _save(context, panel_used(context, state))
    await show_panel(update, context)


# ----- the filter panel -----------------------------------------------------------------------


async def search_command(update: Update, context: JinroContext) -> None:
    """/search: the panel of a new search (words and filters of an earlier one would narrow
    it without being seen asked for)."""
    await _save(context, panel_used(context, fresh_state()))
    await show_panel(update, context)


async def show_panel(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    state = _state(context)
    chosen, lang = state["f"], context.lang
    async with context.db.read() as conn:
        total = (
            await search_store.search(
                conn, state["q"], _filters(chosen, context), limit=0, now=context.now
            )
        ).total

    def choice(key: str, anything: str) -> str:
        value = _value_name(lang, key, chosen[key]) if key in chosen else anything
        return f"{label(lang, FILTER_NAMES[key])}: {value}"[:40]

    online_next = {None: "on", "on": "off", "off": "-"}[chosen.get("on")]
    rows = [
        [
            PANEL(choice("fd", label(lang, "any")), "fd"),
            PANEL(choice("ty", label(lang, "any")), "ty"),
        ],
        [
            PANEL(choice("di", label(lang, "any")), "di"),
            PANEL(choice("wh", label(lang, "any time")), "wh"),
        ],
        [
            SET(choice("on", label(lang, "both")), "on", online_next),
            SET(
                ("☑️ " if chosen.get("fr") else "⬜ ") + label(lang, "free seats only"),
                "fr",
                "-" if chosen.get("fr") else "1",
            ),
        ],
        [RESULTS(label(lang, "🔎 Show %(total)s", total=total))],
    ]
    if chosen or state["q"]:
        rows[-1].append(CLEAR(label(lang, "✕ Clear all"), "all"))
    await reply(
        update,
        context,
        "search/filters",
        keyboard(rows),
        edit=edit,
        query=state["q"],
        summary=_summary(lang, chosen),
        total=total,
    )


@PANEL.handles
async def panel_pressed(update: Update, context: JinroContext, key: str | None) -> None:
    await answer_query(update)
    if key is not None:
        await show_choices(update, context, key)
        return
    # Leaves the "which day?" step, if in it; typed words now narrow these filters.
    await _save(context, panel_used(context, _state(context)))
    await show_panel(update, context, edit=True)


async def show_choices(update: Update, context: JinroContext, key: str) -> None:
    """The buttons of one filter: fields, types, districts or when."""
    lang = context.lang
    if key == "fd":
        async with context.db.read() as conn:
            names = await discover.program_fields(conn)
        options = [SET(field_name(lang, name), "fd", str(n)) for n, name in enumerate(names)]
    elif key == "ty":
        options = [SET(label(lang, TYPE_NAMES[code]), "ty", code) for code in TYPE_NAMES]
    elif key == "di":
        options = [SET(district_name(lang, name), "di", str(n)) for n, name in enumerate(DISTRICTS)]
    else:
        options = [SET(label(lang, WHEN_NAMES[k]), "wh", k) for k in WHEN_NAMES]
        options.append(SET(label(lang, "📅 Pick a day"), "wh", "day"))
    rows = [options[i : i + 2] for i in range(0, len(options), 2)]
    rows.append([SET(label(lang, "any"), key, "-"), PANEL(label(lang, "◀ Back"))])
    await reply(update, context, "search/choose", keyboard(rows), edit=True, key=key)


@SET.handles
async def set_filter(update: Update, context: JinroContext, key: str, value: str) -> None:
    state = _state(context)
    if value == "day" and key == "wh":
        await answer_query(update)
        await _save(context, panel_used(context, state), "sr.day")
        await reply(update, context, "search/ask_day", edit=True)
        return
    chosen = await _chosen_value(context, key, value)
    if chosen is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    if chosen == "-":
        state["f"].pop(key, None)
    else:
        state["f"][key] = chosen
    await _save(context, panel_used(context, state))
    await show_panel(update, context, edit=True)


async def _chosen_value(context: JinroContext, key: str, value: str) -> str | int | None:
    """The filter value a button stands for, or None when the button is old or forged."""
    if value == "-":
        return "-"
    if key == "fd":
        async with context.db.read() as conn:
            names = await discover.program_fields(conn)
        index = int(value) if value.isdigit() else len(names)
        return names[index] if index < len(names) else None
    if key == "di":
        index = int(value) if value.isdigit() else len(DISTRICTS)
        return DISTRICTS[index] if index < len(DISTRICTS) else None
    allowed = {"ty": TYPE_NAMES, "wh": WHEN_NAMES, "on": ("on", "off"), "fr": ("1",)}
    if value not in allowed.get(key, ()):
        return None
    return 1 if key == "fr" else value


@CLEAR.handles
async def clear_filter(update: Update, context: JinroContext, key: str) -> None:
    state = _state(context)
    if key == "all":
        state["f"], state["q"] = {}, ""
    elif key == "f":  # every filter, keeping the typed words
        state["f"] = {}
    else:
        state["f"].pop(key, None)
    await answer_query(update)
    state["fy"] = False
    await _save(context, state)
    await show_page(update, context, 0, edit=True)
