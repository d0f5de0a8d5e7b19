"""How long a message is as Telegram counts it, and a long one split into messages that fit.

Telegram takes 4,096 characters to a message, counted after it has read the HTML (a tag counts
nothing, `&amp;` one) and in UTF-16 code units (an emoji may count two). Counting the HTML as
written would split a text full of `&` or `<` that fits, and let one full of emoji through
that does not.
"""

from __future__ import annotations

import re
from html import unescape

from telegram.constants import MessageLimit

MESSAGE_MAX = MessageLimit.MAX_TEXT_LENGTH  # 4096

_TAG = re.compile(r"<[^>]*>")
# What the HTML is read as, one piece at a time: a tag, an entity, or one character.
_PIECE = re.compile(r"<[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);|.", re.DOTALL)


def telegram_length(text: str) -> int:
    """A plain text's length as Telegram counts it, in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def shown_length(html_text: str) -> int:
    """An HTML text's length as Telegram counts it against its limits: what it shows."""
    return telegram_length(unescape(_TAG.sub("", html_text)))


def _width(piece: str) -> int:
    if piece.startswith("<"):
        return 0
    return telegram_length(unescape(piece) if piece.startswith("&") else piece)


def split_text(text: str, limit: int = MESSAGE_MAX) -> list[str]:
    """Split a long HTML text at paragraph (then line) breaks into parts under the limit.

    Templates never open a tag in one paragraph and close it in another, so
    splitting at blank lines keeps every part valid HTML.
    """
    if len(text) * 2 <= limit or shown_length(text) <= limit:  # a character counts 2 at most
        return [text]
    parts: list[str] = []
    current, current_length = "", 0
    for piece in text.split("\n\n"):
        while shown_length(piece) > limit:  # one paragraph longer than a message: cut it
            cut = _cut(piece, limit)
            if current:
                parts.append(current)
                current, current_length = "", 0
            parts.append(piece[:cut])
            piece = piece[cut:].lstrip("\n")
        length = shown_length(piece)
        if current and current_length + 2 + length <= limit:
            current, current_length = f"{current}\n\n{piece}", current_length + 2 + length
        else:
            if current:
                parts.append(current)
            current, current_length = piece, length
    if current:
        parts.append(current)
    return parts


def _cut(piece: str, limit: int) -> int:
    """Where to cut a paragraph longer than `limit`: at its last line break that fits, else
    after its last character that fits (a tag or an entity never cut in two)."""
    shown = line = last = 0
    for found in _PIECE.finditer(piece):
        shown += _width(found.group())
        if shown > limit:
            break
        last = found.end()
        if found.group() == "\n":
            line = found.start()
    return line or last
