"""People's names: how a name is written from Telegram's parts, which names are accepted, and
what others see of a person: an adult's whole name, a student's given name where people
outside their school read it. One rule for every area; messages/people.py adds the role's
words (김민지 학생, 박선영 선생님)."""

from __future__ import annotations

import re

NAME_MAX = 20
# Letters of any script, spaces and the marks names use (김 민지, Anne-Marie, 남궁·민).
_NAME = re.compile(r"^[^\W\d_][^\W\d_ .·'-]*(?:[ .·'-][^\W\d_]+)*\.?$")
_NAME_MARKS = " .·'-"  # between a name's parts (and a last dot)
_ANY_HANGUL = re.compile("[가-힣]")
_ALL_HANGUL = re.compile("^[가-힣]+$")
_DOUBLE_FAMILY = ("남궁", "선우", "제갈", "황보", "독고", "사공", "서문", "동방")


def valid_name(name: str) -> bool:
    return 1 <= len(name) <= NAME_MAX and bool(_NAME.match(name))


def name_refused(name: str) -> str:
    """The characters of `name` that no name has (digits, brackets, emoji…), at most five,
    for the answer that refuses it ("(" and ")" in "김현우 (교육팀)"); "" when there is none
    and only their order is wrong ("김--민지")."""
    refused: list[str] = []
    for char in name:
        if not (char.isalpha() or char in _NAME_MARKS) and char not in refused:
            refused.append(char)
    return " ".join(refused[:5])


def person_name(first: str | None, last: str | None) -> str | None:
    """A name as people write it: 김민지 (family name first, no space), or Anne Smith; None
    when Telegram's parts make no name we accept."""
    first, last = (first or "").strip(), (last or "").strip()
    if _ANY_HANGUL.search(first + last):
        name = f"{last}{first}"
    else:
        name = " ".join(part for part in (first, last) if part)
    return name if valid_name(name) else None


def first_name(name: str | None) -> str:
    """What others see of a person's name: the given name (김민지 → 민지, Anne Lee →
    Anne). Students are minors; their family name stays with their school. A name of two
    syllables is kept whole: it is far more often a given name typed alone (민지) than a
    family name and a one-syllable given name."""
    name = " ".join((name or "").split())
    joined = name.replace(" ", "")
    if _ALL_HANGUL.match(joined):
        if " " in name:
            return name.split(" ", 1)[1].replace(" ", "")
        if len(joined) >= 4 and joined[:2] in _DOUBLE_FAMILY:
            return joined[2:]
        return joined[1:] if len(joined) >= 3 else joined
    return name.split(" ")[0] if name else ""


def display_name(name: str | None) -> str:
    """What others see of a person in a shared thread: the first name only, never an
    account, and never empty."""
    return first_name(name)[:30] or "?"


def shared_name(name: str | None, role: str | None) -> str:
    """What the others in a shared thread (a case) see of a person's name, never an account
    and never empty: an adult's whole name, as they act in their role (박선영); a student's
    given name (민지), as the student is told: a minor's family name stays with their school."""
    if role == "student":
        return display_name(name)
    return " ".join((name or "").split())[:30] or "?"


# A name a teacher types for a class seat (a student not on Telegram): it is shown to the
# site on its roster, so only what a name is made of: Hangul or Latin letters, spaces and a
# middle dot (남궁·민, Anne Marie). Nothing else reaches a roster.
SEAT_NAME_MIN, SEAT_NAME_MAX = 2, 20
_SEAT_NAME_CHAR = re.compile(r"[가-힣A-Za-z ·ㆍ]")


def seat_name_problem(name: str) -> tuple[str, str] | None:
    """Why `name` (spaces already collapsed) is no seat name: ("length", "") or
    ("characters", the characters refused, at most five); None when it is one."""
    refused = []
    for char in name:
        if not _SEAT_NAME_CHAR.fullmatch(char) and char not in refused:
            refused.append(char)
    if refused:
        return "characters", " ".join(refused[:5])
    letters = sum(1 for char in name if char not in " ·ㆍ")
    if not SEAT_NAME_MIN <= len(name) <= SEAT_NAME_MAX or letters < SEAT_NAME_MIN:
        return "length", ""
    return None
