"""Days as students say them: "12/3", "12월 3일", "이번 주", and the windows they mean.

Everything is in the city's time zone: "this week" for a student in Goyang runs from
now to Sunday midnight in Asia/Seoul, whatever the server's clock zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from storage import moments
from storage.moments import NotADay as NotADay  # where callers have always found it

# Windows a student can pick by button; a typed day is stored as "d:YYYY-MM-DD", a typed day
# with a time ("내일 오후 3시") as "t:YYYY-MM-DDTHH:MM" (that day, from that time on).
WINDOWS = ("tw", "nw", "tm")


def parse_day(text: str, today: date) -> date | None:
    """The day a student typed ("12/3", "12월 3일", "2026-12-03"), or None when the text is not
    a day at all; NotADay for one that does not exist. Without a year the day is the next one
    to come: in November "1/5" is next January. (Read by storage.moments, the one
    reader of typed days and times.)"""
    return moments.absolute_day(text, today)


def parse_moment(text: str, today: date, tz: tzinfo, now: datetime) -> datetime | None:
    """A day with a time a student typed ("내일 오후 3시", "12/10 15:00", "금요일 3시"), or None
    when the text is not both; NotADay for one that does not exist (storage.moments reads it)."""
    return moments.moment(text, today, tz, after=now)


def moment_key(at: datetime, tz: tzinfo) -> str:
    """The "when" filter of a typed day and time: that day, from that time on."""
    return "t:" + at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


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
    if key.startswith("t:"):
        try:
            at = datetime.fromisoformat(key[2:]).replace(tzinfo=tz)
        except ValueError:
            return None
        return at, _midnight(at.date() + timedelta(days=1), tz)
    return None


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def short(lang: str, moment: date | datetime, tz: tzinfo | None = None, *, clock=False) -> str:
    """A day as a button or a short line shows it: "12/16" in Korean, "16 Dec" in English
    (the way each writes a day; "12/16" reads as a fraction or the wrong way round to many
    readers of English); with `clock`, its time after it ("16 Dec 10:00")."""
    local = moment.astimezone(tz) if tz is not None and isinstance(moment, datetime) else moment
    day = f"{local:%m/%d}" if lang == "ko" else f"{local.day} {local:%b}"
    return f"{day} {local:%H:%M}" if clock else day
