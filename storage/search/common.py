"""What the search package shares: the text normaliser and the result order's date for "no
upcoming session"."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

_WORD = re.compile(r"\w+")
_LATIN_WORD = re.compile(r"^[a-z]+$")

# The sort_start of a programme with no upcoming session: after every real date.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def normalize(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'
