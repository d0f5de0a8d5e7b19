"""The search index: each programme's normalised text, its one- and two-character pieces and
their stored next session, rebuilt when programmes or sessions change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import dialect_insert
from storage.models import UTCDateTime
from storage.search.common import _LATIN_WORD, _WORD, NEVER, normalize
from storage.tables import program_grams as grams
from storage.tables import program_search as docs
from storage.tables import programs, sessions, sites
from storage.tables import search_words as words_table


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
                programs.c.next_start,
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
        title = normalize(row.title)
        named = " ".join((row.title, row.site, row.field))
        doc_rows.append(
            {
                "program_id": row.id,
                "title": title,
                "doc": normalize(f"{named} {row.description or ''}"),
                "sort_start": row.next_start or NEVER,
            }
        )
        gram_rows.extend(
            {
                "gram": g,
                "program_id": row.id,
                "in_title": g in title,
                "sort_start": row.next_start or NEVER,
            }
            for g in short_grams(named)
        )
    await conn.execute(insert(docs), doc_rows)
    await conn.execute(insert(grams), gram_rows)
    latin = {w for row in doc_rows for w in _WORD.findall(row["title"]) if _LATIN_WORD.match(w)}
    if latin:
        new_words = dialect_insert(conn)(words_table).on_conflict_do_nothing(
            index_elements=["word"]
        )
        await conn.execute(new_words, [{"word": w} for w in sorted(latin)])
    if conn.dialect.name == "sqlite":
        fts_rows = [{"program_id": d["program_id"], "doc": d["doc"]} for d in doc_rows]
        await conn.execute(
            text("INSERT INTO program_fts(rowid, doc) VALUES (:program_id, :doc)"), fts_rows
        )


async def refresh_next(
    conn: AsyncConnection, program_ids: list[int] | None = None, *, now: datetime
) -> None:
    """Store each programme's next scheduled session (start and seats left) and the next one
    with a free seat, and copy the start into its search rows (`sort_start` of
    `program_grams` and `program_search`).

    Called in the transaction that changes sessions (a booking that takes or frees a seat
    too), and by the clock for programmes whose stored next session has begun, so search can
    order and filter by plain indexed columns.
    """
    upcoming = (
        select(sessions.c.starts_at)
        .where(
            sessions.c.program_id == programs.c.id,
            sessions.c.status == "scheduled",
            sessions.c.starts_at > now,
        )
        .order_by(sessions.c.starts_at, sessions.c.id)
        .limit(1)
    )
    stmt = update(programs).values(
        next_start=upcoming.scalar_subquery(),
        next_seats=upcoming.with_only_columns(
            sessions.c.capacity - sessions.c.booked
        ).scalar_subquery(),
        next_free_start=upcoming.where(sessions.c.booked < sessions.c.capacity).scalar_subquery(),
    )
    if program_ids is not None:
        stmt = stmt.where(programs.c.id.in_(program_ids))
    await conn.execute(stmt)
    for table in (grams, docs):
        await conn.execute(_copy_next_start(table, program_ids))


def _copy_next_start(table, program_ids: list[int] | None):
    """programs.next_start into a search table's sort_start (storage.search.NEVER for none);
    only rows whose date moved are written: a booking usually changes none."""
    stored = func.coalesce(
        select(programs.c.next_start).where(programs.c.id == table.c.program_id).scalar_subquery(),
        literal(NEVER, UTCDateTime()),
    )
    copy = update(table).values(sort_start=stored).where(table.c.sort_start != stored)
    if program_ids is not None:
        copy = copy.where(table.c.program_id.in_(program_ids))
    return copy


async def refresh_started(conn: AsyncConnection, *, now: datetime) -> None:
    """The clock's job: programmes whose stored next session has begun move to the one after."""
    started = select(programs.c.id).where(programs.c.next_start <= now)
    ids = list((await conn.execute(started)).scalars())
    if ids:
        await refresh_next(conn, ids, now=now)
