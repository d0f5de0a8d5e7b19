"""School days in any year: Korea's public holidays come from the `holidays` package (lunar
holidays, substitute days and election days included), not from a list that ends."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage import reminders
from storage.reminders import school_day

KST = ZoneInfo("Asia/Seoul")

# The fixed list the bot used until the package replaced it (2026 and 2027).
FIXED_2026_2027 = frozenset(
    date.fromisoformat(day)
    for day in """
    2026-01-01 2026-02-16 2026-02-17 2026-02-18 2026-03-01 2026-03-02 2026-05-01 2026-05-05
    2026-05-24 2026-05-25 2026-06-03 2026-06-06 2026-07-17 2026-08-15 2026-08-17 2026-09-24
    2026-09-25 2026-09-26 2026-10-03 2026-10-05 2026-10-09 2026-12-25
    2027-01-01 2027-02-06 2027-02-07 2027-02-08 2027-02-09 2027-03-01 2027-05-01 2027-05-03
    2027-05-05 2027-05-13 2027-06-06 2027-07-17 2027-07-19 2027-08-15 2027-08-16 2027-09-14
    2027-09-15 2027-09-16 2027-10-03 2027-10-04 2027-10-09 2027-10-11 2027-12-25 2027-12-27
    """.split()
)


def test_2026_and_2027_agree_with_the_fixed_list():
    day = date(2026, 1, 1)
    while day.year < 2028:
        assert school_day(day) == (day.weekday() < 5 and day not in FIXED_2026_2027), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "day",
    [
        # Seollal 2028: in Seoul the new moon falls after midnight, a day after China's.
        date(2028, 1, 26),
        date(2028, 1, 27),
        date(2028, 1, 28),
        # Chuseok 2028 falls on National Foundation Day: a substitute day on Thursday.
        date(2028, 10, 2),
        date(2028, 10, 3),
        date(2028, 10, 4),
        date(2028, 10, 5),
        # Seollal 2030 takes a Saturday and a Sunday: a substitute day on Tuesday.
        date(2030, 2, 4),
        date(2030, 2, 5),
        # Chuseok 2030.
        date(2030, 9, 11),
        date(2030, 9, 12),
        date(2030, 9, 13),
        date(2028, 4, 12),  # the National Assembly election
    ],
)
def test_lunar_holidays_of_later_years_are_not_school_days(day):
    assert day.weekday() < 5
    assert not school_day(day)


@pytest.mark.parametrize("day", [date(2028, 1, 18), date(2030, 9, 17), date(2035, 3, 13)])
def test_an_ordinary_tuesday_is_a_school_day(day):
    assert day.weekday() == 1
    assert school_day(day)


def test_weekends_are_not_school_days():
    assert not school_day(date(2031, 3, 15))  # a Saturday
    assert not school_day(date(2031, 3, 16))  # a Sunday


def test_the_teachers_digest_skips_chuseok_2028():
    # From Friday 29 September 2028: the weekend, then Chuseok and its substitute day.
    friday = datetime(2028, 9, 29, 9, 0, tzinfo=KST)
    expected = datetime(2028, 10, 6, 8, 30, tzinfo=KST)
    assert reminders.next_at(time(8, 30), friday, KST, school_days=True) == expected


def test_the_calendar_is_built_once():
    school_day(date(2029, 5, 8))
    assert reminders.HOLIDAYS is reminders.HOLIDAYS
    assert 2029 in reminders.HOLIDAYS.years  # worked out once, then looked up
