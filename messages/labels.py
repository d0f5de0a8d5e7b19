"""Keyboard labels and short plain texts that are not templates.

Msgids are English; `label(lang, ...)` translates them. Language names are
endonyms, shown the same in every language.
"""

LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}


def N_(msgid: str) -> str:  # noqa: N802 - the gettext marker name Babel extracts
    return msgid
