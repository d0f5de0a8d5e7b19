"""Tables of what can be booked and how it is found: programmes, their sessions, the search
tables and the fields a user opened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow

# The /search filters that narrow a province's programmes a lot (storage/search/query.py
# Filters), each indexed with the next session: the type (7 values) and online (2) narrow
# too little, and SQLite, which keeps no statistics, chose their index over a better one.
SEARCH_FILTERS = ("field", "district")


class Program(Base):
    """A programme a site offers; dated occurrences are sessions."""

    __tablename__ = "programs"
    # A search by a filter alone counts and orders a province's thousands of matches from
    # these (filter, next session) entries without reading the programmes' wide rows.
    __table_args__ = tuple(
        Index(f"ix_programs_{column}_next", column, "next_start", "next_free_start", "id")
        for column in SEARCH_FILTERS
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable key for re-importing staff spreadsheets (upsert), e.g. "site name|title".
    external_key: Mapped[str] = mapped_column(String(250), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # 직업실무체험 | 현장직업체험 | 학과체험 | 강연·대화 | 현장견학 | 캠프 | 온라인, stored as codes
    type: Mapped[str] = mapped_column(String(20))
    field: Mapped[str] = mapped_column(String(40))
    target_grades: Mapped[str] = mapped_column(String(10), default="1,2,3")
    school_level: Mapped[str] = mapped_column(String(20), default="middle")
    district: Mapped[str] = mapped_column(String(20))
    place: Mapped[str | None] = mapped_column(String(200))
    directions: Mapped[str | None] = mapped_column(Text)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int] = mapped_column(Integer)
    schedule_note: Mapped[str | None] = mapped_column(String(200))
    hours: Mapped[int] = mapped_column(Integer, default=2)
    fee: Mapped[int] = mapped_column(Integer, default=0)
    bring: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The next scheduled session's start and seats left, kept by storage.search.refresh_next
    # (after session changes, and by the clock as sessions start): search orders thousands of
    # matches by it without touching the sessions table.
    next_start: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    next_seats: Mapped[int | None] = mapped_column(Integer)
    # The next scheduled session that still has a free seat, kept the same way (bookings too
    # call refresh_next): "free seats only" is then one indexed column, not a session scan.
    next_free_start: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Session(Base):
    """One dated occurrence of a programme, with its own capacity."""

    __tablename__ = "sessions"
    __table_args__ = (
        # Backstop of the no-overbooking rule; the booking code never relies on it alone.
        CheckConstraint("booked >= 0 AND booked <= capacity", name="seats"),
        # Both carry what a search's date and free-seat filters test, so a programme's
        # sessions in a window (first index), or all sessions in a window (second), are read
        # from the index alone.
        Index(
            "ix_sessions_program_window", "program_id", "starts_at", "status", "booked", "capacity"
        ),
        Index("ix_sessions_window", "starts_at", "program_id", "status", "booked", "capacity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    online_url: Mapped[str | None] = mapped_column(String(300))
    cancel_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # scheduled | cancelled
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    # Where this session takes place when it differs from the programme's place.
    place: Mapped[str | None] = mapped_column(String(200))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    # Fair opening (set by staff for popular sessions): at most school_cap seats per school,
    # no applications before opens_at, and with lottery_until a draw instead of first come.
    school_cap: Mapped[int | None] = mapped_column(Integer)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lottery_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The draw's seed once drawn: anyone can replay it and get the same winners.
    lottery_seed: Mapped[str | None] = mapped_column(String(40))


class FieldInterest(Base):
    """How often a user opened programmes of a field: what /foryou suggests from.

    Only the field and a count are kept, never which programme or when it was read.
    """

    __tablename__ = "field_interests"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=1)


class ProgramSearch(Base):
    """A programme's normalised text for search (see storage/search/)."""

    __tablename__ = "program_search"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    title: Mapped[str] = mapped_column(Text)
    doc: Mapped[str] = mapped_column(Text)
    # What a search by a longer word orders by, as program_grams.sort_start: its thousands of
    # matches at a province's scale are then ranked from these rows alone.
    sort_start: Mapped[datetime] = mapped_column(UTCDateTime)


class ProgramGram(Base):
    """Every one- and two-character piece of a programme's title, site and field.

    Each row also carries what a search orders by (a title match first, then the soonest
    session): the index `ix_program_grams_order` then lists a short term's matches already in
    result order, so a page of 5 out of thousands is read from its first entries.
    """

    __tablename__ = "program_grams"
    __table_args__ = (
        Index("ix_program_grams_order", "gram", text("in_title DESC"), "sort_start", "program_id"),
        # On SQLite the rows live in the primary key's b-tree, so a probe by (gram,
        # program_id) reads in_title and sort_start without a second lookup.
        {"sqlite_with_rowid": False},
    )

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The piece is in the title itself, not only in the site's name or the field.
    in_title: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A copy of programs.next_start kept by refresh_next, and storage.search.NEVER instead of
    # NULL (SQLite sorts NULL first, PostgreSQL last; a date sorts the same on both).
    sort_start: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchWord(Base):
    """Latin words seen in titles: the vocabulary a typo is corrected against."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(60), primary_key=True)
