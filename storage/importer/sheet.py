"""The file -> a Sheet: every row checked (pure, no database), all problems listed at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from zoneinfo import ZoneInfo

from storage.importer.cells import (
    FIELD_COLUMN,
    PARSERS,
    PROGRAM_FIELDS,
    SITE_FIELDS,
    CellProblem,
)
from storage.importer.common import HEADER, SEOUL, ImportRejected, Problem, Record, Sheet, _same
from storage.importer.when import session_when
from storage.spreadsheet import Table, UnreadableFile, cell_text, read_table


def read(data: bytes, *, today: date, tz: ZoneInfo = SEOUL) -> Sheet:
    """Check every row of a CSV or XLSX file; raises ImportRejected listing all problems.
    `today`: the city's day of the import, which a date without its year is read from."""
    try:
        table = read_table(data)
    except UnreadableFile as error:
        values = dict(error.values)
        problem = Problem(values.pop("row", None), None, error.code, values)
        raise ImportRejected([problem]) from None
    return sheet_of(table, today=today, tz=tz)


def sheet_of(table: Table, *, today: date, tz: ZoneInfo = SEOUL) -> Sheet:
    parsers = {**PARSERS, "when": partial(session_when, tz=tz, today=today)}
    sheet = Sheet(table.keys)
    problems: list[Problem] = []
    for number, cells in table.rows:
        values, row_problems = _parse_row(number, cells, table.keys, parsers)
        if row_problems:
            problems.extend(row_problems)
        else:
            problems.extend(_add_row(sheet, number, values))
    if problems:
        raise ImportRejected(problems)
    return sheet


def _parse_row(number: int, cells: dict, keys: Iterable[str], parsers: dict):
    values, problems = {}, []
    for key in keys:
        try:
            values[key] = parsers[key](cell_text(cells.get(key)))
        except CellProblem as problem:
            problems.append(Problem(number, HEADER[key], problem.code, problem.values))
    return values, problems


def _add_row(sheet: Sheet, number: int, values: dict) -> list[Problem]:
    site_name, title = values["site"], values["title"]
    site = {name: values[key] for key, name in SITE_FIELDS.items() if key in values}
    program = {name: values[key] for key, name in PROGRAM_FIELDS.items() if key in values}
    if "mode" in values:
        program["online"] = values["type"] == "online" if values["mode"] is None else values["mode"]
    program.update(site=site_name, title=title)
    problems = _merge(sheet.sites, site_name, number, site, "the same site")
    if site_name not in sheet.sites:
        # A site takes the district of its first row; its programmes keep their own.
        site["district"] = values["district"]
        sheet.sites[site_name] = Record(number, site)
    key = f"{site_name}|{title}"
    problems += _merge(sheet.programs, key, number, program, "the same programme")
    sheet.programs.setdefault(key, Record(number, program))
    if problems or values.get("when") is None:
        return problems
    starts_at, ends_at = values["when"]
    earlier = sheet.sessions.get((key, starts_at))
    if earlier is not None:
        return [Problem(number, HEADER["when"], "duplicate_session", {"row": earlier.row})]
    session = {"ends_at": ends_at, "capacity": values.get("session_capacity") or values["capacity"]}
    if "online_url" in values:
        session["online_url"] = values["online_url"]
    sheet.sessions[(key, starts_at)] = Record(number, session)
    return []


def _merge(records: dict[str, Record], key: str, number: int, fields: dict, what: str):
    """Problems where this row disagrees with the first row of the same site or programme."""
    first = records.get(key)
    if first is None:
        return []
    return [
        Problem(number, HEADER[FIELD_COLUMN[name]], "differs", {"row": first.row})
        for name, value in fields.items()
        if name in first.fields and not _same(first.fields[name], value)
    ]
