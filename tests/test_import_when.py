"""The 운영일시 cell (storage/importer/when.py), read by the one reader of typed days and times:
every form staff write, with and without a year, and each refusal; then a file of year-less
cells imported on given days. The day of the import is an input: no case here depends on the
real date."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from messages import examples
from messages.imports import problem_text
from storage import importer
from storage.importer import CellProblem, ImportRejected
from storage.models import Session
from tests.test_import import FIRE, HEAD, SEOUL, csv_bytes, run_import

TODAY = date(2026, 11, 20)  # a Friday; 3 December 2026 is a Thursday (목)
FIRE_TAIL = ["2", "무료", "운동화", "10분 전 도착"]  # 이수시간, 참가비, 준비물, 유의사항


def when(text: str):
    return importer.session_when(text, tz=SEOUL, today=TODAY)


def kst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # with the year, as the export and the template write it
        ("2026-12-03 14:00-16:00", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16)),
        ("2026.12.3(목) 14:00~16:00", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16)),
        ("2026년 12월 3일 14시~16시 30분", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16, 30)),
        ("2026-12-03 14:00 ~ 2026-12-04 12:00", kst(2026, 12, 3, 14), kst(2026, 12, 4, 12)),
        ("2030. 12. 3.(화) 9:30 ~ 11:00", kst(2030, 12, 3, 9, 30), kst(2030, 12, 3, 11)),
        ("2030/12/03 14:00–16:00", kst(2030, 12, 3, 14), kst(2030, 12, 3, 16)),
        # as adults type a timetable
        ("12월 3일 오후 2시~4시", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16)),
        ("12/3 14:00-16:00", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16)),
        ("12월 3일(목) 오후 2시 ~ 4시 반", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16, 30)),
        ("12월 3일 저녁 7시~9시", kst(2026, 12, 3, 19), kst(2026, 12, 3, 21)),
        ("12-3 9:30 ~ 11:00", kst(2026, 12, 3, 9, 30), kst(2026, 12, 3, 11)),
        ("12월 3일 오후 2시부터~4시까지", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16)),
        ("12/3 14：00～16：00", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16)),  # full-width
        ("12/3 14:00∼16:00", kst(2026, 12, 3, 14), kst(2026, 12, 3, 16)),  # ㄱ+한자's tilde
        ("12/31 14:00 ~ 1/2 12:00", kst(2026, 12, 31, 14), kst(2027, 1, 2, 12)),
        # without a year: the nearest such day to the import's, half a year either way
        ("1월 5일 오후 2시~4시", kst(2027, 1, 5, 14), kst(2027, 1, 5, 16)),
        ("5월 10일 14:00~16:00", kst(2027, 5, 10, 14), kst(2027, 5, 10, 16)),
        ("11월 2일 14:00~16:00", kst(2026, 11, 2, 14), kst(2026, 11, 2, 16)),  # the plan: past
        ("6월 1일 14:00~16:00", kst(2026, 6, 1, 14), kst(2026, 6, 1, 16)),
    ],
)
def test_every_way_staff_write_a_session(text, start, end):
    assert when(text) == (start, end)


def test_an_empty_cell_is_no_session():
    assert when("") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # a day said from today: another day each day the file is imported
        ("내일 14:00~16:00", "undated_when"),
        ("수요일 오후 2시~4시", "undated_when"),
        ("매주 수요일 14:00~16:00", "undated_when"),
        ("다음 주 화요일 14:00-16:00", "undated_when"),
        ("12/3 14:00 ~ 내일 12:00", "undated_when"),
        # no day, no end, no time at all
        ("14:00~16:00", "bad_when"),
        ("12월 3일 오후 2시", "bad_when"),
        ("12월 3일 오후 2시~", "bad_when"),
        ("내일", "bad_when"),
        ("연중 상시", "bad_when"),
        # no such day or hour
        ("2026-02-30 10:00~12:00", "bad_date"),
        ("2/30 10:00~12:00", "bad_date"),
        ("12/3 25:00~26:00", "bad_date"),
        ("12월 3일 오전 15시~16시", "bad_date"),
        # an end not after the start (a 24-hour clock is not moved to the evening)
        ("2026-12-05 12:00~10:00", "end_before_start"),
        ("12/3 오후 4시~오전 11시", "end_before_start"),
        ("12/4 14:00 ~ 12/3 16:00", "end_before_start"),  # not next year's 3 December
    ],
)
def test_what_is_refused_and_why(text, code):
    with pytest.raises(CellProblem) as refused:
        when(text)
    assert refused.value.code == code
    assert refused.value.values["value"] == text


@pytest.mark.parametrize(
    ("text", "weekday"),
    [
        ("2026-12-03(금) 14:00~16:00", "목"),
        ("12월 3일(금) 오후 2시~4시", "목"),
        ("12/3 14:00 ~ 12/4(목) 12:00", "금"),
    ],
)
def test_a_weekday_in_brackets_must_be_the_dates(text, weekday):
    with pytest.raises(CellProblem) as refused:
        when(text)
    assert (refused.value.code, refused.value.values["weekday"]) == ("wrong_weekday", weekday)


def test_a_day_said_from_today_is_explained_in_both_languages():
    problem = importer.Problem(2, "운영일시", "undated_when", {"value": "내일 14:00~16:00"})
    day = examples.example_day()  # an example ahead of today, never a day gone by
    assert day > date.today()
    assert problem_text("ko", problem) == (
        "2행, 운영일시: “내일 14:00~16:00”의 날짜는 가져오는 날에 따라 달라집니다. "
        f"내일, 수요일 대신 {day.month}월 {day.day}일 14:00~16:00처럼 날짜로 적어 주십시오"
    )
    assert problem_text("en", problem).startswith("Row 2, 운영일시: the day of “내일 14:00~16:00”")


async def sessions_of(db) -> list[tuple[datetime, datetime]]:
    async with db.read() as conn:
        found = await conn.execute(
            select(Session.starts_at, Session.ends_at).order_by(Session.starts_at)
        )
        return [tuple(row) for row in found]


async def test_a_file_without_years_imports_the_nearest_days_and_again_changes_nothing(db):
    rows = [
        HEAD,
        [*FIRE, "12월 3일(목) 오후 2시 ~ 4시 반", *FIRE_TAIL],
        [*FIRE, "12/10 14:00-16:00", *FIRE_TAIL],
        [*FIRE, "1월 7일 오후 2시~4시", *FIRE_TAIL],
    ]
    summary = await run_import(db, csv_bytes(rows), now=kst(2026, 11, 20, 9))
    assert summary.sessions.new == 3
    assert await sessions_of(db) == [
        (kst(2026, 12, 3, 14), kst(2026, 12, 3, 16, 30)),
        (kst(2026, 12, 10, 14), kst(2026, 12, 10, 16)),
        (kst(2027, 1, 7, 14), kst(2027, 1, 7, 16)),
    ]

    # Weeks later the same cells are the same days: nothing changes, nothing is "past".
    later = kst(2026, 12, 20, 9)
    again = await run_import(db, csv_bytes(rows), now=later)
    assert not again.changes and again.sessions.unchanged == 3
    # A new row for a day gone by is this year's, refused as past (not next December's).
    stale = [*rows, [*FIRE, "12월 17일 14:00~16:00", *FIRE_TAIL]]
    with pytest.raises(ImportRejected) as rejected:
        await run_import(db, csv_bytes(stale), now=later)
    assert [(p.row, p.code) for p in rejected.value.problems] == [(5, "in_past")]
    assert len(await sessions_of(db)) == 3
