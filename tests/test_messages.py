"""Texts: every message is translated in both catalogs, and every value is HTML-escaped."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from handlers.common import split_text
from messages import LANGUAGES, LOCALES, TEMPLATES, label, normalize_lang, render

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"label": (2,), "nlabel": (2, 3), "N_": None, "_": None, "gettext": None}
METHODS = [("**.py", "python"), ("**.j2", "jinja2")]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def used_msgids() -> set[str]:
    """Every msgid the code and templates use, extracted the way `make messages` does."""
    found: set[str] = set()
    for folder in ("bot", "handlers", "messages"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder,
            METHODS,
            keywords=KEYWORDS,
            options_map={"**.j2": {"extensions": "jinja2.ext.i18n"}},
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(lang):
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    missing = [m for m in sorted(used_msgids()) if not (catalog.get(m) and catalog.get(m).string)]
    assert not missing, f"{lang}: no translation for {missing}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy translations {fuzzy}"
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:  # every plural form has the placeholders
                assert set(PLACEHOLDER.findall(ids[-1])) == set(PLACEHOLDER.findall(string))


def test_the_extraction_finds_the_messages():
    """Guards the test above: an extractor that found nothing would pass it vacuously."""
    ids = used_msgids()
    assert "Who are you?" in ids and "Grade %(grade)s" in ids and "Start or restart" in ids


def test_korean_is_the_default_and_english_is_complete():
    assert "어떤 분이신가요?" in render("onboarding/welcome", "ko", unknown_link=False)
    assert "Who are you?" in render("onboarding/welcome", "en", unknown_link=False)
    assert normalize_lang("en-US") == "en" and normalize_lang("de") == "ko"
    assert normalize_lang(None) == "ko"
    assert label("ko", "Grade %(grade)s", grade=2) == "2학년"


def test_values_are_escaped_in_html():
    text = render("onboarding/school_not_found", "ko", typed="<b>Café & Co</b>")
    assert "&lt;b&gt;Café &amp; Co&lt;/b&gt;" in text
    assert "<i>정발</i>" in text  # the template's own markup stays


class Anything:
    """A template value that has every attribute: renders any template's happy path."""

    def __getattr__(self, name):
        return Anything()

    def __call__(self, *args, **kwargs):
        return Anything()

    def __iter__(self):
        return iter([Anything()])

    def __add__(self, other):
        return Anything()

    __sub__ = __radd__ = __rsub__ = __add__

    def __str__(self):
        return "x"

    def __format__(self, spec):
        return "1"

    def __int__(self):  # a count that chooses a plural form
        return 1

    def __gt__(self, other):
        return True

    __lt__ = __ge__ = __le__ = __gt__


def test_every_template_renders_in_both_languages():
    """Catches a template or a translation that breaks Jinja or the placeholders."""
    names = sorted(
        str(p.relative_to(TEMPLATES))[: -len(".html.j2")]
        for p in TEMPLATES.rglob("*.html.j2")
        if not p.name.startswith("_")
    )
    assert len(names) > 40
    variables = {
        "user",
        "typed",
        "text",
        "school",
        "site",
        "mentor",
        "role",
        "reason",
        "expires_at",
        "cutoff",
        "needs_consent",
        "fees",
        "children",
        "number",
        "expires",
        "withdrawn",
        "limit",
        "unknown_link",
        "name",
        "grade",
        "agree",
        "method",
        "answer",  # consent: the guardian's answer being checked, "given" or "declined"
        "digits",  # consent/student_bad_number: how many digits the refused number has
        "booked",
        "waiting",
        "class_seat",
        "ahead",
        "blocked",
        "out_of_reach",
        "site_nobody",  # no one of the site is on Jinro (handlers/common/told.nobody_at_site)
        "total",
        "page",
        "pages",
        "place",
        "invite",
        "link",
        "chosen",
        "card",
        "hits",
        "query",
        "first",
        "tz",
        "summary",
        "relax",
        "nearby",
        "related",
        "key",
        "fields",
        "district",
        "hit",
        "guest",
        "programs",
        "sessions",
        "file_name",
        "lines",
        "more",
        "unfiltered",
        "now",
        "status",
        "session",
        "clashes",
        "busy",  # classbook/seats, mentors/ask_time: the items of a list with a clash
        "teachers",
        "hold_hours",
        "upcoming",
        "past",
        "ended",
        "booking",
        "deadline",
        "was",
        "won",
        "score",
        "what",
        "figures",
        "kind",
        "kept",
        "button",
        "optional",
        "people",
        "problem",
        "program",
        "start",
        "end",
        "capacity",
        "students",
        "before",
        "after",
        "offered",
        "today",
        "attended",
        "no_show",
        "unmarked",
        "student",
        "booking_id",
        "requests",
        "note",
        "count",
        "request",
        "decision",
        "who",
        "length",
        "bookings",
        "free",
        "asked",
        "when",
        "told_at",
        "seats",
        "unnamed",
        "teacher",
        "person",
        "dead",
        "broadcast",
        "broadcasts",
        "audience",
        "names",
        "left",
        "changing",
        "dropped",
        "modes",
        "districts",
        "slots",
        "desk",
        "mine",
        "schools",
        "nudge",
        "accepted",
        "any_free",
        "held",
        "minutes",
        "weekly",
        "weekday",
        "starts",
        "ends",
        "classes",
        "first_name",
        "since",
        "consent",
        "found",
        "field",
        "question",
        "times",
        "mode",
        "others",
        "just_sent",
        "hours",
        "groups",
        "news",
        "formal",
        # cases
        "cases",
        "case",
        "case_id",
        "paused",
        "seen",
        "line",
        "earlier",
        "tally",
        "mediator",
        "photo",
        "short",
        "outcome",
        "every",
        "photos",
        # inspections
        "progress",
        "recent",
        "open_ones",
        "pickable",
        "which",
        "inspections",
        "current",
        "inspection",
        "item",
        "items",
        "saved",
        "suggestion",
        "result",
        "days",
        "told",
        "recheck",
        "unchecked_ok",  # search/card: UNCHECKED_SITES_BOOKABLE
        "sites",
        "bookable",  # search/card: the site takes bookings today
        "closed",  # search/_hits, shared: programmes whose site takes no bookings today
        "started",  # sessions/detail: the session has begun (attendance can be taken)
        "apart",  # common/too_long and kin: the text given back follows in its own message
        "refused",  # classbook/names_refused: the typed names refused, with why
        "spaced",
        "one",
        "fine",
        "to_mentor",  # mentoring/message: which side a relayed message goes to
        # privacy
        "profile",
        "counts",
        "consents",
        "guardian",
        "data",
        # invites
        "revoked",
        # class bookings changed
        "seat",
        "refusal",
        "given_back",
        "chars",
        "old",
        # the school's bookings by day
        "week",
        "last",
        # stats
        "title",
    }
    for lang in LANGUAGES:
        for name in names:
            text = render(name, lang, **{v: Anything() for v in variables})
            assert text and "%(" not in text, (lang, name)


def test_dates_read_naturally():
    ko = render("onboarding/ask_age", "ko", cutoff=date(2012, 11, 27))
    assert "2012년 11월 27일" in ko


def test_long_texts_are_split_below_the_limit():
    paragraphs = [f"<b>{n}</b> " + "가" * 900 for n in range(12)]
    parts = split_text("\n\n".join(paragraphs))
    assert len(parts) > 1
    assert all(len(part) <= 4096 for part in parts)
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)
    huge = split_text("x" * 9000)
    assert [len(p) for p in huge] == [4096, 4096, 808]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ["guest", "student", "teacher", "site", "mentor", "staff"])
def test_a_sentence_ending_a_template_line_ends_the_message_line(lang, role):
    """trim_blocks would run translated lines together ("…찾기/foryou — …"); they must not."""

    class Student:
        name, under14, consent_at = "하늘", True, None

    lines = render(f"help/{role}", lang, user=Student(), formal=False).splitlines()
    assert all(line.count(" — ") <= 1 for line in lines), lines
    commands = [line for line in lines if line.startswith("/")]
    assert len(commands) >= (1 if role == "guest" else 3)
