"""What a typed term looks for: a Latin word found nowhere is retried with the indexed words
one edit away ("robt" finds "robot")."""

from __future__ import annotations

from sqlalchemy import func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import contains_pattern
from storage.search.common import _LATIN_WORD, _phrase
from storage.tables import program_search as docs
from storage.tables import search_words as words_table


async def _words_for(conn: AsyncConnection, term: str) -> tuple[str, ...]:
    """What a typed term looks for: itself, or for a Latin word found nowhere, the indexed
    words one edit away (none: it stays as typed and finds nothing)."""
    if len(term) <= 2 or not _LATIN_WORD.match(term):
        return (term,)
    if conn.dialect.name == "sqlite":
        probe = text("SELECT 1 FROM program_fts WHERE program_fts MATCH :phrase LIMIT 1")
        found = await conn.execute(probe, {"phrase": _phrase(term)})
    else:
        found = await conn.execute(
            select(literal(1)).where(docs.c.doc.like(contains_pattern(term), escape="\\")).limit(1)
        )
    if found.first() is not None:
        return (term,)
    return tuple(await _words_one_edit_away(conn, term)) or (term,)


async def _words_one_edit_away(conn: AsyncConnection, term: str) -> list[str]:
    """Indexed Latin words within one edit (insert, delete, replace, swap) of the term."""
    # The vocabulary is small (Latin words in titles), so checking each word is cheap.
    candidates = select(words_table.c.word).where(
        func.length(words_table.c.word).between(len(term) - 1, len(term) + 1)
    )
    return sorted(w for (w,) in await conn.execute(candidates) if _one_edit(term, w))


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
