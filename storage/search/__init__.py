"""Programme search: Korean from one syllable up, inside words, on SQLite and PostgreSQL alike.

Text is normalised (NFKC, so full-width letters become half-width, and casefold).
Terms of three or more characters use a trigram index: SQLite's FTS5 `trigram`
tokenizer, PostgreSQL's pg_trgm GIN index under LIKE. Trigrams cannot find a
shorter term, so every one- and two-character piece of a programme's title,
site and field is also kept in `program_grams`: "꽃" and "방송" are one indexed
lookup there. A Latin word that finds nothing is retried with the indexed words
one edit away ("robt" finds "robot").

Results come title matches first (the more terms in the title, the earlier), then by the
next session, then by id. Short pieces match thousands of programmes ("체" is in most
titles), so the order must not cost a sort of every match: each `program_grams` row also
carries `in_title` and its programme's next session (`sort_start`), and the index
`ix_program_grams_order` (gram, in_title DESC, sort_start, program_id) lists a piece's
matches already in result order; a page is its first few entries. The date and free-seat
filters read the next session (with a free seat) kept on `programs` by refresh_next; only a
window that starts later than now ("next week", a typed day) reads the sessions in it.
"""

from storage.search.common import NEVER, normalize
from storage.search.index import index_programs, refresh_next, refresh_started, short_grams
from storage.search.query import Card, Filters, Hit, Page, card, search
from storage.search.words import _one_edit

__all__ = [
    "NEVER",
    "Card",
    "Filters",
    "Hit",
    "Page",
    "_one_edit",
    "card",
    "index_programs",
    "normalize",
    "refresh_next",
    "refresh_started",
    "search",
    "short_grams",
]
