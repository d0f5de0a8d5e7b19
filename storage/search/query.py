"""The search itself: programmes matching typed terms and filters, a page at a time in result
order, and a programme's detail card."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import contains_pattern
from storage.models import UTCDateTime
from storage.search.common import NEVER, _phrase, normalize
from storage.search.words import _words_for
from storage.tables import program_grams as grams
from storage.tables import program_search as docs
from storage.tables import programs, sessions, sites


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
    # The site's safety check: whether it takes bookings is the handler's to say
    # (storage.bookings.bookable_site, with the city's setting and day).
    safety_status: str = "passed"
    safety_valid_until: date | None = None


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
    now: datetime,
) -> Page:
    """Programmes matching every term and filter: title matches first, then the soonest.

    With a date or free-seat filter, the session shown (and ordered by) is the first one
    that fits the filters.
    """
    terms = [await _words_for(conn, term) for term in normalize(query).split()]
    matches = _Matches(conn.dialect.name, terms, filters, now)
    if limit <= 0:
        return Page([], (await conn.execute(matches.count())).scalar_one())
    ranked = matches.page(offset, limit).subquery("ranked")
    if matches.by_session:
        # The first session that fits the filters, found again for the page's few lines.
        next_start = ranked.c.soon
        seats = (
            select(sessions.c.capacity - sessions.c.booked)
            .where(matches.fits(ranked.c.id), sessions.c.starts_at == ranked.c.soon)
            .order_by(sessions.c.id)
            .limit(1)
            .scalar_subquery()
        )
    else:
        next_start, seats = programs.c.next_start, programs.c.next_seats
    lines = ranked.join(programs, programs.c.id == ranked.c.id).join(
        sites, sites.c.id == programs.c.site_id
    )
    if matches.grouped:
        total = ranked.c.total  # counted by the page itself
    else:
        # The count rides in the same statement: one row even when the page is empty.
        counted = matches.count().subquery("counted")
        lines = counted.outerjoin(lines, true())
        total = counted.c.total
    rows = (
        await conn.execute(
            select(
                total.label("total"),
                ranked.c.id,
                programs.c.title,
                programs.c.district,
                sites.c.name.label("site"),
                sites.c.safety_status,
                sites.c.safety_valid_until,
                next_start.label("next_start"),
                seats.label("seats_left"),
            )
            .select_from(lines)
            .order_by(ranked.c.rank.desc(), ranked.c.soon, ranked.c.id)
        )
    ).all()
    if rows:
        total = rows[0].total
    else:  # grouped, and nothing on this page
        total = (await conn.execute(matches.count())).scalar_one() if offset else 0
    hits = [
        Hit(
            r.id,
            r.title,
            r.site,
            r.district,
            r.next_start,
            r.seats_left,
            r.safety_status,
            r.safety_valid_until,
        )
        for r in rows
        if r.id is not None
    ]
    return Page(hits, total)


class _Matches:
    """The matching programmes' id, rank and sort date, as statements that read few rows.

    - A one- or two-character term drives from `ix_program_grams_order`, whose entries
      come in result order: without other terms a page reads only its own entries (checking
      the other filters on each), and the count is an index-only range.
    - Other terms are checked per candidate (a second piece by its primary key, a longer
      term by the trigram index), and their title matches add to the rank, so the page then
      sorts the candidates. Longer terms alone, with no filter, read only `program_search`,
      which keeps each programme's next session date for this (`sort_start`).
    - Date and free-seat filters use the next session (with a free seat) stored on
      `programs`. A window that starts later than now must look at sessions: with terms,
      each candidate's sessions in the window (`ix_sessions_program_window`), grouped, and
      the page counts as it goes since it reads every candidate anyway; with filters alone,
      the window's sessions in time order (`ix_sessions_window`), each kept if it is its
      programme's first in the window, so a page stops after a few.
    """

    def __init__(self, dialect: str, terms: list[tuple[str, ...]], filters: Filters, now):
        self.dialect, self.filters, self.now = dialect, filters, now
        values = [
            column == value
            for column, value in (
                (programs.c.field, filters.field),
                (programs.c.type, filters.type),
                (programs.c.district, filters.district),
                (programs.c.online, filters.online),
            )
            if value is not None
        ]
        later = filters.start is not None and filters.start > now
        self.by_session = later or filters.free_seats or filters.end is not None
        self.grouped = later and bool(terms)
        self.walk = later and not terms
        # The term that drives: a single short piece, the longer (so the rarer) one first.
        short = [n for n, t in enumerate(terms) if len(t) == 1 and len(t[0]) <= 2]
        first = max(short, key=lambda n: len(terms[n][0]), default=None)
        rest = [t for n, t in enumerate(terms) if n != first]
        self.where = list(values)
        ranks, gram = [], None
        self.docs = _DOCS if any(len(t) > 1 or len(t[0]) > 2 for t in rest) else None
        # Longer words alone: their matches (thousands for a common word in a province) are
        # ranked from their search rows, which keep the date too, without reading programmes.
        by_docs = first is None and self.docs is not None and not values and not self.by_session
        if self.walk:
            self.id = sessions.c.program_id
            self.source = sessions
            self.where.append(self.fits())
        elif first is not None:
            gram = _gram_alias(0)
            self.id = gram.c.program_id
            self.source = gram
            self.where.append(gram.c.gram == terms[first][0])
            ranks.append(gram.c.in_title)
        elif by_docs:
            self.id, self.source = self.docs.c.program_id, self.docs
        else:
            self.id, self.source = programs.c.id, programs
        if filters.free_seats:
            stored = programs.c.next_free_start
        elif gram is not None:
            stored = gram.c.sort_start  # programs.next_start, already in the index
        else:
            stored = programs.c.next_start
        reads_programs = self.by_session and not later and stored.table is programs
        if self.id is not programs.c.id and (values or reads_programs):
            self.source = self.source.join(programs, programs.c.id == self.id)
        if self.docs is not None and not by_docs:
            self.source = self.source.join(self.docs, self.docs.c.program_id == self.id)
        for n, words in enumerate(rest, start=1):
            if len(words) == 1 and len(words[0]) <= 2:
                # Another short piece: one primary-key probe per candidate.
                other = _gram_alias(n)
                self.source = self.source.join(
                    other, and_(other.c.program_id == self.id, other.c.gram == words[0])
                )
                ranks.append(other.c.in_title)
            else:
                self.where.append(or_(*(self._has(word) for word in words)))
                ranks.append(or_(*(self._in_title(word) for word in words)))

        self.ranked = bool(ranks)  # without terms every rank is 0: order by date alone
        if len(ranks) == 1 and gram is not None and not later:
            self.rank = ranks[0]  # exactly the index's order: nothing to sort
        else:
            self.rank = sum((_as_int(r) for r in ranks), literal(0))
        if self.walk:
            self.soon = sessions.c.starts_at
        elif later:
            # The first session in the window, from each candidate's sessions in it.
            self.source = self.source.join(sessions, self.fits(self.id))
            self.soon = func.min(sessions.c.starts_at)
            self.rank = func.max(self.rank)
        elif self.by_session:
            # The window starts now (or there is none): the stored next session, with a
            # free seat if asked, is the first one that fits.
            self.where.append(
                stored < filters.end if filters.end is not None else stored.is_not(None)
            )
            self.soon = stored
        elif gram is not None:
            self.soon = gram.c.sort_start
        elif by_docs:
            self.soon = self.docs.c.sort_start
        else:
            self.soon = func.coalesce(programs.c.next_start, literal(NEVER, UTCDateTime()))

    def page(self, offset: int, limit: int):
        """id, rank and soon (and total, when grouped) of one page, in result order."""
        if self.walk:
            # Only a programme's first session in the window (the lowest id on a tie).
            earlier = _EARLIER
            firsts = ~exists().where(
                self.fits(sessions.c.program_id, earlier),
                or_(
                    earlier.c.starts_at < sessions.c.starts_at,
                    and_(earlier.c.starts_at == sessions.c.starts_at, earlier.c.id < sessions.c.id),
                ),
            )
            chosen = select(self.id.label("id"), literal(0).label("rank"), self.soon.label("soon"))
            order = (sessions.c.starts_at, sessions.c.program_id)
            chosen = chosen.select_from(self.source).where(*self.where, firsts)
        else:
            chosen = (
                select(self.id.label("id"), self.rank.label("rank"), self.soon.label("soon"))
                .select_from(self.source)
                .where(*self.where)
            )
            # A constant first key would hide from SQLite that an index on the date gives
            # this order already.
            order = (self.rank.desc(),) if self.ranked else ()
            order += (self.soon, self.id)
            if self.grouped:
                chosen = chosen.add_columns(func.count().over().label("total")).group_by(self.id)
        return chosen.order_by(*order).offset(offset).limit(limit)

    def count(self):
        """The number of matches, as one row with one column, `total`."""
        if self.walk:
            counted = func.count(self.id.distinct()).label("total")
            return select(counted).select_from(self.source).where(*self.where)
        if self.grouped:
            every = select(self.id).select_from(self.source).where(*self.where).group_by(self.id)
            return select(func.count().label("total")).select_from(every.subquery())
        return select(func.count().label("total")).select_from(self.source).where(*self.where)

    def fits(self, program_id=None, table=sessions):
        """Sessions (of this programme) that the date and free-seat filters accept."""
        f = self.filters
        # One lower bound, not two: SQLite would range the index on only one of them.
        if f.start is not None and f.start > self.now:
            condition = and_(table.c.status == "scheduled", table.c.starts_at >= f.start)
        else:
            condition = and_(table.c.status == "scheduled", table.c.starts_at > self.now)
        if program_id is not None:
            condition = and_(table.c.program_id == program_id, condition)
        if f.end is not None:
            condition = and_(condition, table.c.starts_at < f.end)
        if f.free_seats:
            condition = and_(condition, table.c.booked < table.c.capacity)
        return condition

    def _has(self, word: str):
        if len(word) <= 2:
            return self.id.in_(select(grams.c.program_id).where(grams.c.gram == word))
        if self.dialect == "sqlite":
            # FTS5 trigram: a quoted string matches as a substring; quotes are doubled inside.
            return self.id.in_(
                select(literal_column("rowid"))
                .select_from(text("program_fts"))
                .where(text("program_fts MATCH :phrase").bindparams(phrase=_phrase(word)))
            )
        # The whole pattern is one parameter: pg_trgm's index can serve `doc LIKE '%...%'`,
        # but not a pattern assembled in SQL from pieces.
        return self.docs.c.doc.like(contains_pattern(word), escape="\\")

    def _in_title(self, word: str):
        found = func.instr if self.dialect == "sqlite" else func.strpos
        return found(self.docs.c.title, word) > 0


# Aliases made once: building one costs more Python time than a short search's SQL.
_DOCS = docs.alias("d")
_EARLIER = sessions.alias("earlier")


@functools.cache
def _gram_alias(n: int):
    return grams.alias(f"g{n}")


def _as_int(condition):
    return case((condition, 1), else_=0)


@dataclass
class Card:
    """Everything a programme's detail card shows."""

    program: object
    site: object
    sessions: list = field(default_factory=list)


async def card(
    conn: AsyncConnection, program_id: int, *, now: datetime, sessions_shown: int = 5
) -> Card | None:
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
