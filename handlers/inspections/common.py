"""What the inspection screens share: the page size, the default checklist's words,
an item as a message shows it, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import JinroContext
from handlers.common import leave_flow
from messages import label
from messages.labels import N_
from storage.names import shared_name

PAGE = 8

# The default checklist's words, by key (storage.inspections.DEFAULT_ITEMS); an item staff
# typed is shown as written.
ITEM_NAMES = {
    "exits": N_("Emergency exits and evacuation plan"),
    "first_aid": N_("First-aid kit"),
    "insurance": N_("Insurance covering participants"),
    "hazards": N_("Hazardous equipment kept apart"),
    "briefing": N_("Safety briefing given to students"),
    "rest_area": N_("Toilets and a rest area"),
    "supervisor": N_("A supervising adult present"),
    "as_described": N_("Programme matches its description"),
}


def item_name(lang: str, item) -> str:
    if item.key is not None:
        msgid = ITEM_NAMES.get(item.key)
        return label(lang, msgid) if msgid else item.key
    return item.text or ""


@dataclass(frozen=True)
class Line:
    """One checklist item as a message shows it."""

    number: int
    name: str
    result: str | None
    note: str | None
    photo: bool


def lines(lang: str, found) -> list[Line]:
    return [Line(i.position, item_name(lang, i), i.result, i.note, bool(i.photo)) for i in found]


def _today(context: JinroContext):
    return context.now.astimezone(context.tz).date()


async def _leave_flow(context: JinroContext) -> None:
    await leave_flow(context, "is.", "ck.")


def _flow_is(context: JinroContext, flow: str, inspection_id: int) -> bool:
    data = context.user.flow_data or {}
    return context.user.flow == flow and data.get("i") == inspection_id


def _who(row) -> str:
    """The monitor's whole name, as every adult is named to others (storage/names.py): the
    texts around it add 님 and the parent team, as messages/people.py does."""
    return shared_name(row.monitor_name, "monitor")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
