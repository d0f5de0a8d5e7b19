"""Days and times as adults type them: the one reader behind every typed time in the bot and
in the staff's spreadsheets (pure: no Telegram, no database; in storage so that the
spreadsheet import reads a day as the chat does).

"오늘 오후 3시", "내일 10시", "다음 주 화요일 14:00", "매주 수요일 저녁 7시", "12월 3일 3시 반",
"2026-12-03 14시 30분", "tue 4pm". The whole text is read or refused: nothing is guessed out of
a sentence. Today (the city's day) is an input; the wall clock is never read here.

Hand-written, not a library: the one Korean-aware parser found (korean-datetime 1.0.0, October
2026, brand new) finds expressions inside sentences and guesses around what it cannot read; a
form step needs "read all of it, or say it could not". dateparser reads little Korean.

Rules worth knowing (each is a table below):
- a year-less day that has passed this year means next year ("1/5" typed in December);
- a bare weekday ("수요일") is the next one, today included; "이번 주" is the week from Monday,
  "다음 주" the one after, "다다음 주" the one after that;
- a bare hour from 1 to 7 written without a leading zero ("2시", "3:30") is in the afternoon:
  experiences, meetings and free times happen in school and after-school hours, and nobody
  plans one for 2 a.m. ("02:00" or "새벽 2시" still mean 2 a.m.);
- a part of the day takes only its own hours: "오전 3시" is 03:00, "저녁 7시" 19:00, "밤 3시"
  or "오전 15시" is no time at all (NotADay);
- 정오 is 12:00 and 자정 00:00 of the day typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

WEEKDAYS_KO = "월화수목금토일"
_WEEKDAYS_EN = (
    ("monday", "mon"),
    ("tuesday", "tues", "tue"),
    ("wednesday", "wed"),
    ("thursday", "thurs", "thu"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
)
WEEKDAY_WORDS = {
    **{name: n for n, name in enumerate(WEEKDAYS_KO)},
    **{name: n for n, names in enumerate(_WEEKDAYS_EN) for name in names},
}

# Days counted from today.
RELATIVE_DAYS = {"오늘": 0, "금일": 0, "today": 0, "내일": 1, "낼": 1, "tomorrow": 1}
RELATIVE_DAYS |= {"모레": 2, "내일모레": 2, "낼모레": 2, "글피": 3}

# Weeks counted from this one (which starts on Monday).
WEEKS = {"이번주": 0, "금주": 0, "this": 0, "다음주": 1, "담주": 1, "차주": 1, "next": 1}
WEEKS |= {"다다음주": 2}

# A part of the day: the hours it takes as typed (12-hour) -> the hour on a 24-hour clock.
PARTS = {
    "오전": {0: 0, 12: 0, **{h: h for h in range(1, 12)}},
    "새벽": {0: 0, 12: 0, **{h: h for h in range(1, 7)}},
    "아침": {h: h for h in range(5, 12)},
    "낮": {11: 11, 12: 12, **{h: h + 12 for h in range(1, 6)}},
    "오후": {12: 12, **{h: h + 12 for h in range(1, 12)}},
    "저녁": {h: h + 12 for h in range(4, 12)},
    "밤": {h: h + 12 for h in range(7, 12)},
}
PARTS["am"], PARTS["pm"] = PARTS["오전"], PARTS["오후"]

BARE_AFTERNOON = range(1, 8)  # "2시" means 14:00 (see the module's comment)

NAMED_TIMES = {"정오": time(12), "자정": time(0), "noon": time(12), "midnight": time(0)}

# Hours in words: "세 시", "열두 시".
HOUR_WORDS = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8}
HOUR_WORDS |= {"아홉": 9, "열": 10, "열한": 11, "열두": 12}


class NotADay(ValueError):
    """Looks like a day ("13/45", "2/30") but no such day exists."""


class NotATime(NotADay):
    """Looks like a time ("25:00", "오전 15시") but is none."""


class WrongWeekday(NotADay):
    """A written-out day with another day's weekday ("12/3(금)" when the 3rd is a Thursday);
    `weekday` is the day's own (0 is Monday), for an answer that names it."""

    def __init__(self, text: str, weekday: int) -> None:
        super().__init__(text)
        self.weekday = weekday


@dataclass(frozen=True)
class Reading:
    """What a typed text says. `day`: the day it names (for a weekday without a week, the next
    one, today included); `weekday`: set when a weekday was named without fixing the week
    ("수요일", "매주 수요일"), so a weekly free time can use it; `every`: "매주"/"마다" said;
    `at`: the time, None when only a day was typed; `dated`: the day was written out ("12/3",
    "2026-12-03"), not said from today ("내일", "수요일"), which a file read days later needs."""

    day: date | None
    weekday: int | None = None
    every: bool = False
    at: time | None = None
    dated: bool = False


# ----- the pieces, each a pattern tried at the start of what is left ---------------------------

_EVERY = re.compile(r"(?:매주|every)\s*", re.IGNORECASE)
_DATE = re.compile(
    r"(?:(?P<year>\d{4})\s*(?:[./-]|년)\s*)?(?P<month>\d{1,2})\s*(?:[./-]|월)\s*"
    r"(?P<day>\d{1,2})(?!\d)(?:\s*일)?\.?"
    # its weekday, as calendars and letters write it: "12/3(목)", "12월 3일 목요일"
    r"(?:\s*\(\s*(?P<weekday>[월화수목금토일])(?:요일)?\s*\)|\s*(?P<named>[월화수목금토일])요일)?"
)
_RELATIVE = re.compile("|".join(sorted(RELATIVE_DAYS, key=len, reverse=True)), re.IGNORECASE)
_WEEK = re.compile(r"(?P<week>다다음\s*주|다음\s*주|이번\s*주|금주|담주|차주|this|next)\s*", re.I)
_WEEKDAY = re.compile(
    r"(?P<name>[월화수목금토일](?:요일)?|"
    + "|".join(sorted((n for ns in _WEEKDAYS_EN for n in ns), key=len, reverse=True))
    + r")(?P<every>마다)?(?![가-힣a-z])",
    re.IGNORECASE,
)
_PART = re.compile("(?P<part>" + "|".join(p for p in PARTS if p not in ("am", "pm")) + r")\s*")
_NAMED = re.compile("|".join(NAMED_TIMES), re.IGNORECASE)
_MINUTES = r"(?:\s*(?P<minutes>\d{1,2})\s*분|\s*(?P<half>반))?"
_CLOCK = re.compile(
    r"(?P<hour>\d{1,2})\s*(?::\s*(?P<minute>\d{2})|시" + _MINUTES + r")"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?",
    re.IGNORECASE,
)
_AMPM = re.compile(r"(?P<hour>\d{1,2})\s*(?P<ampm>[ap])\.?m\.?", re.IGNORECASE)
_WORD_CLOCK = re.compile(
    "(?P<word>" + "|".join(sorted(HOUR_WORDS, key=len, reverse=True)) + r")\s*시" + _MINUTES
)
_TAIL = re.compile(r"\s*(?:에|부터|쯤|경)?\s*[.!]?\s*$")


def _clean(text: str) -> str:
    text = " ".join(text.split())
    return _TAIL.sub("", text, count=1) if text else text


# ----- reading ------------------------------------------------------------------------------


def read(text: str, today: date) -> Reading | None:
    """What `text` says about a day and a time; None when it is not (all) a day or a time.
    Raises NotADay for a day that does not exist ("2/30") and NotATime for an hour that does
    not ("25시", "오전 15시")."""
    rest = _clean(text)
    every = bool(found := _EVERY.match(rest))
    if found:
        rest = rest[found.end() :]
    dated = _DATE.match(rest) is not None  # what _day reads first
    day, weekday, said_every, rest = _day(rest, today)
    every = every or said_every
    at, rest = _time(rest.lstrip())
    if rest.strip() or (day is None and at is None) or (every and weekday is None):
        return None
    return Reading(day, weekday, every, at, dated)


def _day(text: str, today: date) -> tuple[date | None, int | None, bool, str]:
    """The day at the start of `text`, if any: (day, weekday without a week, every, the rest)."""
    if found := _DATE.match(text):
        return _absolute(found, today, text), None, False, text[found.end() :]
    if found := _RELATIVE.match(text):
        ahead = RELATIVE_DAYS[found[0].lower()]
        return today + timedelta(days=ahead), None, False, text[found.end() :]
    week = _WEEK.match(text)
    named = _WEEKDAY.match(text, week.end() if week else 0)
    if named is None:
        return None, None, False, text  # "다음 주" alone is not a day: left unread
    weekday = WEEKDAY_WORDS[named["name"].lower().removesuffix("요일")]
    if week is not None:
        monday = today - timedelta(days=today.weekday())
        offset = WEEKS[re.sub(r"\s", "", week["week"]).lower()]
        return monday + timedelta(weeks=offset, days=weekday), None, False, text[named.end() :]
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead), weekday, bool(named["every"]), text[named.end() :]


def _absolute(found: re.Match, today: date, text: str) -> date:
    month, day = int(found["month"]), int(found["day"])
    year = int(found["year"]) if found["year"] else today.year
    try:
        value = date(year, month, day)
        if not found["year"] and value < today:
            value = value.replace(year=today.year + 1)  # a day gone this year: next year's
    except ValueError:
        raise NotADay(text) from None
    said = found["weekday"] or found["named"]
    if said and WEEKDAYS_KO[value.weekday()] != said:
        raise WrongWeekday(text, value.weekday())  # "12/3(금)": the 3rd is no Friday
    return value


def _time(text: str) -> tuple[time | None, str]:
    """The time at the start of `text`, if any, and the rest."""
    if found := _NAMED.match(text):
        return NAMED_TIMES[found[0].lower()], text[found.end() :]
    part = _PART.match(text)
    start = part.end() if part else 0
    found = _CLOCK.match(text, start) or _AMPM.match(text, start)
    word = None if found else _WORD_CLOCK.match(text, start)
    if found is None and word is None:
        return None, text  # "내일 오후" has no hour: left unread
    match = found or word
    hour_text = match["word"] if word else match["hour"]
    hour = HOUR_WORDS[hour_text] if word else int(hour_text)
    minute = _minute(match)
    said = part["part"] if part else None
    if found is not None and found.groupdict().get("ampm"):
        if said:
            raise NotATime(text)  # "오후 3pm"
        said = found["ampm"].lower() + "m"
    return time(_hour(hour, said, hour_text, text), _checked_minute(minute, text)), text[
        match.end() :
    ]


def _minute(found: re.Match) -> int:
    parts = found.groupdict()  # the patterns differ in which parts they have
    if parts.get("half"):
        return 30
    return int(parts.get("minute") or parts.get("minutes") or 0)


def _checked_minute(minute: int, text: str) -> int:
    if minute > 59:
        raise NotATime(text)
    return minute


def _hour(hour: int, part: str | None, typed: str, text: str) -> int:
    """The 24-hour hour of `hour` said with `part` of the day (None: none said)."""
    if part is None:
        if hour > 23:
            raise NotATime(text)
        bare = hour in BARE_AFTERNOON and not typed.startswith("0")
        return hour + 12 if bare else hour
    hours = PARTS[part]
    if hour in hours:
        return hours[hour]
    if hour >= 13 and hour in hours.values():  # "오후 15시": said twice, and the same
        return hour
    raise NotATime(text)


# ----- what the steps ask for ---------------------------------------------------------------


def absolute_day(text: str, today: date) -> date | None:
    """A written-out day alone ("12/3", "12월 3일", "2026-12-03"); None when the text is not
    one. Free words a student searches with are read only so: "수" or "내일" may be words."""
    text = " ".join(text.split())
    found = _DATE.fullmatch(text)
    return _absolute(found, today, text) if found else None


def day(text: str, today: date) -> date | None:
    """A day alone, written out or said ("내일", "토요일", "다음 주 화요일"), for a step that asks
    for a day; None when the text is not (only) a day."""
    found = read(text, today)
    return found.day if found is not None and found.at is None else None


def moment(text: str, today: date, tz: tzinfo, *, after: datetime | None = None) -> datetime | None:
    """A day and a time in the city's zone ("내일 오후 3시"); None when either is missing or the
    text is not one. A weekly text ("매주 수요일 3시") gives its first time. A weekday named
    without a week is the next one to come: with `after` (now), "수요일 10시" typed on a
    Wednesday afternoon is next week's."""
    found = read(text, today)
    if found is None or found.day is None or found.at is None:
        return None
    value = datetime.combine(found.day, found.at, tzinfo=tz)
    if found.weekday is not None and after is not None and value <= after:
        value = datetime.combine(found.day + timedelta(weeks=1), found.at, tzinfo=tz)
    return value


def missing(text: str, today: date) -> str:
    """Why `text` is no moment, for the answer: "no_time" (a day alone), "no_day" (a time
    alone) or "format"."""
    try:
        found = read(text, today)
    except NotADay:
        return "no_such_day"
    if found is None:
        # "내일 오후": a day and a part of the day, but no hour
        bare = re.sub(r"\s*(?:" + "|".join(PARTS) + r")\s*$", "", _clean(text))
        found = read(bare, today) if bare != _clean(text) else None
        return "no_time" if found is not None and found.at is None else "format"
    return "no_time" if found.at is None else "no_day" if found.day is None else "format"


def clock(text: str) -> time | None:
    """A time of day alone ("오후 4시", "16:00", "5시 반까지"); None when the text is not one."""
    rest = re.sub(r"\s*까지\s*$", "", _clean(text))
    at, rest = _time(rest)
    return at if at is not None and not rest.strip() else None


_PART_SAID = re.compile("|".join([*PARTS, *NAMED_TIMES]), re.IGNORECASE)


def ends(text: str, start: datetime) -> datetime | None:
    """When something that begins at `start` (aware, in the city's zone) ends, as typed after
    it: a time of the start's day ("16:00", "4시 반", "5시까지"), or a day and a time for a camp
    ("12/4 10시", "모레 정오": days counted from the start's, a weekday the next one after the
    start). An hour said the 12-hour way ("9시", no 오전/오후) that would not be after the start
    is the evening's: after a 20:00 start, or in "오후 7시~9시", it is 21:00. A 24-hour clock
    ("12:00~10:00") and a part of the day said ("오전 9시") stay as typed, for the caller to
    refuse. None when the text is neither; NotADay as `read`."""
    at = clock(text)
    if at is None:
        return moment(text, start.date(), start.tzinfo, after=start)
    end = datetime.combine(start.date(), at, tzinfo=start.tzinfo)
    if end <= start and at.hour < 12 and "시" in text and not _PART_SAID.search(text):
        end += timedelta(hours=12)
    return end


# "2시간", "90분", "1시간 30분", "2h", "1h 30m", "90 min": a length.
_LENGTH = re.compile(
    r"^\(?\s*(?:(?P<hours>\d{1,2})\s*(?:시간|h|hours?|hrs?))?\s*"
    r"(?:(?P<minutes>\d{1,4})\s*(?:분|m|min|minutes?))?\s*(?:동안)?\s*\)?$",
    re.IGNORECASE,
)


def length(text: str) -> timedelta | None:
    """A length ("1시간 30분", "90분", "(2h)"); None when the text is not one."""
    found = _LENGTH.match(" ".join(text.split()))
    if found is None or not (found["hours"] or found["minutes"]):
        return None
    return timedelta(hours=int(found["hours"] or 0), minutes=int(found["minutes"] or 0))


# ----- deadlines as people are told them ---------------------------------------------------------

# The steps a deadline shown to people is rounded down to, the roundest first: the whole hour,
# else (close to `now`) the half or quarter hour, else the minute.
ROUND_STEPS = (timedelta(hours=1), timedelta(minutes=30), timedelta(minutes=15))


def round_deadline(at: datetime, now: datetime, tz: tzinfo | None = None) -> datetime:
    """A deadline as people are told it and as it is kept: `at` rounded down to the whole hour
    in the city's clock (never later than the rule that gave `at` allows), or to the half or
    quarter hour when the whole hour would already have passed at `now`; when even that has
    passed, `at` as it is. "…04:33까지" reads as a slip; "…04:00까지" as a deadline."""
    floor = (at.astimezone(tz) if tz is not None else at).replace(second=0, microsecond=0)
    for step in ROUND_STEPS:
        minutes = int(step.total_seconds() // 60)
        rounded = floor.replace(minute=floor.minute - floor.minute % minutes)
        if rounded > now:
            return rounded.astimezone(at.tzinfo)
    return at
