"""The one reader of typed days and times (storage/moments.py), over many inputs:
absolute, relative and weekday days, parts of the day, 반, weekly repeats, impossible ones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.common.days import NotADay
from handlers.mentors.slots import parse_slot
from handlers.sessions.adding import parse_end
from storage import moments

KST = ZoneInfo("Asia/Seoul")
TODAY = date(2026, 12, 7)  # a Monday


def at(day: date, hour: int, minute: int = 0) -> tuple[date, time]:
    return day, time(hour, minute)


D = TODAY.replace


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # relative days
        ("오늘 오후 3시", at(TODAY, 15)),
        ("내일 10시", at(D(day=8), 10)),
        ("낼 10시", at(D(day=8), 10)),
        ("모레 오전 9시 30분", at(D(day=9), 9, 30)),
        ("내일모레 14:00", at(D(day=9), 14)),
        ("글피 아침 8시", at(D(day=10), 8)),
        ("today 3pm", at(TODAY, 15)),
        ("tomorrow 9:30 am", at(D(day=8), 9, 30)),
        # weekdays
        ("다음 주 화요일 14:00", at(D(day=15), 14)),
        ("다음주 화 14시", at(D(day=15), 14)),
        ("담주 금요일 4시", at(D(day=18), 16)),
        ("이번 주 금요일 오후 2시", at(D(day=11), 14)),
        ("이번주 일요일 정오", at(D(day=13), 12)),
        ("다다음 주 월요일 10시", at(D(day=21), 10)),
        ("월요일 15:00", at(TODAY, 15)),  # today is Monday: today
        ("수요일 저녁 7시", at(D(day=9), 19)),
        ("next tue 4pm", at(D(day=15), 16)),
        # absolute days
        ("12/8 15:00", at(D(day=8), 15)),
        ("12월 8일 3시 반", at(D(day=8), 15, 30)),
        ("12월8일 오후3시", at(D(day=8), 15)),
        ("2026-12-08 14시 30분", at(D(day=8), 14, 30)),
        ("2026년 12월 8일 오전 11시", at(D(day=8), 11)),
        ("2026.12.8. 9:05", at(D(day=8), 9, 5)),
        ("1/5 10시", at(date(2027, 1, 5), 10)),  # gone this year: next year's
        ("12/8 15:00에", at(D(day=8), 15)),  # a particle at the end
        ("12/8 15시부터", at(D(day=8), 15)),
        ("  12/8    15:00  ", at(D(day=8), 15)),
        # parts of the day
        ("내일 새벽 5시", at(D(day=8), 5)),
        ("내일 낮 12시", at(D(day=8), 12)),
        ("내일 낮 1시", at(D(day=8), 13)),
        ("내일 밤 10시", at(D(day=8), 22)),
        ("내일 오후 12시 30분", at(D(day=8), 12, 30)),
        ("내일 오전 12시", at(D(day=8), 0)),
        ("내일 오후 15시", at(D(day=8), 15)),  # said twice, and the same
        ("내일 자정", at(D(day=8), 0)),
        ("내일 세 시", at(D(day=8), 15)),
        ("내일 열두 시 반", at(D(day=8), 12, 30)),
        # the bare hours 1..7 are in the afternoon; 8..12 and written 24-hour ones as said
        ("내일 2시", at(D(day=8), 14)),
        ("내일 7시", at(D(day=8), 19)),
        ("내일 8시", at(D(day=8), 8)),
        ("내일 3:30", at(D(day=8), 15, 30)),
        ("내일 03:30", at(D(day=8), 3, 30)),
        ("내일 0시", at(D(day=8), 0)),
    ],
)
def test_days_and_times_adults_type(typed, expected):
    found = moments.read(typed, TODAY)
    assert (found.day, found.at) == expected
    assert moments.moment(typed, TODAY, KST) == datetime.combine(*expected, tzinfo=KST)


@pytest.mark.parametrize(
    ("typed", "weekday", "first"),
    [
        ("매주 수요일 저녁 7시", 2, at(D(day=9), 19)),
        ("매주 수 19:00", 2, at(D(day=9), 19)),
        ("수요일마다 오후 4시", 2, at(D(day=9), 16)),
        ("매주 월요일 10시", 0, at(TODAY, 10)),
        ("every wed 7pm", 2, at(D(day=9), 19)),
    ],
)
def test_weekly_repeats(typed, weekday, first):
    found = moments.read(typed, TODAY)
    assert found.every and found.weekday == weekday and (found.day, found.at) == first


def test_a_weekday_without_a_week_is_kept_for_weekly_use_and_a_fixed_week_is_not():
    assert moments.read("화 16:00", TODAY).weekday == 1
    assert not moments.read("화 16:00", TODAY).every
    assert moments.read("다음 주 화 16:00", TODAY).weekday is None
    assert moments.read("내일 16:00", TODAY).weekday is None


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "아무 때나요",
        "다음 주",  # a week, no day
        "매주",
        "매주 내일 3시",  # "every tomorrow"
        "매주 12/8 3시",
        "화이팅 3시",
        "내일 3시 회의",  # words after the time
        "회의 내일 3시",
        "3",
        "12",
        "내일 오후",  # no hour
        "12월",
        "2시간",
    ],
)
def test_what_is_not_a_moment(typed):
    assert moments.moment(typed, TODAY, KST) is None


@pytest.mark.parametrize(
    "typed",
    ["2/30 10시", "13/45 14:00", "2026-02-29 10:00", "2027년 4월 31일 3시"],
)
def test_days_that_do_not_exist(typed):
    with pytest.raises(NotADay):
        moments.read(typed, TODAY)
    assert moments.missing(typed, TODAY) == "no_such_day"


@pytest.mark.parametrize(
    "typed",
    [
        "내일 25:00",
        "내일 24시",
        "내일 10:75",
        "내일 3시 60분",
        "내일 오전 15시",
        "내일 밤 3시",
        "내일 아침 2시",
        "내일 저녁 1시",
        "내일 오후 3pm",
    ],
)
def test_times_that_do_not_exist(typed):
    with pytest.raises(moments.NotATime):
        moments.read(typed, TODAY)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("내일", "no_time"),
        ("다음 주 수요일", "no_time"),
        ("내일 오후", "no_time"),
        ("12/8 저녁", "no_time"),
        ("오후 3시", "no_day"),
        ("15:00", "no_day"),
        ("아무 때나", "format"),
        ("2/30 3시", "no_such_day"),
        ("내일 25시", "no_such_day"),
    ],
)
def test_why_a_text_is_no_moment(typed, why):
    assert moments.missing(typed, TODAY) == why


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("16:00", time(16)),
        ("16시", time(16)),
        ("16시 30분", time(16, 30)),
        ("오후 4시", time(16)),
        ("4시", time(16)),
        ("5시 반까지", time(17, 30)),
        ("저녁 7시", time(19)),
        ("정오", time(12)),
        ("4pm", time(16)),
        ("내일 4시", None),  # a day is no time of day
        ("2시간", None),
        ("많이", None),
    ],
)
def test_a_time_of_day_alone(typed, expected):
    assert moments.clock(typed) == expected


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("2시간", 120),
        ("90분", 90),
        ("1시간 30분", 90),
        ("(2h)", 120),
        ("1h 30m", 90),
        ("90 min", 90),
        ("2시간 동안", 120),
        ("16시", None),
        ("많이", None),
        ("", None),
    ],
)
def test_lengths(typed, minutes):
    found = moments.length(typed)
    assert (found // timedelta(minutes=1) if found else None) == minutes


FORMS = (
    "{m}/{d} {H}:{M:02d}",
    "{m}월 {d}일 {H}시 {M}분",
    "{y}-{m:02d}-{d:02d} {H:02d}:{M:02d}",
    "{y}년 {m}월 {d}일 {half} {h}시 {M}분",
)


@given(
    st.dates(min_value=TODAY, max_value=TODAY + timedelta(days=360)),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(FORMS),
)
def test_any_day_and_time_written_out_reads_back(day, hour, minute, form):
    half, h = ("오전", hour % 12 or 12) if hour < 12 else ("오후", hour - 12 or 12)
    typed = form.format(y=day.year, m=day.month, d=day.day, H=hour, M=minute, h=h, half=half)
    if "{H}" in form and 1 <= hour <= 7:
        hour += 12  # a bare hour from 1 to 7 is the afternoon
    assert moments.moment(typed, TODAY, KST) == datetime.combine(day, time(hour, minute), KST)


@given(st.text(max_size=30))
def test_any_text_is_read_or_refused_never_an_error(text):
    try:
        moments.read(text, TODAY)
        moments.clock(text)
        moments.missing(text, TODAY)
    except NotADay:
        pass


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 6))
def test_a_weekday_is_always_within_the_coming_week(today, weekday):
    found = moments.read(moments.WEEKDAYS_KO[weekday] + "요일 10시", today)
    assert found.day.weekday() == weekday and 0 <= (found.day - today).days < 7
    nxt = moments.read("다음 주 " + moments.WEEKDAYS_KO[weekday] + " 10시", today)
    assert nxt.day.weekday() == weekday and 1 <= (nxt.day - today).days <= 13


# ----- the places that read typed times ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "weekday", "day", "starts", "minutes"),
    [
        ("매주 수요일 저녁 7시", 2, None, time(19), 60),
        ("화 16:00", 1, None, time(16), 60),
        ("목요일 19시-20시 30분", 3, None, time(19), 90),
        ("매주 목 19:00 (90분)", 3, None, time(19), 90),
        ("수요일마다 4시~5시 반", 2, None, time(16), 90),
        ("매주 금 오후 3시부터 5시까지", 4, None, time(15), 120),
        ("12/8 14:00", None, D(day=8), time(14), 60),
        ("12월 8일 오후 2시 (90분)", None, D(day=8), time(14), 90),
        ("다음 주 화요일 오후 2시 1시간", None, D(day=15), time(14), 60),
        ("2026-12-08 14:00-15:00", None, D(day=8), time(14), 60),
        ("내일 4시", None, D(day=8), time(16), 60),
        ("목 19시 30분", 3, None, time(19, 30), 60),  # the minutes of the start, not a length
    ],
)
def test_free_times_mentors_type(typed, weekday, day, starts, minutes):
    slot = parse_slot(typed, TODAY)
    assert (slot.weekday, slot.day, slot.starts, slot.minutes) == (weekday, day, starts, minutes)


@pytest.mark.parametrize("typed", ["아무 때나요", "매주", "오후 2시", "다음 주", "화 16:00 회의"])
def test_what_is_not_a_free_time(typed):
    assert parse_slot(typed, TODAY) is None


@pytest.mark.parametrize(
    ("typed", "end"),
    [
        ("16:00", datetime(2026, 12, 8, 16, tzinfo=KST)),
        ("오후 4시", datetime(2026, 12, 8, 16, tzinfo=KST)),
        ("4시 반", datetime(2026, 12, 8, 16, 30, tzinfo=KST)),
        ("5시까지", datetime(2026, 12, 8, 17, tzinfo=KST)),
        ("2시간", datetime(2026, 12, 8, 16, tzinfo=KST)),
        ("1시간 30분", datetime(2026, 12, 8, 15, 30, tzinfo=KST)),
        ("12/10 12:00", datetime(2026, 12, 10, 12, tzinfo=KST)),  # a camp over days
        ("모레 정오", datetime(2026, 12, 10, 12, tzinfo=KST)),  # counted from the start's day
        ("12:00", datetime(2026, 12, 8, 12, tzinfo=KST)),  # before the start: refused later
        ("많이", None),
        ("25시", None),
    ],
)
def test_the_end_of_a_session(typed, end):
    assert parse_end(typed, datetime(2026, 12, 8, 14, tzinfo=KST)) == end


def test_an_evening_session_ends_in_the_evening():
    start = datetime(2026, 12, 8, 20, tzinfo=KST)
    assert parse_end("9시", start) == datetime(2026, 12, 8, 21, tzinfo=KST)
    assert parse_end("오전 9시", start) == datetime(2026, 12, 8, 9, tzinfo=KST)  # said: refused


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("내일", D(day=8)),
        ("토요일", D(day=12)),
        ("다음 주 화요일", D(day=15)),
        ("12/24", D(day=24)),
        ("12월 24일", D(day=24)),
        ("내일 3시", None),  # a moment, not a day
        ("오후 3시", None),
        ("방송", None),
    ],
)
def test_a_day_alone_when_a_step_asks_for_one(typed, expected):
    assert moments.day(typed, TODAY) == expected


@pytest.mark.parametrize("typed", ["내일", "수", "토요일", "12", "12/3 14:00", "꽃 12/3"])
def test_free_search_words_are_days_only_when_written_out(typed):
    # A student's search words: "수" (water?) or "내일" stay words; only "12/3" is a day.
    assert moments.absolute_day(typed, TODAY) is None


def test_a_written_out_day_is_the_same_for_search_and_for_steps():
    for typed in ("12/24", "12월 24일", "2026-12-24", "2026.12.24."):
        assert moments.absolute_day(typed, TODAY) == moments.day(typed, TODAY) == D(day=24)


@given(st.text(alphabet="0123456789 :/-~()시분반간월일주매다음번내오후전저녁밤수화요", max_size=25))
def test_free_times_and_ends_are_read_or_refused_never_an_error(text):
    try:
        slot = parse_slot(text, TODAY)
    except NotADay:
        slot = None
    assert slot is None or (slot.weekday is None) != (slot.day is None)
    end = parse_end(text, datetime(2026, 12, 8, 14, tzinfo=KST))
    assert end is None or end.tzinfo is not None


def test_a_weekday_whose_time_has_gone_today_is_next_weeks():
    now = datetime(2026, 12, 7, 15, tzinfo=KST)  # Monday 15:00
    assert moments.moment("월요일 10시", TODAY, KST, after=now) == datetime(
        2026, 12, 14, 10, tzinfo=KST
    )
    assert moments.moment("월요일 16시", TODAY, KST, after=now) == datetime(
        2026, 12, 7, 16, tzinfo=KST
    )
    # A day said outright stays that day (the step then says it has passed).
    assert moments.moment("오늘 10시", TODAY, KST, after=now) == datetime(
        2026, 12, 7, 10, tzinfo=KST
    )
    assert moments.moment("이번 주 월 10시", TODAY, KST, after=now).day == 7


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12/8(화) 15:00", at(D(day=8), 15)),
        ("12월 8일 (화) 오후 3시", at(D(day=8), 15)),
        ("12월 8일 화요일 3시", at(D(day=8), 15)),
        ("2026.12.8(화요일) 15시", at(D(day=8), 15)),
    ],
)
def test_a_day_with_its_weekday_as_calendars_write_it(typed, expected):
    found = moments.read(typed, TODAY)
    assert (found.day, found.at) == expected


@pytest.mark.parametrize("typed", ["12/8(수) 15:00", "12월 8일 금요일 3시"])
def test_a_day_with_the_wrong_weekday_is_no_day(typed):
    with pytest.raises(NotADay):
        moments.read(typed, TODAY)


@pytest.mark.parametrize(
    ("typed", "dated"),
    [
        ("12/10 14:00", True),
        ("2026-12-03 14시", True),
        ("12월 10일(목) 3시", True),
        ("내일 14:00", False),
        ("수요일 3시", False),
        ("다음 주 화 16:00", False),
        ("매주 수요일 3시", False),
        ("오후 3시", False),
    ],
)
def test_a_day_written_out_is_told_from_a_day_said_from_today(typed, dated):
    # A spreadsheet read days after it was written takes only the first kind.
    assert moments.read(typed, TODAY).dated is dated


def test_a_wrong_weekday_names_the_days_own():
    with pytest.raises(moments.WrongWeekday) as wrong:
        moments.read("12/8(수) 15:00", TODAY)
    assert moments.WEEKDAYS_KO[wrong.value.weekday] == "화"


def test_an_end_said_the_12_hour_way_comes_after_the_start():
    start = datetime(2026, 12, 8, 19, tzinfo=KST)  # a Tuesday, 19:00
    assert moments.ends("9시", start) == datetime(2026, 12, 8, 21, tzinfo=KST)
    assert moments.ends("9시 반까지", start) == datetime(2026, 12, 8, 21, 30, tzinfo=KST)
    # A 24-hour clock or a part of the day said stays as typed (the caller refuses it).
    assert moments.ends("09:00", start) == datetime(2026, 12, 8, 9, tzinfo=KST)
    assert moments.ends("오전 9시", start) == datetime(2026, 12, 8, 9, tzinfo=KST)
    # A weekday is the next one after the start.
    assert moments.ends("수요일 12시", start) == datetime(2026, 12, 9, 12, tzinfo=KST)
    assert moments.ends("화요일 12시", start) == datetime(2026, 12, 15, 12, tzinfo=KST)
    assert moments.ends("아무 때나", start) is None
