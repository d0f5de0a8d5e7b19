"""What the parts of the import share: the names staff write, the checked Sheet, the
problems that reject a file and the Summary of what an import changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from storage.catalogue import PROGRAM_TYPES
from storage.spreadsheet import COLUMNS

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
    # The file's spellings of fields in use, as read ({spelling: field}), and the fields it
    # brings that nobody has yet (storage/importer/fields.py).
    fields_as_known: dict[str, str] = field(default_factory=dict)
    fields_new: list[str] = field(default_factory=list)

    @property
    def fields_read_as(self) -> list[str]:
        """ "문화·예술 → 문화예술": each spelling of the file read as a field in use."""
        return [f"{spelling} → {known}" for spelling, known in self.fields_as_known.items()]

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

        parts = [
            part(self.sites, "sites"),
            part(self.programs, "programmes"),
            part(self.sessions, "sessions"),
        ]
        if self.fields_new:
            parts.append("new fields: " + ", ".join(self.fields_new))
        if self.fields_as_known:
            parts.append("fields read as in use: " + ", ".join(self.fields_read_as))
        return ", ".join(parts)


def _same(a: object, b: object) -> bool:
    # An empty text and no text are the same to the person who typed the cell.
    return (a if a != "" else None) == (b if b != "" else None)


def _column_order(header: str | None) -> int:
    headers = [column.header for column in COLUMNS]
    return headers.index(header) if header in headers else -1
