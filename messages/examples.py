"""Example days in questions ("예: 12/10 14:00"), counted from the city's today of the answer
being written, so an example never names a day already past.

handlers.common.reply sets TODAY from the update's moment (context.today) before rendering;
the templates use the globals `example_md` ("12/10") and `example_ko` ("12월 10일").
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, timedelta

TODAY: ContextVar[date | None] = ContextVar("example_today", default=None)


def example_day(ahead: int = 3) -> date:
    """A plausible day to type: a school day at least `ahead` days after today."""
    today = TODAY.get() or date.today()  # a template rendered outside an answer (tests)
    day = today + timedelta(days=ahead)
    while day.weekday() >= 5:  # experiences and meetings are on school days
        day += timedelta(days=1)
    return day


def example_md(ahead: int = 3) -> str:
    """As typed with a slash: "12/10"."""
    day = example_day(ahead)
    return f"{day.month}/{day.day}"


def example_ko(ahead: int = 3) -> str:
    """As written in Korean: "12월 10일" (the reader takes it in either language)."""
    day = example_day(ahead)
    return f"{day.month}월 {day.day}일"


def example_iso(ahead: int = 3) -> str:
    """Written in full with digits: "2026-12-10". English readers get it where Korean ones
    read example_ko (the reader takes both; "12월 10일" is Korean)."""
    return example_day(ahead).isoformat()
