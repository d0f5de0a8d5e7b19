"""English counts agree with their nouns ("1 seat", "2 seats"): every English text with a
count and a noun after it is a plural entry, and each renders right with 1 and with 2.
Korean has one form (nplurals=1) and keeps its own wording."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from messages import LOCALES, nlabel, render, translations
from tests.test_messages import used_msgids

NOUNS = (
    "seats|students|programmes|people|days|hours|schools|sites|items|entries|mentors"
    "|requests|minutes|sessions|names"
)
# A count placeholder followed (maybe after one word) by a plural noun: "%(count)s seats",
# "%(booked)s of %(capacity)s seats", "%(asked)s seats".
COUNTED = re.compile(r"%\((\w+)\)s (?:of %\((\w+)\)s )?(?:\w+ )?(?:" + NOUNS + r")\b")
# Counts that are never 1: a limit (a constant of the code) and the length of a text over it,
# the entries beyond the newest 10,000 of an export.
NEVER_ONE = {"limit", "total_over"}
ONE_NOUN = re.compile(r"\b1 (?:\w+ )?(?:" + NOUNS + r")\b")


def english():
    with (LOCALES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="en")


PLURALS = [m for m in english() if isinstance(m.id, tuple)]


def test_every_counted_english_text_has_plural_forms():
    """Of the texts the code uses (a plural entry is extracted as its pair, so is not here)."""
    singular_only = []
    for msgid in used_msgids():
        for found in COUNTED.finditer(msgid):
            count = found.group(2) or found.group(1)
            if count in NEVER_ONE or "characters" in found.group(0) or "more" in found.group(0):
                continue
            if "The period has" in msgid:  # only when over the export's 10,000 rows
                continue
            singular_only.append(msgid)
    assert not singular_only, singular_only


def test_the_catalog_has_plural_entries():
    """Guards the tests here: an extraction that dropped the plurals would pass them."""
    assert len(PLURALS) >= 45
    assert any(m.id[0] == "%(total)s programme" for m in PLURALS)


@pytest.mark.parametrize("message", PLURALS, ids=lambda m: m.id[0][:40])
def test_each_plural_text_reads_right_with_one_and_two(message):
    singular, plural = message.id
    names = set(re.findall(r"%\((\w+)\)s", plural))
    for n, want in ((1, 0), (2, 1)):
        text = translations("en").ngettext(singular, plural, n) % dict.fromkeys(names, n)
        assert text == message.string[want] % dict.fromkeys(names, n)
        assert (ONE_NOUN.search(text) is None) == (n == 1) or n == 2, text
    korean = translations("ko").ngettext(singular, plural, 1)
    assert korean and korean != singular  # translated, one form for every count


def test_templates_and_labels_count_in_english():
    def filters(total):
        return render("search/filters", "en", total=total, formal=True, query=None, summary=None)

    assert "1 programme matches" in filters(1) and "2 programmes match" in filters(2)
    assert nlabel("en", "%(count)s person", "%(count)s people", 1) == "1 person"
    assert nlabel("en", "%(count)s person", "%(count)s people", 2) == "2 people"
    assert nlabel("en", "%(days)s day", "%(days)s days", 1, days=1) == "1 day"
    assert nlabel("en", "✅ Book %(count)s seat", "✅ Book %(count)s seats", 1) == "✅ Book 1 seat"
    assert nlabel("ko", "✅ Book %(count)s seat", "✅ Book %(count)s seats", 1).startswith("✅")
    shown = render(
        "invites/created",
        "en",
        invite=_Invite(),
        expires_at=datetime(2026, 12, 1, tzinfo=UTC),
        link="https://t.me/x",
        place=None,
    )
    assert "Up to 1 person" in shown


class _Invite:
    max_uses = 1
    role = "teacher"
