"""What the search screens share: the filter names, and the user's search state in flow "sr"."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.context import JinroContext
from handlers.common import days
from handlers.search.buttons import CLEAR, FILTER_KEYS, TYPES
from messages import label
from messages.labels import N_
from messages.vocabulary import district_name, field_name
from storage import search as search_store
from storage import users as users_store
from storage.bookings import bookable_site
from storage.catalogue import PROGRAM_TYPES

QUERY_MAX = 40
# Typed words narrow the /search panel's filters only this soon after the panel was last
# used; later (or without the panel) they start a new search, so no filter sticks unasked.
PANEL_MINUTES = 30

TYPE_NAMES = {
    "job_practice": N_("job practice"),
    "field_job": N_("on-site job experience"),
    "department": N_("university department"),
    "talk": N_("talk and conversation"),
    "field_trip": N_("field trip"),
    "camp": N_("camp"),
    "online": N_("online"),
}
assert TYPE_NAMES.keys() == PROGRAM_TYPES.keys() == set(TYPES)
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


def takes_bookings(context: JinroContext, site) -> bool:
    """Whether a site (a row with its safety check) takes bookings on the city's today: not
    after a failed or expired check, nor before the first one unless the city allows it."""
    today = context.now.astimezone(context.tz).date()
    unchecked_ok = context.settings.unchecked_sites_bookable
    return bookable_site(site, today, unchecked_ok=unchecked_ok)


def closed_hits(context: JinroContext, hits) -> set[int]:
    """The programmes among `hits` whose site takes no bookings today: listed with their
    next date but no free seats, which nobody could take."""
    return {h.program_id for h in hits if not takes_bookings(context, h)}


def _state(context: JinroContext) -> dict:
    """The user's search state (empty when they are not searching)."""
    user = context.user
    data = user.flow_data if user.flow in ("sr", "sr.day") else {}
    state = {"q": data.get("q", ""), "f": dict(data.get("f", {})), "fy": bool(data.get("fy"))}
    if data.get("pn"):
        state["pn"] = data["pn"]
    return state


def fresh_state() -> dict:
    """A new search: no words, no filters, not in the panel."""
    return {"q": "", "f": {}, "fy": False}


def in_panel(context: JinroContext, state: dict) -> bool:
    """The user is using the /search panel now: it was opened or used within PANEL_MINUTES."""
    if not state.get("pn"):
        return False
    used = datetime.fromisoformat(state["pn"])
    return timedelta(0) <= context.now - used < timedelta(minutes=PANEL_MINUTES)


def panel_used(context: JinroContext, state: dict) -> dict:
    """`state` marked as in the panel from now on."""
    return {**state, "pn": context.now.isoformat()}


async def _save(context: JinroContext, state: dict, flow: str = "sr") -> None:
    """The search's words and filters, for its buttons; a step, not recorded (set_flow)."""
    async with context.db.write(idempotent=True) as conn:
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
        if value.startswith("t:"):  # a typed day with a time: from that time on
            at = datetime.fromisoformat(value[2:])
            return label(
                lang, "%(day)s from %(time)s", day=_day_name(lang, at.date()), time=f"{at:%H:%M}"
            )
        return _day_name(lang, date.fromisoformat(value[2:]))
    if key == "on":
        return label(lang, "online only") if value == "on" else label(lang, "offline only")
    if key == "fr":
        return label(lang, "free seats only")
    if key == "di":
        return district_name(lang, value)
    if key == "fd":
        return field_name(lang, value)
    return str(value)


def _day_name(lang: str, day: date) -> str:
    return f"{day.month}월 {day.day}일" if lang == "ko" else day.strftime("%d %b").lstrip("0")


def _summary(lang: str, chosen: dict) -> str:
    return " · ".join(_value_name(lang, k, chosen[k]) for k in FILTER_KEYS if k in chosen)


def _clear_rows(lang: str, chosen: dict) -> list[list[tuple[str, str]]]:
    """One ✕ button per chosen filter, three to a row."""
    buttons = [CLEAR(f"✕ {_value_name(lang, k, chosen[k])}"[:40], k) for k in chosen]
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
