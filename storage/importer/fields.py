"""One vocabulary of programme fields: a spreadsheet's spelling of a field the programme
already has ("문화·예술" for 문화예술, "안전·소방" for 소방·안전, "농림·화훼" for 화훼) is
read as that field, and a field nobody has yet is named in the preview for staff to confirm
or correct, never made quietly.

Two spellings are one field when their words are the same once spacing, the separators
(·, /, -, commas) and case are left out, in any order, or when every word of one is a word of
the other (the broader spelling and the narrower one). Field names never compared as
meanings: "정보·통신" beside "IT·소프트웨어" is for staff to decide.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s·・•∙./,&+\-–—_()]+")


def words(field: str) -> tuple[str, ...]:
    return tuple(part for part in _SEPARATORS.split(field.casefold()) if part)


def same_field(a: str, b: str) -> bool:
    first, second = words(a), words(b)
    if not first or not second:
        return False
    if "".join(first) == "".join(second) or sorted(first) == sorted(second):
        return True
    return set(first) <= set(second) or set(second) <= set(first)


def settle(spellings: set[str], known: list[str]) -> tuple[dict[str, str], list[str]]:
    """How a file's field spellings read against the fields in use (`known`, the most used
    first): {spelling: the field it is} for those written differently, and the new fields
    (a new one spelt two ways in the file is one field, its first spelling in sorted order)."""
    as_known: dict[str, str] = {}
    new: list[str] = []
    for spelling in sorted(spellings):
        if spelling in known:
            continue
        found = next((field for field in [*known, *new] if same_field(spelling, field)), None)
        if found is None:
            new.append(spelling)
        else:
            as_known[spelling] = found
    return as_known, new
