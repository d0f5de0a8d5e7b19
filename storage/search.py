"""Programme search: Korean from one syllable up, inside words, on SQLite and PostgreSQL alike.

Text is normalised (NFKC, so full-width letters become half-width, and casefold).
Terms of three or more characters use a trigram index: SQLite's FTS5 `trigram`
tokenizer, PostgreSQL's pg_trgm GIN index under LIKE. Trigrams cannot find a
shorter term, so every one- and two-character piece of a programme's title,
site and field is also kept in `program_grams`: "꽃" and "방송" are one indexed
lookup there. A Latin word that finds nothing is retried with the indexed words
one edit away ("robt" finds "robot").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import contains_pattern, dialect_insert
from storage.models import Program, ProgramGram, ProgramSearch, SearchWord, Session, Site, utcnow

programs = Program.__table__
sites = Site.__table__
sessions = Session.__table__
docs = ProgramSearch.__table__
words_table = SearchWord.__table__
grams = ProgramGram.__table__

_WORD = re.compile(r"\w+")
_LATIN_WORD = re.compile(r"^[a-z]+$")


def normalize(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def short_grams(value: str) -> set[str]:
    """Every one- and two-character piece of each word."""
    pieces: set[str] = set()
    for word in _WORD.findall(normalize(value)):
        pieces.update(word)
        pieces.update(word[i : i + 2] for i in range(len(word) - 1))
    return pieces


async def index_programs(conn: AsyncConnection, program_ids: list[int]) -> None:
    """(Re)build the search rows of these programmes, in the caller's transaction."""
    if not program_ids:
        return
    rows = (
        await conn.execute(
            select(
                programs.c.id,
                programs.c.title,
                programs.c.field,
                programs.c.description,
                sites.c.name.label("site"),
            )
            .join(sites, sites.c.id == programs.c.site_id)
            .where(programs.c.id.in_(program_ids))
        )
    ).all()
    await conn.execute(delete(docs).where(docs.c.program_id.in_(program_ids)))
    await conn.execute(delete(grams).where(grams.c.program_id.in_(program_ids)))
    if conn.dialect.name == "sqlite":
        marks = ",".join(str(int(i)) for i in program_ids)
        await conn.execute(text(f"DELETE FROM program_fts WHERE rowid IN ({marks})"))
    if not rows:
        return
    doc_rows, gram_rows = [], []
    for row in rows:
        named = " ".join((row.title, row.site, row.field))
        doc_rows.append(
            {
                "program_id": row.id,
                "title": normalize(row.title),
                "doc": normalize(f"{named} {row.description or ''}"),
            }
        )
        gram_rows.extend({"gram": g, "program_id": row.id} for g in short_grams(named))
    await conn.execute(insert(docs), doc_rows)
    await conn.execute(insert(grams), gram_rows)
    latin = {w for row in doc_rows for w in _WORD.findall(row["title"]) if _LATIN_WORD.match(w)}
    if latin:
        new_words = dialect_insert(conn)(words_table).on_conflict_do_nothing(
            index_elements=["word"]
        )
        await conn.execute(new_words, [{"word": w} for w in sorted(latin)])
    if conn.dialect.name == "sqlite":
        await conn.execute(
            text("INSERT INTO program_fts(rowid, doc) VALUES (:program_id, :doc)"), doc_rows
        )


@dataclass(frozen=True)
class Filters:
    field: str | None = None
    type: str | None = None
    district: str | None = None
    start: datetime | None = None  # sessions starting at or after
    end: datetime | None = None  # ... and before
    online: bool | None = None
    free_seats: bool = False


@dataclass
class Hit:
    program_id: int
    title: str
    site: str
    district: str
    next_start: datetime | None
    seats_left: int | None


@dataclass
class Page:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0


async def search(
    conn: AsyncConnection,
    query: str,
    filters: Filters = Filters(),
    *,
    offset: int = 0,
    limit: int = 5,
    now: datetime | None = None,
) -> Page:
    """Programmes matching every term and filter: title matches first, then the soonest."""
    now = now or utcnow()
    terms = normalize(query).split()
    conditions = [await _term_condition(conn, term) for term in terms]
    upcoming = and_(
        sessions.c.program_id == programs.c.id,
        sessions.c.status == "scheduled",
        sessions.c.starts_at > now,
    )
    if filters.start is not None:
        upcoming = and_(upcoming, sessions.c.starts_at >= filters.start)
    if filters.end is not None:
        upcoming = and_(upcoming, sessions.c.starts_at < filters.end)
    if filters.free_seats:
        upcoming = and_(upcoming, sessions.c.booked < sessions.c.capacity)
    where = list(conditions)
    for column, value in (
        (programs.c.field, filters.field),
        (programs.c.type, filters.type),
        (programs.c.district, filters.district),
        (programs.c.online, filters.online),
    ):
        if value is not None:
            where.append(column == value)
    if filters.start or filters.end or filters.free_seats:
        where.append(exists(select(sessions.c.id).where(upcoming)))
    if filters.start or filters.end or filters.free_seats:
        # The next session that fits the filters: computed, on an already narrowed set.
        next_start = select(func.min(sessions.c.starts_at)).where(upcoming).scalar_subquery()
        seats = (
            select(sessions.c.capacity - sessions.c.booked)
            .where(upcoming)
            .order_by(sessions.c.starts_at)
            .limit(1)
            .scalar_subquery()
        )
    else:
        next_start, seats = programs.c.next_start, programs.c.next_seats
    title_hits = sum(
        (case((docs.c.title.contains(term, autoescape=True), 1), else_=0) for term in terms),
        literal(0),
    )
    base = select(programs.c.id).join(docs, docs.c.program_id == programs.c.id).where(*where)
    total = (await conn.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await conn.execute(
        select(
            programs.c.id,
            programs.c.title,
            programs.c.district,
            sites.c.name.label("site"),
            next_start.label("next_start"),
            seats.label("seats_left"),
        )
        .join(docs, docs.c.program_id == programs.c.id)
        .join(sites, sites.c.id == programs.c.site_id)
        .where(*where)
        .order_by(title_hits.desc(), next_start.is_(None), next_start, programs.c.id)
        .offset(offset)
        .limit(limit)
    )
    hits = [Hit(r.id, r.title, r.site, r.district, r.next_start, r.seats_left) for r in rows]
    return Page(hits, total)


async def refresh_next(
    conn: AsyncConnection, program_ids: list[int] | None = None, *, now: datetime | None = None
) -> None:
    """Store each programme's next scheduled session (start and seats left).

    Called in the transaction that changes sessions, and by the clock for programmes whose
    stored next session has begun, so search can order by a plain indexed column.
    """
    now = now or utcnow()
    upcoming = (
        select(sessions.c.starts_at, (sessions.c.capacity - sessions.c.booked).label("left"))
        .where(
            sessions.c.program_id == programs.c.id,
            sessions.c.status == "scheduled",
            sessions.c.starts_at > now,
        )
        .order_by(sessions.c.starts_at)
        .limit(1)
    )
    stmt = update(programs).values(
        next_start=upcoming.with_only_columns(sessions.c.starts_at).scalar_subquery(),
        next_seats=upcoming.with_only_columns(
            sessions.c.capacity - sessions.c.booked
        ).scalar_subquery(),
    )
    if program_ids is not None:
        stmt = stmt.where(programs.c.id.in_(program_ids))
    await conn.execute(stmt)


async def refresh_started(conn: AsyncConnection, now: datetime | None = None) -> None:
    """The clock's job: programmes whose stored next session has begun move to the one after."""
    now = now or utcnow()
    started = select(programs.c.id).where(programs.c.next_start <= now)
    ids = list((await conn.execute(started)).scalars())
    if ids:
        await refresh_next(conn, ids, now=now)


async def _term_condition(conn: AsyncConnection, term: str):
    if len(term) <= 2:
        return programs.c.id.in_(select(grams.c.program_id).where(grams.c.gram == term))
    condition = _contains(conn, term)
    if _LATIN_WORD.match(term) and not await _any(conn, condition):
        near = await _words_one_edit_away(conn, term)
        if near:
            condition = or_(*(_contains(conn, word) for word in near))
    return condition


def _contains(conn: AsyncConnection, term: str):
    if conn.dialect.name == "sqlite":
        # FTS5 trigram: a quoted string matches as a substring; quotes are doubled inside.
        phrase = '"' + term.replace('"', '""') + '"'
        return programs.c.id.in_(
            select(literal_column("rowid"))
            .select_from(text("program_fts"))
            .where(text("program_fts MATCH :phrase").bindparams(phrase=phrase))
        )
    # The whole pattern is one parameter: pg_trgm's index can serve `doc LIKE '%...%'`, but
    # not a pattern assembled in SQL from pieces.
    return docs.c.doc.like(contains_pattern(term), escape="\\")


async def _any(conn: AsyncConnection, condition) -> bool:
    found = await conn.execute(
        select(programs.c.id)
        .join(docs, docs.c.program_id == programs.c.id)
        .where(condition)
        .limit(1)
    )
    return found.first() is not None


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


@dataclass
class Card:
    """Everything a programme's detail card shows."""

    program: object
    site: object
    sessions: list = field(default_factory=list)


async def card(
    conn: AsyncConnection, program_id: int, *, now: datetime | None = None, sessions_shown: int = 5
) -> Card | None:
    now = now or utcnow()
    program = (await conn.execute(select(programs).where(programs.c.id == program_id))).first()
    if program is None:
        return None
    site = (await conn.execute(select(sites).where(sites.c.id == program.site_id))).one()
    upcoming = await conn.execute(
        select(sessions)
        .where(
            sessions.c.program_id == program_id,
            sessions.c.status == "scheduled",
            sessions.c.starts_at > now,
        )
        .order_by(sessions.c.starts_at)
        .limit(sessions_shown)
    )
    return Card(program, site, list(upcoming.all()))
