"""Days as students type them, and the windows "this week", "next week", "this month" mean."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.common import days

KST = ZoneInfo("Asia/Seoul")
TODAY = date(2026, 11, 27)  # a Friday


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12/3", date(2026, 12, 3)),
        ("12월 3일", date(2026, 12, 3)),
        ("12월3일", date(2026, 12, 3)),
        (" 12.3 ", date(2026, 12, 3)),
        ("12-03", date(2026, 12, 3)),
        ("2026-12-03", date(2026, 12, 3)),
        ("2026.12.3.", date(2026, 12, 3)),
        ("2026년 12월 3일", date(2026, 12, 3)),
        ("11/27", date(2026, 11, 27)),  # today is still to come
        ("1/5", date(2027, 1, 5)),  # a day already past this year means next year
        ("11/26", date(2027, 11, 26)),
    ],
)
def test_days_students_type(typed, expected):
    assert days.parse_day(typed, TODAY) == expected


@pytest.mark.parametrize("typed", ["방송", "12", "1/2/3", "꽃 12/3", "12월", "3일", ""])
def test_words_are_not_days(typed):
    assert days.parse_day(typed, TODAY) is None


@pytest.mark.parametrize("typed", ["13/45", "2/30", "0/1", "2027-02-29"])
def test_impossible_days_are_told_apart_from_words(typed):
    with pytest.raises(days.NotADay):
        days.parse_day(typed, TODAY)


def test_this_week_next_week_and_this_month_in_seoul():
    # Friday 27 November 2026, 23:30 in Seoul is still Friday 14:30 UTC.
    now = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
    start, end = days.window("tw", now, KST)
    assert start == now and end == datetime(2026, 11, 30, tzinfo=KST)
    assert days.window("nw", now, KST) == (
        datetime(2026, 11, 30, tzinfo=KST),
        datetime(2026, 12, 7, tzinfo=KST),
    )
    assert days.window("tm", now, KST) == (now, datetime(2026, 12, 1, tzinfo=KST))
    assert days.window("d:2026-12-03", now, KST) == (
        datetime(2026, 12, 3, tzinfo=KST),
        datetime(2026, 12, 4, tzinfo=KST),
    )
    assert days.window("d:garbage", now, KST) is None and days.window("zz", now, KST) is None


def test_sunday_night_in_seoul_is_still_this_week():
    # Sunday 23:59 in Seoul: "this week" ends at midnight, "next week" starts tomorrow.
    now = datetime(2026, 11, 29, 23, 59, tzinfo=KST)
    assert days.window("tw", now, KST)[1] == datetime(2026, 11, 30, tzinfo=KST)
    assert days.window("nw", now, KST)[0] == datetime(2026, 11, 30, tzinfo=KST)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_every_month_window_ends_on_the_first_of_the_next_month(today):
    now = datetime(today.year, today.month, today.day, 12, tzinfo=KST)
    end = days.window("tm", now, KST)[1]
    assert end.day == 1 and end.date() > today and end.date() - today <= timedelta(days=31)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_typed_month_and_day_is_never_in_the_past(today):
    day = today + timedelta(days=40)
    assert days.parse_day(f"{day.month}/{day.day}", today) >= today


# Typed moments (a day and a time) are read by storage.moments: tests/test_moments.py.
