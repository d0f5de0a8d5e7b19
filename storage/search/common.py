"""What the search package shares: its tables, the text normaliser and the result order's
date for "no upcoming session"."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from storage.models import Program, ProgramGram, ProgramSearch, SearchWord, Session, Site

programs = Program.__table__
sites = Site.__table__
sessions = Session.__table__
docs = ProgramSearch.__table__
words_table = SearchWord.__table__
grams = ProgramGram.__table__

_WORD = re.compile(r"\w+")
_LATIN_WORD = re.compile(r"^[a-z]+$")

# The sort_start of a programme with no upcoming session: after every real date.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def normalize(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'
