"""Reading the cells: each column's parser turns what staff typed into a stored value, or a
CellProblem saying why it cannot. The 운영일시 cell, read with the day of the import, is
when.py's."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import partial

from storage.catalogue import DISTRICTS
from storage.importer.common import OFFLINE, ONLINE, SITE_KINDS, TYPES

MAX_CAPACITY = 1000
MAX_HOURS = 40


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
