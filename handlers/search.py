"""Finding programmes: typed words, /search filter buttons, /foryou, shared cards, inline mode.

The search state is kept in the user's flow "sr" so that page, filter and back buttons
work from any bot process and after a restart:
    {"q": typed words, "f": {filter key: value}, "fy": true while browsing /foryou}
Filter keys: fd field (name), ty type (code), di district, wh when ("tw" this week,
"nw" next week, "tm" this month, "d:YYYY-MM-DD" a typed day), on "on"/"off", fr free seats.
Typing words while browsing keeps the filters (they are shown above the results, each
with a ✕ button); a typed day such as "12/3" becomes the "when" filter.
Callback data: sr:pg:N page · sr:p:ID:N card · sr:ap:SESSION apply · sr:m[:KEY] filter
panel or one filter's choices · sr:s:KEY:VALUE set · sr:c:KEY clear ("all": every one) ·
sr:r results. ("all" also forgets the typed words; "f" drops the filters and keeps them.)
"""

from __future__ import annotations

from datetime import date

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, InlineQueryHandler

from bot import days
from bot.context import JinroContext
from handlers import bookings
from handlers.common import (
    answer_query,
    callback_parts,
    deep_link,
    int_part,
    keyboard,
    page_count,
    paging_row,
    reply,
    requires,
    stale_button,
    text_step,
)
from messages import label, normalize_lang, render
from messages.labels import N_
from storage import discover
from storage import inspections as inspections_store
from storage import search as search_store
from storage import users as users_store
from storage.bookings import bookable_site
from storage.catalogue import DISTRICTS, NEIGHBOURS, PROGRAM_TYPES, related_fields
from storage.models import Role

PAGE = 5
QUERY_MAX = 40
INLINE_PAGE = 10
FILTER_KEYS = ("fd", "ty", "di", "wh", "on", "fr")

TYPE_NAMES = {
    "job_practice": N_("job practice"),
    "field_job": N_("on-site job experience"),
    "department": N_("university department"),
    "talk": N_("talk and conversation"),
    "field_trip": N_("field trip"),
    "camp": N_("camp"),
    "online": N_("online"),
}
assert TYPE_NAMES.keys() == PROGRAM_TYPES.keys()
WHEN_NAMES = {"tw": N_("this week"), "nw": N_("next week"), "tm": N_("this month")}
FILTER_NAMES = {
    "fd": N_("Field"),
    "ty": N_("Type"),
    "di": N_("District"),
    "wh": N_("When"),
    "on": N_("Online/offline"),
    "fr": N_("Free seats"),
}


# ----- state ----------------------------------------------------------------------------------


def _state(context: JinroContext) -> dict:
    """The user's search state (empty when they are not searching)."""
    user = context.user
    data = user.flow_data if user.flow in ("sr", "sr.day") else {}
    return {"q": data.get("q", ""), "f": dict(data.get("f", {})), "fy": bool(data.get("fy"))}


async def _save(context: JinroContext, state: dict, flow: str = "sr") -> None:
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, flow, state)


def _filters(chosen: dict, context: JinroContext) -> search_store.Filters:
    span = days.window(chosen["wh"], context.now, context.tz) if "wh" in chosen else None
    return search_store.Filters(
        field=chosen.get("fd"),
        type=chosen.get("ty"),
        district=chosen.get("di"),
        start=span[0] if span else None,
        end=span[1] if span else None,
        online={"on": True, "off": False}.get(chosen.get("on")),
        free_seats=bool(chosen.get("fr")),
    )


def _value_name(lang: str, key: str, value) -> str:
    """How a chosen filter value reads on a button or in the summary line."""
    if key == "ty":
        return label(lang, TYPE_NAMES.get(value, value))
    if key == "wh":
        if value in WHEN_NAMES:
            return label(lang, WHEN_NAMES[value])
        return _day_name(lang, date.fromisoformat(value[2:]))
    if key == "on":
        return label(lang, "online only") if value == "on" else label(lang, "offline only")
    if key == "fr":
        return label(lang, "free seats only")
    return str(value)


def _day_name(lang: str, day: date) -> str:
    return f"{day.month}월 {day.day}일" if lang == "ko" else day.strftime("%d %b").lstrip("0")


def _summary(lang: str, chosen: dict) -> str:
    return " · ".join(_value_name(lang, k, chosen[k]) for k in FILTER_KEYS if k in chosen)


def _clear_rows(lang: str, chosen: dict) -> list[list[tuple[str, str]]]:
    """One ✕ button per chosen filter, three to a row."""
    buttons = [(f"✕ {_value_name(lang, k, chosen[k])}"[:40], f"sr:c:{k}") for k in chosen]
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


# ----- typed words and days -------------------------------------------------------------------


@text_step("sr")
async def search_text(update: Update, context: JinroContext) -> None:
    """Typed words: a new search from the first page; a typed day sets the "when" filter."""
    text = " ".join(update.message.text.split())
    state = _state(context)
    state["fy"] = False
    today = context.now.astimezone(context.tz).date()
    try:
        day = days.parse_day(text, today)
    except days.NotADay:
        await reply(update, context, "search/bad_day", text=text)
        return
    if day is not None:
        state["f"]["wh"] = f"d:{day.isoformat()}"
    else:
        state["q"] = text[:QUERY_MAX]
    await _save(context, state)
    await show_page(update, context, 0)


@text_step("sr.day")
async def day_text(update: Update, context: JinroContext) -> None:
    """The answer to "which day?" after the 📅 button."""
    text = " ".join(update.message.text.split())
    today = context.now.astimezone(context.tz).date()
    try:
        day = days.parse_day(text, today)
    except days.NotADay:
        day = None
    if day is None:
        await reply(update, context, "search/bad_day", text=text[:QUERY_MAX])
        return
    state = _state(context)
    state["f"]["wh"] = f"d:{day.isoformat()}"
    await _save(context, state)
    await show_panel(update, context)


# ----- results --------------------------------------------------------------------------------


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
    rows = [
        *_hit_rows(found, page),
        paging_row(lang, "sr:pg", page, pages),
        *_clear_rows(lang, state["f"]),
        [(label(lang, "⚙️ Filters"), "sr:m")],
    ]
    await reply(
        update,
        context,
        "search/results",
        keyboard(rows),
        edit=edit,
        query=state["q"],
        summary=_summary(lang, state["f"]),
        **_listing(found, page, pages, context),
    )


def _hit_rows(found: search_store.Page, page: int) -> list[list[tuple[str, str]]]:
    return [
        [(f"{page * PAGE + n + 1}. {hit.title}"[:60], f"sr:p:{hit.program_id}:{page}")]
        for n, hit in enumerate(found.hits)
    ]


def _listing(found: search_store.Page, page: int, pages: int, context: JinroContext) -> dict:
    return {
        "hits": found.hits,
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
    rows = [
        [(f"✕ {_value_name(lang, k, chosen[k])} → {total}"[:40], f"sr:c:{k}")] for k, total in relax
    ]
    if unfiltered:
        rows.append([(label(lang, "✕ Drop every filter → %(count)s", count=unfiltered), "sr:c:f")])
    rows += [[(f"{hit.title}"[:60], f"sr:p:{hit.program_id}:0")] for hit in nearby + related]
    rows.append([(label(lang, "⚙️ Filters"), "sr:m")])
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
    await _save(context, {**_state(context), "fy": True})
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
        )
    pages = page_count(found.total, PAGE)
    if found.total and page >= pages:
        await _show_for_you(update, context, pages - 1, edit=edit)
        return
    lang = context.lang
    rows = [
        *_hit_rows(found, page),
        paging_row(lang, "sr:pg", page, pages),
        [(label(lang, "⚙️ Filters"), "sr:m")],
    ]
    await reply(
        update,
        context,
        "search/for_you",
        keyboard(rows),
        edit=edit,
        grade=student.grade,
        district=school.district if school else None,
        fields=fields,
        **_listing(found, page, pages, context),
    )


# ----- the filter panel -----------------------------------------------------------------------


async def search_command(update: Update, context: JinroContext) -> None:
    state = _state(context)
    await _save(context, {**state, "fy": False})
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
            (choice("fd", label(lang, "any")), "sr:m:fd"),
            (choice("ty", label(lang, "any")), "sr:m:ty"),
        ],
        [
            (choice("di", label(lang, "any")), "sr:m:di"),
            (choice("wh", label(lang, "any time")), "sr:m:wh"),
        ],
        [
            (choice("on", label(lang, "both")), f"sr:s:on:{online_next}"),
            (
                ("☑️ " if chosen.get("fr") else "⬜ ") + label(lang, "free seats only"),
                "sr:s:fr:-" if chosen.get("fr") else "sr:s:fr:1",
            ),
        ],
        [(label(lang, "🔎 Show %(total)s", total=total), "sr:r")],
    ]
    if chosen or state["q"]:
        rows[-1].append((label(lang, "✕ Clear all"), "sr:c:all"))
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


async def _show_choices(update: Update, context: JinroContext, key: str) -> None:
    """The buttons of one filter: fields, types, districts or when."""
    lang = context.lang
    if key == "fd":
        async with context.db.read() as conn:
            names = await discover.program_fields(conn)
        options = [(name, f"sr:s:fd:{n}") for n, name in enumerate(names)]
    elif key == "ty":
        options = [(label(lang, TYPE_NAMES[code]), f"sr:s:ty:{code}") for code in TYPE_NAMES]
    elif key == "di":
        options = [(name, f"sr:s:di:{n}") for n, name in enumerate(DISTRICTS)]
    else:
        options = [(label(lang, WHEN_NAMES[k]), f"sr:s:wh:{k}") for k in WHEN_NAMES]
        options.append((label(lang, "📅 Pick a day"), "sr:s:wh:day"))
    rows = [options[i : i + 2] for i in range(0, len(options), 2)]
    rows.append([(label(lang, "any"), f"sr:s:{key}:-"), (label(lang, "◀ Back"), "sr:m")])
    await reply(update, context, "search/choose", keyboard(rows), edit=True, key=key)


async def _set_filter(update: Update, context: JinroContext, key: str, value: str) -> None:
    state = _state(context)
    if value == "day" and key == "wh":
        await answer_query(update)
        await _save(context, state, "sr.day")
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
    await _save(context, state)
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


async def _clear(update: Update, context: JinroContext, key: str) -> None:
    state = _state(context)
    if key == "all":
        state["f"], state["q"] = {}, ""
    elif key == "f":  # every filter, keeping the typed words
        state["f"] = {}
    elif key in FILTER_KEYS:
        state["f"].pop(key, None)
    else:
        await stale_button(update, context)
        return
    await answer_query(update)
    state["fy"] = False
    await _save(context, state)
    await show_page(update, context, 0, edit=True)


# ----- buttons --------------------------------------------------------------------------------


async def on_search_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    if context.user.role is None:  # still joining: search buttons mean nothing yet
        await stale_button(update, context)
    elif action == "p" and None not in (int_part(parts, 2), int_part(parts, 3)):
        await show_card(update, context, int_part(parts, 2), back=f"sr:pg:{int_part(parts, 3)}")
    elif action == "ap" and int_part(parts, 2) is not None:  # cards sent before booking opened
        await bookings.apply_pressed(update, context, int_part(parts, 2))
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


# ----- the detail card ------------------------------------------------------------------------


async def show_card(update: Update, context: JinroContext, program_id: int, back: str) -> None:
    async with context.db.read() as conn:
        found = await search_store.card(conn, program_id, now=context.now)
    if found is None:  # deleted since the list was shown, or forged
        await stale_button(update, context)
        return
    await answer_query(update)
    if context.user.role == Role.STUDENT:
        async with context.db.write() as conn:
            await discover.note_interest(conn, context.user.id, found.program.field)
    await reply(
        update,
        context,
        "search/card",
        _card_keyboard(context, found, back),
        edit=update.callback_query is not None,
        card=found,
        now=context.now,
        tz=context.tz,
        guest=context.user.role is None,
        recheck=inspections_store.RECHECK_AFTER,
    )


def _card_keyboard(context: JinroContext, found, back: str | None):
    rows = _session_buttons(context, found)
    lang = context.lang
    if back == "sr:m":
        rows.append([(label(lang, "🔎 Search programmes"), "sr:m")])
    elif back is not None:
        rows.append([(label(lang, "◀ Back to the list"), back)])
    return keyboard(rows)


def _session_buttons(context: JinroContext, found) -> list[list[tuple[str, str]]]:
    """One button per upcoming session, by role: students apply (or join the line), teachers
    book for a class, staff set a fair opening. None at a site that failed its check or
    whose check has run out (one that needs fixing stays bookable)."""
    lang, tz, role = context.lang, context.tz, context.user.role
    if not bookable_site(found.site, context.now.astimezone(tz).date()):
        return []
    rows = []
    for s in found.sessions:
        when = s.starts_at.astimezone(tz).strftime("%m/%d %H:%M")
        free = s.booked < s.capacity
        if role == Role.STUDENT and (free or s.lottery_until):
            rows.append([(label(lang, "Apply: %(when)s", when=when), f"bk:ap:{s.id}")])
        elif role == Role.STUDENT:
            rows.append(
                [(label(lang, "Join the waiting list: %(when)s", when=when), f"bk:ap:{s.id}")]
            )
        elif role == Role.TEACHER and free:
            rows.append(
                [(label(lang, "📚 Book for my class: %(when)s", when=when), f"cb:new:{s.id}")]
            )
        elif role == Role.STAFF:
            rows.append([(label(lang, "⚖️ Fair opening: %(when)s", when=when), f"fo:s:{s.id}")])
    return rows


async def open_shared(update: Update, context: JinroContext, parameter: str) -> None:
    """/start p_<id>: a programme card someone shared (inline mode) opened in the bot."""
    program_id = int(parameter[2:]) if parameter[2:].isdigit() and len(parameter) < 20 else 0
    async with context.db.read() as conn:
        found = await search_store.card(conn, program_id, now=context.now)
    if found is None:
        await reply(update, context, "search/gone")
        return
    registered = context.user.role is not None
    if registered and context.user.flow not in ("sr", "sr.day"):
        await _save(context, {"q": "", "f": {}, "fy": False})
    if context.user.role == Role.STUDENT:
        async with context.db.write() as conn:
            await discover.note_interest(conn, context.user.id, found.program.field)
    await reply(
        update,
        context,
        "search/card",
        _card_keyboard(context, found, "sr:m") if registered else None,
        card=found,
        now=context.now,
        tz=context.tz,
        guest=not registered,
        recheck=inspections_store.RECHECK_AFTER,
    )


# ----- inline mode ----------------------------------------------------------------------------


async def inline_search(update: Update, context: JinroContext) -> None:
    """@bot words in any chat: matching programmes as cards to share, each with a deep link."""
    query = update.inline_query
    lang = context.user.lang if context.user else normalize_lang(query.from_user.language_code)
    offset = int(query.offset) if query.offset.isdigit() else 0
    async with context.db.read() as conn:
        found = await search_store.search(
            conn,
            " ".join(query.query.split())[:QUERY_MAX],
            offset=offset,
            limit=INLINE_PAGE,
            now=context.now,
        )
    tz = context.tz
    results = []
    for hit in found.hits:
        link = deep_link(context, f"p_{hit.program_id}")
        results.append(
            InlineQueryResultArticle(
                id=str(hit.program_id),
                title=hit.title,
                description=render("search/inline_line", lang, hit=hit, tz=tz).strip(),
                input_message_content=InputTextMessageContent(
                    render("search/shared", lang, hit=hit, link=link, tz=tz)
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
        CallbackQueryHandler(on_search_button, pattern=r"^sr:"),
        InlineQueryHandler(inline_search),
    ]
