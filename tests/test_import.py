"""Spreadsheet import and export on both databases: good files, bad rows, re-imports, encodings."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from messages.imports import PROBLEMS, problem_text
from storage import exporter, importer
from storage.importer import ImportRejected
from storage.models import AuditEntry, Program, Session, Site, utcnow
from storage.search import search
from storage.spreadsheet import HEADERS

SEOUL = ZoneInfo("Asia/Seoul")
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "programmes.csv"
HEAD = ["체험처명", "프로그램명", "체험유형", "직업분야", "대상학년", "지역", "주소", "정원"]
HEAD += ["운영일시", "이수시간", "참가비", "준비물", "유의사항"]
FIRE = ["고양소방서", "119 소방관 체험", "현장직업체험", "안전·소방", "1~3", "덕양구"]
FIRE += ["경기도 고양시 덕양구 화중로 83", "20"]
BAKERY = ["빵굽는 마을", "제과제빵사 체험", "직업실무체험형", "식품·요리", "2,3학년", "일산서구"]
BAKERY += ["경기도 고양시 일산서구 대화로 10", "12명"]
GOOD = [
    HEAD,
    [*FIRE, "2030-12-03 14:00-16:00", "2", "무료", "운동화", "10분 전 도착"],
    [*FIRE, "2030.12.10(화) 14:00~16:00", "2", "무료", "운동화", "10분 전 도착"],
    [*BAKERY, "2030년 12월 4일 10시~12시 30분", "3시간", "5,000원", "앞치마", ""],
    [*BAKERY, "", "3", "5000", "앞치마", ""],  # programme columns only: no new session
]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], title_row: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    if title_row:
        sheet.append([title_row])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_file(data: bytes, now: datetime | None = None) -> importer.Sheet:
    """The file checked on the city's day of `now` (the clock's by default)."""
    return importer.read(data, today=(now or utcnow()).astimezone(SEOUL).date())


async def run_import(db, data: bytes, *, now: datetime | None = None) -> importer.Summary:
    now = now or utcnow()
    sheet = read_file(data, now)
    async with db.write() as conn:
        return await importer.apply(conn, sheet, now=now)


async def table_counts(db) -> tuple[int, int, int]:
    async with db.read() as conn:
        return tuple(
            [
                await conn.scalar(select(func.count()).select_from(table))
                for table in (Site.__table__, Program.__table__, Session.__table__)
            ]
        )


def problems_of(data: bytes) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ImportRejected) as rejected:
        read_file(data)
    return [(p.row, p.column, p.code) for p in rejected.value.problems]


# ---------------------------------------------------------------- good files


async def test_a_good_file_writes_sites_programmes_and_sessions(db):
    summary = await run_import(db, csv_bytes(GOOD))
    assert summary.line() == (
        "2 sites (2 new, 0 changed, 0 unchanged), 2 programmes (2 new, 0 changed, 0 unchanged), "
        "3 sessions (3 new, 0 changed, 0 unchanged), new fields: 식품·요리, 안전·소방"
    )
    async with db.read() as conn:
        fire = (
            await conn.execute(
                select(Program.__table__).where(
                    Program.external_key == "고양소방서|119 소방관 체험"
                )
            )
        ).one()
        bakery = (
            await conn.execute(select(Program.__table__).where(Program.title == "제과제빵사 체험"))
        ).one()
        site = (await conn.execute(select(Site.__table__).where(Site.name == "빵굽는 마을"))).one()
        starts = (
            await conn.scalars(
                select(Session.starts_at)
                .where(Session.program_id == fire.id)
                .order_by(Session.starts_at)
            )
        ).all()
        found = await search(conn, "제빵", now=utcnow())
        audit = (await conn.execute(select(AuditEntry.__table__))).one()
    assert (fire.type, fire.target_grades, fire.fee, fire.hours, fire.online) == (
        "field_job",
        "1,2,3",
        0,
        2,
        False,
    )
    assert (bakery.type, bakery.target_grades, bakery.capacity, bakery.fee, bakery.hours) == (
        "job_practice",
        "2,3",
        12,
        5000,
        3,
    )
    assert (site.kind, site.district, site.address) == (
        "other",
        "일산서구",
        "경기도 고양시 일산서구 대화로 10",
    )
    # Seoul is UTC+9: 14:00 there is 05:00 UTC.
    assert starts == [
        datetime(2030, 12, 3, 5, 0, tzinfo=UTC),
        datetime(2030, 12, 10, 5, 0, tzinfo=UTC),
    ]
    assert fire.next_start == starts[0] and fire.next_seats == 20
    assert [hit.title for hit in found.hits] == ["제과제빵사 체험"]
    assert audit.action == "programs.import" and audit.detail["sessions_new"] == 3


async def test_the_same_file_twice_changes_nothing(db):
    await run_import(db, csv_bytes(GOOD))
    before = await table_counts(db)
    again = await run_import(db, csv_bytes(GOOD))
    assert not again.changes
    assert (again.sites.unchanged, again.programs.unchanged, again.sessions.unchanged) == (2, 2, 3)
    assert await table_counts(db) == before


async def test_a_changed_file_updates_in_place(db):
    await run_import(db, csv_bytes(GOOD))
    changed = [row[:] for row in GOOD]
    changed[1][10] = "3,000원"  # 참가비 of the fire programme, on both of its rows
    changed[2][10] = "3,000원"
    changed.append([*FIRE, "2030-12-17 14:00~16:00", "2", "3000", "운동화", "10분 전 도착"])
    summary = await run_import(db, csv_bytes(changed))
    assert (summary.programs.changed, summary.programs.unchanged) == (1, 1)
    assert (summary.sessions.new, summary.sessions.unchanged) == (1, 3)
    assert await table_counts(db) == (2, 2, 4)
    async with db.read() as conn:
        fees = dict((await conn.execute(select(Program.title, Program.fee))).all())
    assert fees == {"119 소방관 체험": 3000, "제과제빵사 체험": 5000}


# ---------------------------------------------------------------- bad files


async def test_a_bad_row_writes_nothing_and_names_row_and_column(db):
    rows = [row[:] for row in GOOD]
    rows.append([*FIRE[:2], "체험", *FIRE[3:], "2030-12-24 14:00~16:00", "2", "", "", ""])
    rows.append(["", "이름 없는 곳", "캠프", "과학", "4학년", "파주시", "", "0"])
    rows.append([*BAKERY[:7], "열명", "2030-02-30 10:00~12:00", "2.5", "공짜", "", ""])
    rows.append([*BAKERY, "2030-12-05 12:00~10:00", "3", "5000", "앞치마", ""])
    rows.append([*BAKERY, "2030-12-04(목) 10:00~12:00", "3", "5000", "앞치마", ""])
    problems = problems_of(csv_bytes(rows))
    assert problems == [
        (6, "체험유형", "unknown_type"),
        (7, "체험처명", "required"),
        (7, "대상학년", "bad_grades"),
        (7, "지역", "unknown_district"),
        (7, "정원", "bad_capacity"),
        (8, "정원", "bad_capacity"),
        (8, "운영일시", "bad_date"),
        (8, "이수시간", "bad_hours"),
        (8, "참가비", "bad_fee"),
        (9, "운영일시", "end_before_start"),
        (10, "운영일시", "wrong_weekday"),
    ]
    # The good rows were not written either.
    assert await table_counts(db) == (0, 0, 0)


def test_rows_of_one_programme_must_agree_and_sessions_not_repeat():
    rows = [row[:] for row in GOOD]
    rows[2][2] = "캠프"  # row 3 names another type for the fire programme
    rows.append([*FIRE, "2030-12-03 14:00~16:00", "2", "무료", "운동화", "10분 전 도착"])
    assert problems_of(csv_bytes(rows)) == [
        (3, "체험유형", "differs"),
        (6, "운영일시", "duplicate_session"),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (csv_bytes([["체험처명", "프로그램명", "정원"]]), "missing_columns"),
        (csv_bytes(GOOD[:1]), "no_rows"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old_excel"),
        (b"PK\x03\x04 not really a zip", "not_spreadsheet"),
        (bytes(range(128, 256)) * 4, "encoding"),
        (b"x" * (2 * 1024 * 1024 + 1), "too_big"),
        (csv_bytes([HEAD + ["정원"], GOOD[1]]), "repeated_column"),
    ],
)
def test_a_file_that_is_no_spreadsheet_of_ours(data, code):
    assert [problem[2] for problem in problems_of(data)] == [code]


async def test_capacity_below_booked_seats_rejects_the_whole_file(db):
    await run_import(db, csv_bytes(GOOD))
    async with db.write() as conn:
        await conn.execute(
            update(Session.__table__).where(Session.capacity == 20).values(booked=15)
        )
    rows = [row[:] for row in GOOD]
    rows[1][7] = rows[2][7] = "10"  # the fire programme's 정원 below its 15 booked seats
    rows.append(["새 체험처", "새 프로그램", "학과체험", "교육", "", "덕양구", "", "5"])
    sheet = read_file(csv_bytes(rows))
    with pytest.raises(ImportRejected) as rejected:
        async with db.write() as conn:
            await importer.apply(conn, sheet, now=utcnow())
    assert [(p.row, p.column, p.code) for p in rejected.value.problems] == [
        (2, "정원", "below_booked"),
        (3, "정원", "below_booked"),
    ]
    assert await table_counts(db) == (2, 2, 3)  # the new site and programme were rolled back


async def test_a_new_session_in_the_past_is_refused(db):
    rows = [HEAD, [*FIRE, "2020-12-03 14:00~16:00", "2", "", "", ""]]
    sheet = read_file(csv_bytes(rows))
    with pytest.raises(ImportRejected) as rejected:
        async with db.read() as conn:
            await importer.preview(conn, sheet, now=utcnow())
    assert [(p.row, p.code) for p in rejected.value.problems] == [(2, "in_past")]


def test_problems_read_in_both_languages():
    problem = importer.Problem(6, "체험유형", "unknown_type", {"value": "체험", "allowed": "캠프"})
    assert problem_text("ko", problem).startswith("6행, 체험유형: ")
    assert problem_text("en", problem) == "Row 6, 체험유형: unknown type “체험”; write one of: 캠프"
    codes = set(PROBLEMS)
    assert {"in_past", "below_booked", "bad_when", "missing_columns"} <= codes


# ---------------------------------------------------------------- encodings and formats


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "utf-16"])
async def test_csv_in_every_encoding_staff_save(db, encoding):
    if encoding == "utf-16":  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
        data = "\r\n".join("\t".join(row) for row in GOOD).encode("utf-16")
    else:
        data = csv_bytes(GOOD, encoding)
    summary = await run_import(db, data)
    assert (summary.sites.new, summary.programs.new, summary.sessions.new) == (2, 2, 3)
    async with db.read() as conn:
        fields = dict((await conn.execute(select(Program.title, Program.field))).all())
    assert fields == {"119 소방관 체험": "안전·소방", "제과제빵사 체험": "식품·요리"}


async def test_xlsx_with_numbers_dates_and_a_title_row(db):
    # Spaces and units in headers, numbers as numbers, an empty row, a camp across two days.
    head = ["체험처 명", "프로그램명", "체험유형", "직업 분야", "대상학년", "지역", "정원(명)"]
    fire = ["고양소방서", "119 소방관 체험", "현장직업체험", "안전", 2]
    rows = [
        [*head, "운영일시"],
        [*fire, "고양시 덕양구", 20.0, "2030-12-03 14:00~16:00"],
        [*fire, "덕양", 20, "2030-12-10 14:00~16:00"],
        [None] * 8,
        ["고양소방서", "드론 체험", "캠프", "항공", "1-3학년", "덕양구", 30,
         "2030-12-12 10:00 ~ 2030-12-13 12:00"],
    ]  # fmt: skip
    data = xlsx_bytes(rows, title_row="2030학년도 고양시 진로체험 프로그램")
    summary = await run_import(db, data)
    assert (summary.sites.new, summary.programs.new, summary.sessions.new) == (1, 2, 3)
    async with db.read() as conn:
        camp = (await conn.execute(select(Session.__table__).where(Session.capacity == 30))).one()
        grades = (await conn.execute(select(Program.title, Program.target_grades))).all()
    assert camp.ends_at - camp.starts_at == timedelta(hours=26)
    assert dict(grades) == {"119 소방관 체험": "2", "드론 체험": "1,2,3"}


def test_an_xlsx_with_an_error_names_the_spreadsheet_row():
    rows = [HEAD, [*FIRE[:5], "서울", *FIRE[6:], "2030-12-03 14:00~16:00"]]
    data = xlsx_bytes(rows, title_row="제목")
    assert problems_of(data) == [(3, "지역", "unknown_district")]


# Every form of the 운영일시 cell, with and without a year: tests/test_import_when.py.


@pytest.mark.parametrize(
    ("text", "grades"),
    [("1,2,3", "1,2,3"), ("1~3", "1,2,3"), ("1-3학년", "1,2,3"), ("전학년", "1,2,3"),
     ("", "1,2,3"), ("2·3학년", "2,3"), ("3, 1", "1,3"), ("2학년", "2")],
)  # fmt: skip
def test_target_grades_staff_write(text, grades):
    assert importer._grades(text) == grades


@pytest.mark.parametrize("text", ["0", "4", "1~4", "3~1", "중1", "1,2,3,4"])
def test_target_grades_outside_1_to_3(text):
    with pytest.raises(importer.CellProblem):
        importer._grades(text)


# ---------------------------------------------------------------- export


async def test_export_then_import_changes_nothing(demo):
    async with demo.read() as conn:
        exported = await exporter.export_programs(conn, now=utcnow())
    book = load_workbook(io.BytesIO(exported.content), read_only=True)
    header = next(book.worksheets[0].iter_rows(max_row=1, values_only=True))
    assert list(header) == list(HEADERS)
    assert exported.programs > 50 and exported.sessions > 300
    summary = await run_import(demo, exported.content)
    assert not summary.changes, summary.line()
    assert summary.programs.unchanged == exported.programs
    assert summary.sessions.unchanged == exported.sessions


async def test_export_keeps_what_staff_typed_as_text(db):
    rows = [HEAD, [*FIRE[:1], "=1+1 <b>체험</b>", *FIRE[2:], "", "2", "5,000원", "", ""]]
    rows.append([*FIRE[:1], "세션 없는 체험", *FIRE[2:], "", "2", "", "", ""])
    await run_import(db, csv_bytes(rows))
    async with db.read() as conn:
        exported = await exporter.export_programs(conn, now=utcnow())
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    titles = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["=1+1 <b>체험</b>", "세션 없는 체험"]
    assert sheet["C2"].data_type == "s"
    again = await run_import(db, exported.content)
    assert not again.changes, again.line()


async def test_the_example_file_imports(db):
    before_the_semester = datetime(2027, 1, 4, tzinfo=SEOUL)
    sheet = read_file(EXAMPLE.read_bytes(), before_the_semester)
    async with db.write() as conn:
        summary = await importer.apply(conn, sheet, now=before_the_semester)
    assert (summary.sites.new, summary.programs.new, summary.sessions.new) == (6, 6, 8)
    assert EXAMPLE.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for UTF-8


# ---------------------------------------------------------------- the command line


def bot_command(*args: str, database: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DATABASE_URL": database, "BOT_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_import_from_the_command_line(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    good = tmp_path / "programmes.csv"
    good.write_bytes(csv_bytes(GOOD, "cp949"))
    dry = bot_command("import", "--dry-run", str(good), database=url)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would import: 2 sites (2 new")
    done = bot_command("import", str(good), database=url)
    assert done.returncode == 0, done.stderr
    assert "3 sessions (3 new, 0 changed, 0 unchanged)" in done.stdout
    again = bot_command("import", str(good), database=url)
    assert "3 sessions (0 new, 0 changed, 3 unchanged)" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEAD, [*FIRE[:5], "서울", *FIRE[6:], "내일"]]))
    failed = bot_command("import", str(bad), database=url)
    assert failed.returncode == 2
    assert "Row 2, 지역: “서울” is not a district of Goyang" in failed.stderr
    assert "Row 2, 운영일시: “내일” is not a date and time" in failed.stderr
    assert "nothing imported: 2 problem(s)" in failed.stderr
    missing = bot_command("import", str(tmp_path / "nope.csv"), database=url)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
