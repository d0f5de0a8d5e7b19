"""Names of the files the bot sends, saying what they are: "2026-12-16 MBC 방송 체험.ics"
rather than "jinro-2.ics". A name part typed by people (a programme's title, a site's name)
is kept as written, less what a phone or a PC cannot save in a file name."""

from __future__ import annotations

import re
import unicodedata

# Windows and macOS refuse these in a name; control characters confuse every system.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_SPACES = re.compile(r"\s+")
MAX_STEM = 80  # characters: well inside every system's 255 bytes, Hangul included


def file_name(*parts: str, ext: str) -> str:
    """The parts joined by spaces, made safe to save, ending in `.ext`."""
    text = " ".join(unicodedata.normalize("NFC", str(p)) for p in parts if p)
    text = _SPACES.sub(" ", _UNSAFE.sub(" ", text)).strip(" .")
    stem = text[:MAX_STEM].rstrip(" .") or "jinro"
    return f"{stem}.{ext}"
