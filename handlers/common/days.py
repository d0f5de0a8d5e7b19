"""Days as students say them: "12/3", "12월 3일", "이번 주", and the windows they mean.

Everything is in the city's time zone: "this week" for a student in Goyang runs from
now to Sunday midnight in Asia/Seoul, whatever the server's clock zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

# "12/3", "12.3", "12-3", "12월 3일", "12월3일", with an optional year in front:
# "2026-12-03", "2026.12.3", "2026년 12월 3일". Nothing else may be around it.
_DAY = re.compile(
    r"^\s*(?:(?P<year>\d{4})\s*(?:[./-]|년)\s*)?"
    r"(?P<month>\d{1,2})\s*(?:[./-]|월)\s*(?P<day>\d{1,2})\s*일?\s*\.?\s*$"
)

# Windows a student can pick by button; a typed day is stored as "d:YYYY-MM-DD".
WINDOWS = ("tw", "nw", "tm")


class NotADay(ValueError):
    """Looks like a day ("13/45") but no such day exists."""


def parse_day(text: str, today: date) -> date | None:
    """The day a student typed, or None when the text is not a day at all.

    Without a year the day is the next one to come: in November "1/5" is next January.
    """
    found = _DAY.match(text)
    if found is None:
        return None
    month, day = int(found["month"]), int(found["day"])
    year = int(found["year"]) if found["year"] else today.year
    try:
        value = date(year, month, day)
    except ValueError:
        raise NotADay(text) from None
    if not found["year"] and value < today:
        try:
            value = value.replace(year=today.year + 1)
        except ValueError:  # 29 February, next year has none
            raise NotADay(text) from None
    return value


def window(key: str, now: datetime, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """The [start, end) of a "when" choice, or None for a key that means nothing (old data)."""
    local = now.astimezone(tz)
    today = local.date()
    monday = today - timedelta(days=today.weekday())
    if key == "tw":
        return now, _midnight(monday + timedelta(days=7), tz)
    if key == "nw":
        return _midnight(monday + timedelta(days=7), tz), _midnight(monday + timedelta(days=14), tz)
    if key == "tm":
        first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return now, _midnight(first_next, tz)
    if key.startswith("d:"):
        try:
            day = date.fromisoformat(key[2:])
        except ValueError:
            return None
        return _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
    return None


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)

