"""The staff spreadsheet: its columns (the template), and reading and writing CSV and XLSX files.

Only the file format lives here; what the cells mean is storage/importer/'s business.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import zip_longest

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

# Staff files are a few hundred rows; this leaves room for thousands of sessions.
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
# A title row or two above the headers is common in staff files; look this far for them.
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # exactly as the template writes it
    key: str  # the name the importer uses
    required: bool = False
    aliases: tuple[str, ...] = ()


# The template, in the order /export writes it.
COLUMNS = (
    Column("체험처명", "site", required=True, aliases=("체험처", "기관명")),
    Column("체험처구분", "site_kind", aliases=("기관구분", "기관유형")),
    Column("프로그램명", "title", required=True, aliases=("프로그램",)),
    Column("프로그램 소개", "description", aliases=("설명", "프로그램 내용")),
    Column("체험유형", "type", required=True, aliases=("유형",)),
    Column("직업분야", "field", required=True, aliases=("분야",)),
    Column("대상학년", "grades", aliases=("학년",)),
    Column("지역", "district", required=True, aliases=("구",)),
    Column("주소", "address"),
    Column("오시는 길", "directions", aliases=("찾아오는 길",)),
    Column("장소", "place", aliases=("체험장소",)),
    Column("운영방식", "mode", aliases=("온라인 여부",)),
    Column("정원", "capacity", required=True, aliases=("모집인원",)),
    Column("운영일시", "when", aliases=("일시", "체험일시")),
    Column("회차정원", "session_capacity", aliases=("회차 정원",)),
    Column("온라인 주소", "online_url", aliases=("접속 주소",)),
    Column("운영시간 안내", "schedule_note", aliases=("운영시간",)),
    Column("이수시간", "hours", aliases=("인정시간",)),
    Column("참가비", "fee", aliases=("비용",)),
    Column("준비물", "bring"),
    Column("유의사항", "notes", aliases=("참고사항",)),
)
HEADERS = tuple(column.header for column in COLUMNS)


class UnreadableFile(Exception):
    """The file is no spreadsheet we can read; `code` says why (see messages/imports.py)."""

    def __init__(self, code: str, **values) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True, slots=True)
class Table:
    """The file's data rows, keyed by column key, with the spreadsheet's own row numbers."""

    keys: frozenset[str]  # the template columns the file has
    rows: list[tuple[int, dict[str, object]]]


def header_name(text: object) -> str:
    """A header cell reduced for matching: no spaces, no "*" marks, no "(명)" style units."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = re.sub(r"\s+", "", value).strip("*※")
    return re.sub(r"\(.*\)$", "", value)


_BY_NAME = {
    header_name(name): column for column in COLUMNS for name in (column.header, *column.aliases)
}


def read_table(data: bytes) -> Table:
    """The rows of a CSV or XLSX file (the first sheet); raises UnreadableFile."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile("too_big", limit_mb=MAX_BYTES // (1024 * 1024))
    if data.startswith(b"PK\x03\x04"):
        grid = _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("old_excel")  # .xls, Excel 97-2003
    else:
        grid = _csv_rows(data)
    return _table(grid)


def _xlsx_rows(data: bytes) -> list[list[object]]:
    try:
        # read_only streams the sheet; data_only gives a formula's last computed value.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise UnreadableFile("not_spreadsheet") from None
    try:
        sheet = book.worksheets[0]
        grid = []
        for row in sheet.iter_rows(min_row=1, values_only=True):
            grid.append(list(row))
            if len(grid) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise UnreadableFile("too_many_rows", limit=MAX_ROWS)
        return grid
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list[object]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" is tab-separated; everything else staff save is commas.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        grid = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise UnreadableFile("not_spreadsheet") from None
    if len(grid) > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise UnreadableFile("too_many_rows", limit=MAX_ROWS)
    return grid


def _decode(data: bytes) -> str:
    """UTF-8 with or without a BOM, UTF-16 with a BOM, else CP949 (Korean Excel's default)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp949")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UnreadableFile("encoding")


def _table(grid: list[list[object]]) -> Table:
    header_at = _header_row(grid)
    if header_at is None:
        raise UnreadableFile("empty")
    columns = _columns(grid[header_at])
    missing = [c.header for c in COLUMNS if c.required and c.key not in columns.values()]
    if missing:
        raise UnreadableFile("missing_columns", row=header_at + 1, columns=", ".join(missing))
    rows = []
    for index in range(header_at + 1, len(grid)):
        cells = grid[index]
        values = {key: cells[i] for i, key in columns.items() if i < len(cells)}
        if any(cell_text(value) for value in values.values()):
            rows.append((index + 1, values))
    if not rows:
        raise UnreadableFile("no_rows")
    return Table(frozenset(columns.values()), rows)


def _header_row(grid: list[list[object]]) -> int | None:
    """The row holding the headers: the first with 체험처명 and 프로그램명, else the first
    non-empty one (so that the missing columns can be named)."""
    first = None
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = {_BY_NAME[name].key for name in map(header_name, cells) if name in _BY_NAME}
        if {"site", "title"} <= keys:
            return index
        if first is None and any(cell_text(cell) for cell in cells):
            first = index
    return first


def _columns(cells: list[object]) -> dict[int, str]:
    """Cell index -> column key; unknown headers are ignored, a repeated one is an error."""
    found: dict[int, str] = {}
    for index, cell in enumerate(cells):
        column = _BY_NAME.get(header_name(cell))
        if column is None:
            continue
        if column.key in found.values():
            raise UnreadableFile("repeated_column", column=column.header)
        found[index] = column.key
    return found


def cell_text(value: object) -> str:
    """A cell as trimmed text; whole numbers lose Excel's ".0", dates read as written."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M") if value.time() != time(0) else value.date()
    if isinstance(value, date):
        value = value.isoformat()
    elif isinstance(value, time):
        value = value.strftime("%H:%M")
    # NFC: files saved on a Mac may hold decomposed Hangul, which would match nothing.
    return unicodedata.normalize("NFC", str(value)).strip()


def write_xlsx(rows: list[list[object]]) -> bytes:
    """An XLSX file with the template's headers and these rows (in COLUMNS order)."""
    return xlsx_file("프로그램", HEADERS, rows)


def xlsx_file(title: str, headers, rows) -> bytes:
    """One sheet: bold headers kept in view, then the rows, as text that cannot run; each
    column as wide as its content (`column_width`)."""
    return xlsx_book([(title, headers, rows)])


def xlsx_book(sheets) -> bytes:
    """A sheet for each (title, headers, rows), written as xlsx_file writes its one."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        _fill(book.create_sheet(title), headers, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(sheet, headers, rows) -> None:
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = [cell_width(header) for header in headers]
    for number, row in enumerate(rows, start=2):
        values = [_safe(value) for value in row]
        sheet.append(values)
        for column, value in enumerate(values, start=1):
            # A text like "=1+1" is someone's words, not a formula to run in Excel. (The
            # cell by its place: sheet.max_row would go over every cell, for every row.)
            if isinstance(value, str) and value.startswith("="):
                sheet.cell(row=number, column=column).data_type = "s"
        widths = [max(pair) for pair in zip_longest(widths, map(cell_width, values), fillvalue=0)]
    for cell, width in zip(sheet[1], widths, strict=False):
        sheet.column_dimensions[cell.column_letter].width = column_width(width)


# A column's width in Excel's unit (about one digit of the default font): room for its
# widest cell, but a long text is cut off at the edge rather than stretching the sheet.
WIDTH_MIN, WIDTH_MAX, WIDTH_PAD = 8, 80, 2
# How Excel shows what openpyxl writes: a date-time as "2025-03-04 10:00:00", a date, a time.
SHOWN_WIDTH = {datetime: 19, date: 10, time: 8}


def cell_width(value: object) -> int:
    """How wide a cell's value shows: its longest line, a wide character (Hangul, Hanja,
    full-width signs) counted as two digits."""
    for kind, width in SHOWN_WIDTH.items():
        if isinstance(value, kind):
            return width
    if value is None:
        return 0
    # Past WIDTH_MAX a column is as wide as it gets: longer texts are not read to the end.
    lines = str(value)[: WIDTH_MAX * 4].splitlines() or [""]
    return max(_shown(line[:WIDTH_MAX]) for line in lines)


def _shown(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def column_width(widest: int) -> float:
    """The width to give a column whose widest cell shows `widest` digits wide."""
    return min(WIDTH_MAX, max(WIDTH_MIN, widest + WIDTH_PAD))


def _safe(value: object) -> object:
    # Control characters are not allowed in XLSX cells; openpyxl would refuse the whole file.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
