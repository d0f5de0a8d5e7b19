"""The 운영일시 cell: when a session starts and ends, read by the one reader of typed days and
times (storage/moments.py), so a file says a day as the chat does.

Written as the export writes it, "2026-12-03 14:00~16:00", "2026.12.3(목) 14:00~16:00",
"2026년 12월 3일 14시~16시 30분", across days "2026-12-03 14:00 ~ 2026-12-04 12:00", or as adults
type a timetable: "12월 3일 오후 2시~4시", "12/3 14:00-16:00", "12월 3일(목) 오후 2시 ~ 4시 반".
The end is a time of the start's day (an hour said the 12-hour way, "9시", not after the start
is the evening's: "오후 7시~9시" ends at 21:00) or a day and a time, a year-less day
the nearest to the start's ("12/31 14:00 ~ 1/2 12:00"). A bare hour from 1 to 7 is in the
afternoon, as everywhere ("02:00" says otherwise).

A file is read on a day its writer does not see (often days later, or again next month), so:
- the day is written out: "내일", "수요일", "다음 주 화요일", "매주 수요일" mean another day
  each day the file is imported, and are refused (undated_when) rather than guessed;
- a day without its year is the nearest such day to the day of the import, half a year either
  way: in December "3월 5일" is next March, but "11월 20일" is this November, refused as past
  by the plan (a row left from an old file, not a session a year ahead); a session further
  off than half a year needs its year;
- a weekday in brackets must be the date's (wrong_weekday names the right one); a day or an
  hour that does not exist is bad_date; an end not after the start, end_before_start.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, tzinfo

from storage import moments
from storage.importer.cells import CellProblem, _shown

# Between the start and the end; a date's own "-" is told apart by trying each one.
_SPLIT = re.compile(r"[-~〜～∼–—]")
# A year-less day is read from half a year back: the nearest such day to the import's.
NEAREST = timedelta(days=182)


def session_when(value: str, *, tz: tzinfo, today: date) -> tuple[datetime, datetime] | None:
    """The start and end a 운영일시 cell says, in `tz`; None for an empty cell. `today`: the
    city's day of the import. Raises CellProblem when the cell cannot be read."""
    if not value:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    problem = None
    for split in _SPLIT.finditer(text):
        try:
            span = _span(text[: split.start()], text[split.end() :], today, tz, value)
        except moments.NotADay as error:
            problem = problem or _not_a_day(error, value)
            continue
        except CellProblem as error:
            problem = problem or error
            continue
        if span is not None and span[1] <= span[0]:
            problem = problem or CellProblem("end_before_start", value=_shown(value))
        elif span is not None:
            return span
    raise problem or CellProblem("bad_when", value=_shown(value))


def _span(
    first: str, second: str, today: date, tz: tzinfo, value: str
) -> tuple[datetime, datetime] | None:
    """The start (`first`) and end (`second`) of a cell cut at one of its dashes or tildes;
    None when this cut does not leave a start and an end."""
    start = moments.read(first, today - NEAREST)
    if start is None or start.day is None or start.at is None:
        return None
    starts_at = datetime.combine(start.day, start.at, tzinfo=tz)
    if moments.clock(second) is not None:  # a time of the start's day
        end, ends_at = None, moments.ends(second, starts_at)
    else:  # a day and a time; "12/4 ~ 12/3" must not be next year's 3rd
        end = moments.read(second, start.day - NEAREST)
        if end is None or end.day is None or end.at is None:
            return None
        ends_at = datetime.combine(end.day, end.at, tzinfo=tz)
    if not start.dated or (end is not None and not end.dated):
        raise CellProblem("undated_when", value=_shown(value))
    return starts_at, ends_at


def _not_a_day(error: moments.NotADay, value: str) -> CellProblem:
    if isinstance(error, moments.WrongWeekday):
        weekday = moments.WEEKDAYS_KO[error.weekday]
        return CellProblem("wrong_weekday", value=_shown(value), weekday=weekday)
    return CellProblem("bad_date", value=_shown(value))
