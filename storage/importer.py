"""Staff spreadsheet import: check every row first (pure), then upsert all of it in one transaction.

One row is one session of a programme; the programme's and the site's columns repeat on
each of its rows (and must agree). Stable keys make a re-import change nothing: a site is
its 체험처명, a programme is "체험처명|프로그램명" (Program.external_key), a session is its
programme and start. A column the file lacks leaves that field as it is; an empty cell
clears it (or sets the default). Nothing is deleted: sessions missing from the file stay.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.catalogue import DISTRICTS, PROGRAM_TYPES
from storage.models import Program, Session, Site
from storage.search import index_programs, refresh_next
from storage.spreadsheet import COLUMNS, Table, UnreadableFile, cell_text, read_table

sites = Site.__table__
programs = Program.__table__
sessions = Session.__table__

SEOUL = ZoneInfo("Asia/Seoul")
# The names staff write, and the codes stored (Program.type, Site.kind).
TYPES = {name: code for code, name in PROGRAM_TYPES.items()}
SITE_KINDS = {
    "공공기관": "public",
    "기업": "company",
    "소상공인": "small_business",
    "대학": "university",
    "비영리단체": "nonprofit",
    "기타": "other",
}
ONLINE, OFFLINE = "온라인", "대면"
TYPE_NAMES = PROGRAM_TYPES
KIND_NAMES = {code: name for name, code in SITE_KINDS.items()}
HEADER = {column.key: column.header for column in COLUMNS}

MAX_CAPACITY = 1000
MAX_HOURS = 40
# Same lock number in every process: PostgreSQL imports run one at a time.
IMPORT_LOCK = 3_0301


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the file cannot be imported: a row and column when it is one cell's fault.

    `code` names the reason; messages/imports.py turns it into words."""

    row: int | None
    column: str | None
    code: str
    values: dict = field(default_factory=dict)


class ImportRejected(Exception):
    """Nothing was (or would be) written; every problem found is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems, key=lambda p: (p.row or 0, _column_order(p.column)))


@dataclass(slots=True)
class Record:
    row: int  # the first row that named it
    fields: dict


@dataclass(slots=True)
class Sheet:
    """A checked file: every site, programme and session it names, with the managed fields."""

    columns: frozenset[str]
    sites: dict[str, Record] = field(default_factory=dict)  # by name
    programs: dict[str, Record] = field(default_factory=dict)  # by external_key
    sessions: dict[tuple[str, datetime], Record] = field(default_factory=dict)


@dataclass(slots=True)
class Counts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged


@dataclass(slots=True)
class Summary:
    sites: Counts = field(default_factory=Counts)
    programs: Counts = field(default_factory=Counts)
    sessions: Counts = field(default_factory=Counts)

    @property
    def changes(self) -> bool:
        return any(c.new or c.changed for c in (self.sites, self.programs, self.sessions))

    def line(self) -> str:
        """One plain line for the command line and the audit log."""

        def part(counts: Counts, noun: str) -> str:
            return (
                f"{counts.total} {noun} ({counts.new} new, {counts.changed} changed, "
                f"{counts.unchanged} unchanged)"
            )

        return ", ".join(
            (
                part(self.sites, "sites"),
                part(self.programs, "programmes"),
                part(self.sessions, "sessions"),
            )
        )


# ---------------------------------------------------------------- reading the cells


class CellProblem(Exception):
    def __init__(self, code: str, **values) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


def _folded(value: str) -> str:
    """For matching names: no spaces or middle dots, half-width, case-free."""
    value = unicodedata.normalize("NFKC", value).casefold()
    return re.sub(r"[\s·ㆍ•・/,\-]+", "", value)


def _lookup(names: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    found = {_folded(name): code for name, code in names.items()}
    found.update({code: code for code in names.values()})  # the stored codes, as /export
    found.update({_folded(name): code for name, code in extra.items()})
    return found


# Portal spellings: 꿈길 writes the types with a "형" suffix (직업실무체험형, 강연·대화형).
_TYPE_LOOKUP = _lookup(TYPES, {"강연": "talk", "대화": "talk", "견학": "field_trip"})
_KIND_LOOKUP = _lookup(
    SITE_KINDS,
    {
        "공공": "public",
        "관공서": "public",
        "민간기업": "company",
        "회사": "company",
        "대학교": "university",
        "비영리": "nonprofit",
        "비영리기관": "nonprofit",
    },
)


def _text(limit: int, *, required: bool = False, empty: str | None = None):
    def parse(value: str) -> str | None:
        if not value:
            if required:
                raise CellProblem("required")
            return empty
        if len(value) > limit:
            raise CellProblem("too_long", limit=limit)
        return value

    return parse


def _program_type(value: str) -> str:
    if not value:
        raise CellProblem("required")
    code = _TYPE_LOOKUP.get(_folded(value)) or _TYPE_LOOKUP.get(_folded(value).removesuffix("형"))
    if code is None:
        raise CellProblem("unknown_type", value=_shown(value), allowed=", ".join(TYPES))
    return code


def _site_kind(value: str) -> str:
    if not value:
        return "other"
    code = _KIND_LOOKUP.get(_folded(value))
    if code is None:
        raise CellProblem("unknown_kind", value=_shown(value), allowed=", ".join(SITE_KINDS))
    return code


def _district(value: str) -> str:
    if not value:
        raise CellProblem("required")
    name = _folded(value).removeprefix("경기도").removeprefix("고양시")
    for district in DISTRICTS:
        if name in (district, district.removesuffix("구")):
            return district
    raise CellProblem("unknown_district", value=_shown(value), allowed=", ".join(DISTRICTS))


def _grades(value: str) -> str:
    """ "1,2,3", "1~3", "1-3학년", "2·3학년", "전학년" (empty: all grades) -> "1,2,3"."""
    folded = unicodedata.normalize("NFKC", value).replace(" ", "")
    if folded in ("", "전학년", "전체", "모든학년"):
        return "1,2,3"
    folded = folded.removesuffix("학년")
    span = re.fullmatch(r"([1-3])(?:학년)?[~\-–〜]([1-3])", folded)
    if span and span[1] <= span[2]:
        grades = set(range(int(span[1]), int(span[2]) + 1))
    elif re.fullmatch(r"[1-3](?:(?:학년)?[,·ㆍ/][1-3])*", folded):
        grades = {int(d) for d in re.findall(r"[1-3]", folded)}
    else:
        raise CellProblem("bad_grades", value=_shown(value))
    return ",".join(str(g) for g in sorted(grades))


def _mode(value: str) -> bool | None:
    """True online, False on site, None: follow 체험유형 (온라인 means online)."""
    folded = _folded(value)
    if not folded:
        return None
    if folded in ("온라인", "비대면", "원격", "online", "y", "o", "예"):
        return True
    if folded in ("대면", "오프라인", "현장", "offline", "n", "x", "아니요", "아니오"):
        return False
    raise CellProblem("unknown_mode", value=_shown(value), allowed=f"{OFFLINE}, {ONLINE}")


def _whole_number(value: str, *, unit: str) -> int | None:
    folded = unicodedata.normalize("NFKC", value).replace(",", "").replace(" ", "")
    folded = folded.removeprefix("₩").removesuffix(unit)
    return int(folded) if re.fullmatch(r"\d{1,7}", folded) else None


def _capacity(value: str, *, required: bool = True) -> int | None:
    if not value:
        if required:
            raise CellProblem("required")
        return None
    number = _whole_number(value, unit="명")
    if number is None or not 1 <= number <= MAX_CAPACITY:
        raise CellProblem("bad_capacity", value=_shown(value), limit=MAX_CAPACITY)
    return number


def _hours(value: str) -> int:
    if not value:
        return 2
    number = _whole_number(value.removesuffix("차시"), unit="시간")
    if number is None or not 1 <= number <= MAX_HOURS:
        raise CellProblem("bad_hours", value=_shown(value), limit=MAX_HOURS)
    return number


def _fee(value: str) -> int:
    if _folded(value) in ("", "무료", "없음", "free"):
        return 0
    number = _whole_number(value, unit="원")
    if number is None:
        raise CellProblem("bad_fee", value=_shown(value))
    return number


def _url(value: str) -> str | None:
    if not value:
        return None
    if len(value) > 300:
        raise CellProblem("too_long", limit=300)
    if not re.fullmatch(r"https?://\S+", value):
        raise CellProblem("bad_url", value=_shown(value))
    return value


def _date_part(p: str) -> str:
    return (
        rf"(?P<{p}y>\d{{4}})\s*[-./년]\s*(?P<{p}mo>\d{{1,2}})\s*[-./월]\s*(?P<{p}d>\d{{1,2}})"
        rf"\s*일?\.?\s*(?:\(?(?P<{p}wd>[월화수목금토일])(?:요일)?\)?)?"
    )


def _time_part(p: str) -> str:
    return (
        rf"(?P<{p}h>\d{{1,2}})"
        rf"(?::(?P<{p}m>\d{{2}})|\s*시(?:\s*(?P<{p}m2>\d{{1,2}})\s*분)?)"
    )


# "2026-12-03 14:00-16:00", "2026.12.3(목) 14:00~16:00", "2026년 12월 3일 14시~16시 30분",
# and across days for camps: "2026-12-03 14:00 ~ 2026-12-04 12:00".
_WHEN = re.compile(
    rf"{_date_part('s')}\s*{_time_part('s')}\s*[-~〜～–—]\s*(?:{_date_part('e')}\s*)?"
    rf"{_time_part('e')}"
)
_WEEKDAYS = "월화수목금토일"


def _when(value: str, *, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    if not value:
        return None
    match = _WHEN.fullmatch(unicodedata.normalize("NFKC", value).strip())
    if match is None:
        raise CellProblem("bad_when", value=_shown(value))
    starts_at = _moment(match, "s", "s", tz, value)
    ends_at = _moment(match, "e" if match["ey"] else "s", "e", tz, value)
    if ends_at <= starts_at:
        raise CellProblem("end_before_start", value=_shown(value))
    return starts_at, ends_at


def _moment(match: re.Match, day: str, hour: str, tz: ZoneInfo, value: str) -> datetime:
    minute = match[f"{hour}m"] or match[f"{hour}m2"] or "0"
    try:
        moment = datetime(
            int(match[f"{day}y"]),
            int(match[f"{day}mo"]),
            int(match[f"{day}d"]),
            int(match[f"{hour}h"]),
            int(minute),
            tzinfo=tz,
        )
    except ValueError:
        raise CellProblem("bad_date", value=_shown(value)) from None
    weekday = match[f"{day}wd"]
    if weekday and _WEEKDAYS[moment.weekday()] != weekday:
        raise CellProblem("wrong_weekday", value=_shown(value), weekday=_WEEKDAYS[moment.weekday()])
    return moment


def _shown(value: str) -> str:
    """A cell value quoted in a problem, short enough for a chat message."""
    value = " ".join(value.split())
    return value if len(value) <= 30 else value[:29] + "…"


PARSERS: dict[str, Callable[[str], object]] = {
    "site": _text(120, required=True),
    "site_kind": _site_kind,
    "title": _text(120, required=True),
    "description": _text(2000, empty=""),
    "type": _program_type,
    "field": _text(40, required=True),
    "grades": _grades,
    "district": _district,
    "address": _text(200),
    "directions": _text(2000),
    "place": _text(200),
    "mode": _mode,
    "capacity": _capacity,
    "session_capacity": partial(_capacity, required=False),
    "online_url": _url,
    "schedule_note": _text(200),
    "hours": _hours,
    "fee": _fee,
    "bring": _text(300),
    "notes": _text(2000),
}
# Column key -> field of the site or programme it fills.
SITE_FIELDS = {"site_kind": "kind", "address": "address", "directions": "directions"}
PROGRAM_FIELDS = {
    "description": "description",
    "type": "type",
    "field": "field",
    "grades": "target_grades",
    "district": "district",
    "place": "place",
    "capacity": "capacity",
    "schedule_note": "schedule_note",
    "hours": "hours",
    "fee": "fee",
    "bring": "bring",
    "notes": "notes",
}
FIELD_COLUMN = {
    **{name: key for key, name in SITE_FIELDS.items()},
    **{name: key for key, name in PROGRAM_FIELDS.items()},
    "online": "mode",
}


# ---------------------------------------------------------------- the file -> a Sheet


def read(data: bytes, *, tz: ZoneInfo = SEOUL) -> Sheet:
    """Check every row of a CSV or XLSX file; raises ImportRejected listing all problems."""
    try:
        table = read_table(data)
    except UnreadableFile as error:
        values = dict(error.values)
        problem = Problem(values.pop("row", None), None, error.code, values)
        raise ImportRejected([problem]) from None
    return sheet_of(table, tz=tz)


def sheet_of(table: Table, *, tz: ZoneInfo = SEOUL) -> Sheet:
    parsers = {**PARSERS, "when": partial(_when, tz=tz)}
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


def _same(a: object, b: object) -> bool:
    # An empty text and no text are the same to the person who typed the cell.
    return (a if a != "" else None) == (b if b != "" else None)


def _column_order(header: str | None) -> int:
    headers = [column.header for column in COLUMNS]
    return headers.index(header) if header in headers else -1


# ---------------------------------------------------------------- a Sheet -> the database


@dataclass(slots=True)
class Plan:
    """What a Sheet would change, worked out from the database as it is now."""

    summary: Summary = field(default_factory=Summary)
    problems: list[Problem] = field(default_factory=list)
    new_sites: list[dict] = field(default_factory=list)
    site_updates: list[tuple[int, dict]] = field(default_factory=list)
    new_programs: list[dict] = field(default_factory=list)
    program_updates: list[tuple[int, dict]] = field(default_factory=list)
    # (programme key, its id when it exists already, row)
    new_sessions: list[tuple[str, int | None, dict]] = field(default_factory=list)
    session_updates: list[tuple[int, int, dict]] = field(default_factory=list)  # (id, prog, row)


async def preview(conn: AsyncConnection, sheet: Sheet, *, now: datetime) -> Summary:
    """What `apply` would do, without writing; raises ImportRejected like it."""
    plan = await _plan(conn, sheet, now)
    if plan.problems:
        raise ImportRejected(plan.problems)
    return plan.summary


async def apply(
    conn: AsyncConnection,
    sheet: Sheet,
    *,
    actor_id: int | None = None,
    now: datetime,
) -> Summary:
    """Upsert the sheet in the caller's (write) transaction; raises ImportRejected, and then
    the caller's transaction must roll back."""
    if conn.dialect.name == "postgresql":
        # Two imports at once would both plan the same new rows; one waits for the other.
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
    plan = await _plan(conn, sheet, now)
    if plan.problems:
        raise ImportRejected(plan.problems)
    await _write(conn, plan, now=now)
    counts = {
        f"{name}_{kind}": getattr(getattr(plan.summary, name), kind)
        for name in ("sites", "programs", "sessions")
        for kind in ("new", "changed", "unchanged")
    }
    await audit.record(conn, actor_id, "programs.import", "file", None, **counts, now=now)
    return plan.summary


async def _plan(conn: AsyncConnection, sheet: Sheet, now: datetime) -> Plan:
    plan = Plan()
    await _plan_sites(conn, sheet, plan)
    known = await _plan_programs(conn, sheet, plan)
    await _plan_sessions(conn, sheet, plan, known, now)
    return plan


async def _plan_sites(conn: AsyncConnection, sheet: Sheet, plan: Plan) -> None:
    rows = await _rows_where(conn, sites, sites.c.name, list(sheet.sites))
    existing = {row.name: row for row in rows}
    for name, record in sheet.sites.items():
        row = existing.get(name)
        if row is None:
            defaults = {"kind": "other", "address": None, "directions": None}
            plan.new_sites.append({**defaults, **record.fields, "name": name})
            plan.summary.sites.new += 1
        else:
            _plan_update(row, record.fields, plan.site_updates, plan.summary.sites)


async def _plan_programs(conn: AsyncConnection, sheet: Sheet, plan: Plan) -> dict[str, int]:
    """Returns the ids of the file's programmes that exist already, by key."""
    rows = await _rows_where(conn, programs, programs.c.external_key, list(sheet.programs))
    existing = {row.external_key: row for row in rows}
    for key, record in sheet.programs.items():
        fields = {name: value for name, value in record.fields.items() if name != "site"}
        row = existing.get(key)
        if row is None:
            plan.new_programs.append({**_program_defaults(fields), **fields, "external_key": key})
            plan.new_programs[-1]["site"] = record.fields["site"]
            plan.summary.programs.new += 1
        else:
            _plan_update(row, fields, plan.program_updates, plan.summary.programs)
    return {key: row.id for key, row in existing.items()}


def _program_defaults(fields: dict) -> dict:
    return {
        "description": "",
        "target_grades": "1,2,3",
        "school_level": "middle",
        "place": None,
        "directions": None,
        "online": fields["type"] == "online",
        "schedule_note": None,
        "hours": 2,
        "fee": 0,
        "bring": None,
        "notes": None,
    }


async def _plan_sessions(
    conn: AsyncConnection, sheet: Sheet, plan: Plan, known: dict[str, int], now: datetime
) -> None:
    rows = await _rows_where(conn, sessions, sessions.c.program_id, list(known.values()))
    existing = {(row.program_id, row.starts_at): row for row in rows}
    for (key, starts_at), record in sheet.sessions.items():
        program_id = known.get(key)
        row = existing.get((program_id, starts_at)) if program_id is not None else None
        if row is None:
            if starts_at <= now:
                # Likely a typo in the year; a past session can never be booked anyway.
                plan.problems.append(Problem(record.row, HEADER["when"], "in_past"))
                continue
            row = {**record.fields, "starts_at": starts_at}
            plan.new_sessions.append((key, program_id, row))
            plan.summary.sessions.new += 1
            continue
        if record.fields["capacity"] < row.booked:
            values = {"capacity": record.fields["capacity"], "booked": row.booked}
            column = "session_capacity" if "session_capacity" in sheet.columns else "capacity"
            plan.problems.append(Problem(record.row, HEADER[column], "below_booked", values))
            continue
        changed = _changed_fields(row, record.fields)
        if changed:
            plan.session_updates.append((row.id, row.program_id, changed))
            plan.summary.sessions.changed += 1
        else:
            plan.summary.sessions.unchanged += 1


def _plan_update(row, fields: dict, updates: list, counts: Counts) -> None:
    changed = _changed_fields(row, fields)
    if changed:
        updates.append((row.id, changed))
        counts.changed += 1
    else:
        counts.unchanged += 1


def _changed_fields(row, fields: dict) -> dict:
    return {name: value for name, value in fields.items() if not _same(row._mapping[name], value)}


async def _rows_where(conn: AsyncConnection, table, column, values: list) -> list:
    """Rows whose `column` is one of `values`, asked in chunks to stay under parameter limits."""
    found = []
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        found += (await conn.execute(select(table).where(column.in_(chunk)))).all()
    return found


async def _write(conn: AsyncConnection, plan: Plan, *, now: datetime) -> None:
    if plan.new_sites:
        await conn.execute(insert(sites), plan.new_sites)
    for site_id, values in plan.site_updates:
        await conn.execute(update(sites).where(sites.c.id == site_id).values(**values))
    site_ids = {
        row.name: row.id
        for row in await _rows_where(
            conn, sites, sites.c.name, sorted({p["site"] for p in plan.new_programs})
        )
    }
    if plan.new_programs:
        rows = [
            {**{k: v for k, v in p.items() if k != "site"}, "site_id": site_ids[p["site"]]}
            for p in plan.new_programs
        ]
        await conn.execute(insert(programs), rows)
    for program_id, values in plan.program_updates:
        await conn.execute(update(programs).where(programs.c.id == program_id).values(**values))
    new_keys = [p["external_key"] for p in plan.new_programs]
    program_ids = {
        row.external_key: row.id
        for row in await _rows_where(conn, programs, programs.c.external_key, new_keys)
    }
    await _write_sessions(conn, plan, program_ids)
    await index_programs(
        conn, sorted({*program_ids.values(), *(pid for pid, _ in plan.program_updates)})
    )
    moved = {program_id for _, program_id, _ in plan.session_updates}
    moved |= {program_id for _, program_id, _ in plan.new_sessions if program_id is not None}
    await refresh_next(conn, sorted(moved | set(program_ids.values())), now=now)


async def _write_sessions(conn: AsyncConnection, plan: Plan, new_program_ids: dict) -> None:
    if plan.new_sessions:
        defaults = {"booked": 0, "status": "scheduled", "online_url": None}
        rows = [
            {**defaults, **values, "program_id": program_id or new_program_ids[key]}
            for key, program_id, values in plan.new_sessions
        ]
        await conn.execute(insert(sessions), rows)
    for session_id, _, values in plan.session_updates:
        # Booked seats may have grown since the plan (PostgreSQL runs bookings alongside):
        # the condition keeps the no-overbooking rule, and a miss rejects the whole import.
        stmt = update(sessions).where(sessions.c.id == session_id).values(**values)
        if "capacity" in values:
            stmt = stmt.where(sessions.c.booked <= values["capacity"])
        if (await conn.execute(stmt)).rowcount != 1:
            raise ImportRejected([Problem(None, HEADER["capacity"], "booked_meanwhile")])
