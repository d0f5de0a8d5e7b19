"""Every text the bot sends: Jinja2 templates plus Babel catalogs (ko default, en).

`render("onboarding/ask_grade", "ko", name=...)` renders
`templates/onboarding/ask_grade.html.j2` with HTML autoescaping, so a site called
`<b>Café & Co</b>` shows as written. `label("ko", labels.CANCEL)` translates a
keyboard label. Catalogs are read from the .po files at start-up, so there is
no compile step to forget.
"""

from __future__ import annotations

import io
import re
from functools import cache, partial
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.ext import Extension

from messages import examples, people, vocabulary
from messages.particles import settle

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
LOCALES = HERE / "locales"
LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"


def normalize_lang(code: str | None) -> str:
    """Map a Telegram language_code (e.g. "en-US") to a supported language."""
    if code and code.split("-")[0].lower() in LANGUAGES:
        return code.split("-")[0].lower()
    return DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> Translations:
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


class SentenceLines(Extension):
    """A `{% endtrans %}` that ends a template line keeps that line break.

    trim_blocks is on so that `{% if %}` lines leave no empty lines behind; left alone it
    would also eat the line break after every translated sentence and run it into the next
    line. With this, a template's lines are the message's lines.
    """

    _LINE_END = re.compile(r"\{%(-?)\s*endtrans\s*%\}\n")

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return self._LINE_END.sub(r"{%\1 endtrans +%}\n", source)


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html")),
        extensions=["jinja2.ext.i18n", SentenceLines],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalog = translations(lang)
    # A count may come as any number (a length, a Decimal sum): plural rules want an int.
    env.install_gettext_callables(
        catalog.gettext,
        lambda singular, plural, n: catalog.ngettext(singular, plural, int(n)),
        newstyle=True,
    )
    env.globals["lang"] = lang
    # Example days in questions, ahead of the answer's today (messages/examples.py).
    # The day written out: "12월 10일" in Korean, "2026-12-10" in English (no Hangul there).
    written = examples.example_ko if lang == "ko" else examples.example_iso
    env.globals["example_md"], env.globals["example_ko"] = examples.example_md, written
    env.globals["example_iso"] = examples.example_iso  # as a spreadsheet cell holds it
    # The programme's own words (districts, fields) and people's names (messages/people.py)
    # in the reader's language.
    for words in (vocabulary.district_name, vocabulary.field_name, people.called):
        env.globals[words.__name__] = env.filters[words.__name__] = partial(words, lang)
    return env


def render(template: str, lang: str, /, **values) -> str:
    """Render a message template; surrounding blank space is removed, and a Korean particle
    written both ways takes the form of the word before it (messages/particles.py)."""
    lang = normalize_lang(lang)
    loaded = environment(lang).get_template(f"{template}.html.j2")
    text = loaded.render(**values).strip()
    return settle(text) if lang == "ko" else text


def label(lang: str, msgid: str, **values) -> str:
    """A translated keyboard label or short plain text (not HTML: never parsed)."""
    lang = normalize_lang(lang)
    text = translations(lang).gettext(msgid)
    text = text % values if values else text
    return settle(text) if lang == "ko" else text


def nlabel(lang: str, singular: str, plural: str, n: int, **values) -> str:
    """label() for a text with a count: the form that fits `n` ("1 seat", "2 seats"; Korean
    has one form). `n` is given to the text as `count` unless `values` name it otherwise."""
    lang = normalize_lang(lang)
    text = translations(lang).ngettext(singular, plural, n)
    text = text % ({"count": n} | values)
    return settle(text) if lang == "ko" else text
