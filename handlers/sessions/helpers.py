"""Small helpers of the site's sessions: the site, local days and times, a typed count."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from telegram import Update

from bot.context import JinroContext
from handlers.common import leave_flow, reply, set_flow
from handlers.common.days import short

MAX_CAPACITY = 1000  # as the spreadsheet import allows
# What a session keeps of typed text (storage/models/programs.py): a longer one comes back.
REASON_MAX, PLACE_MAX, LINK_MAX = 200, 200, 300


# ----- small helpers --------------------------------------------------------------------------


def _site_id(context: JinroContext) -> int | None:
    return context.user.site_id


def _local_today(context: JinroContext, now: datetime) -> date:
    return now.astimezone(context.tz).date()


def _midnight(context: JinroContext, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=context.tz)


def _short_when(context: JinroContext, moment: datetime) -> str:
    return short(context.lang, moment, context.tz, clock=True)


def _day_name(lang: str, day: date) -> str:
    return f"{day.month}월 {day.day}일" if lang == "ko" else day.strftime("%d %b").lstrip("0")


def _start_name(lang: str, moment: datetime, tz) -> str:
    """A session's start in a sentence: "12월 9일 (수) 10:00", "Wed 9 Dec, 10:00"."""
    local = moment.astimezone(tz)
    if lang == "ko":
        return f"{local.month}월 {local.day}일 ({'월화수목금토일'[local.weekday()]}) {local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def _count(text: str) -> int | None:
    """A number of seats as typed: "25", "25명", "25 seats"; None if it is not one."""
    found = re.fullmatch(r"\s*(\d{1,4})\s*(?:명|석|자리|seats?)?\s*\.?\s*", text, re.IGNORECASE)
    return int(found[1]) if found else None


async def _leave_flow(context: JinroContext) -> None:
    """Opening the list or a session leaves a half-done step of this area."""
    await leave_flow(context, "ss.")


async def _gone(update: Update, context: JinroContext) -> None:
    """A typed step whose session vanished (or was never this site's)."""
    await set_flow(context, None)
    await reply(update, context, "sessions/not_found")
