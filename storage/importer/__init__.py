"""Staff spreadsheet import: check every row first (pure), then upsert all of it in one transaction.

One row is one session of a programme; the programme's and the site's columns repeat on
each of its rows (and must agree). Stable keys make a re-import change nothing: a site is
its 체험처명, a programme is "체험처명|프로그램명" (Program.external_key), a session is its
programme and start. A column the file lacks leaves that field as it is; an empty cell
clears it (or sets the default). Nothing is deleted: sessions missing from the file stay.

The parts: common.py (names and results shared by all), cells.py (reading the cells),
when.py (the 운영일시 cell, read by storage/moments.py with the day of the import), sheet.py
(the file -> a Sheet), plan.py (a Sheet -> what it would change, `preview`) and write.py
(`apply`).
"""

from storage.importer.cells import (
    FIELD_COLUMN,
    MAX_CAPACITY,
    MAX_HOURS,
    PARSERS,
    PROGRAM_FIELDS,
    SITE_FIELDS,
    CellProblem,
)
from storage.importer.cells import _grades as _grades
from storage.importer.common import (
    HEADER,
    KIND_NAMES,
    OFFLINE,
    ONLINE,
    SEOUL,
    SITE_KINDS,
    TYPE_NAMES,
    TYPES,
    Counts,
    ImportRejected,
    Problem,
    Record,
    Sheet,
    Summary,
)
from storage.importer.plan import Plan, preview
from storage.importer.sheet import read, sheet_of
from storage.importer.when import session_when
from storage.importer.write import IMPORT_LOCK, apply

__all__ = [
    "FIELD_COLUMN",
    "HEADER",
    "IMPORT_LOCK",
    "KIND_NAMES",
    "MAX_CAPACITY",
    "MAX_HOURS",
    "OFFLINE",
    "ONLINE",
    "PARSERS",
    "PROGRAM_FIELDS",
    "SEOUL",
    "SITE_FIELDS",
    "SITE_KINDS",
    "TYPES",
    "TYPE_NAMES",
    "CellProblem",
    "Counts",
    "ImportRejected",
    "Plan",
    "Problem",
    "Record",
    "Sheet",
    "Summary",
    "apply",
    "preview",
    "read",
    "session_when",
    "sheet_of",
]
