"""Names a teacher types for class seats (students not on Telegram): read from the text, and
refused with every reason at once and the text given back.

A refusal saves nothing (all or nothing: the names go on the seats in the order typed) and
loses nothing: each name that cannot go on a roster is listed with why, the names that could
are counted, and what was typed comes back whole, tap-to-copy, to fix and send again (unless
it was one name, quoted whole in the answer). The step stays open.
"""

from __future__ import annotations

import re

from telegram import Update

from bot.context import JinroContext
from handlers.common import reply
from handlers.common.shorten import reply_giving_back
from storage.names import SEAT_NAME_MAX, seat_name_problem

SPLIT = re.compile(r"[,\n]")
QUOTE_MAX = SEAT_NAME_MAX  # of a refused name quoted in the answer; the text comes back whole
LISTED = 10  # refused names listed, then how many more


def typed_names(text: str) -> list[str]:
    """The names in a typed text: separated by commas or new lines, spaces collapsed."""
    names = [" ".join(name.split()) for name in SPLIT.split(text)]
    return [name for name in names if name]


def problems(names: list[str]) -> list[dict]:
    """Each name that is no seat name, with why (storage.names.seat_name_problem), quoted
    short: a name run on from several (commas left out) may be long."""
    refused = []
    for name in names:
        problem = seat_name_problem(name)
        if problem is not None:
            quoted = name if len(name) <= QUOTE_MAX else f"{name[:QUOTE_MAX].rstrip()}…"
            refused.append({"name": quoted, "reason": problem[0], "chars": problem[1]})
    return refused


def _whole(names: list[str]) -> bool:
    """The typed text was one name the answer quotes whole: nothing to give back."""
    return len(names) == 1 and len(names[0]) <= QUOTE_MAX


async def refuse_names(
    update: Update, context: JinroContext, names: list[str], refused: list[dict], *, one: bool
) -> None:
    """Some typed names cannot go on a roster: none is saved. `one`: a seat's name being
    corrected (one name asked for), else names for the unnamed seats."""
    if _whole(names):
        await reply(
            update,
            context,
            "classbook/names_refused",
            typed="",
            apart=False,
            **_listing(names, refused, one),
        )
    else:
        await reply_giving_back(
            update, context, "classbook/names_refused", **_listing(names, refused, one)
        )


def _listing(names: list[str], refused: list[dict], one: bool) -> dict:
    return {
        "refused": refused[:LISTED],
        "more": max(0, len(refused) - LISTED),
        "fine": len(names) - len(refused),
        "spaced": not one and any(r["reason"] == "length" and " " in r["name"] for r in refused),
        "one": one,
    }


async def refuse_too_many(update: Update, context: JinroContext, count: int, free: int) -> None:
    """More names than seats without a name: none is saved, the text comes back to shorten."""
    await reply_giving_back(update, context, "classbook/names_too_many", count=count, free=free)
