"""The outbox: the messages the bot owes (reminders, broadcast deliveries), the broadcasts and
the reminders a user turned off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class Broadcast(Base):
    """An announcement to many people (see storage/broadcasts/); each recipient's copy is a
    delivery: a row of the outbox (`reminders`, kind "broadcast"), written at confirm."""

    __tablename__ = "broadcasts"
    # Ids are never reused (SQLite would reuse a deleted draft's): a button of a discarded
    # draft must not act on the next one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SET NULL: an author who leaves does not take the record of what was sent with them.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The author's role when writing: it decided which audiences were allowed.
    author_role: Mapped[str] = mapped_column(String(10))
    # HTML as the author typed it (Telegram's entities as HTML), sent with parse mode HTML.
    text: Mapped[str] = mapped_column(Text, default="")
    # None (text only) | photo | document; the caption is `text`.
    media_kind: Mapped[str | None] = mapped_column(String(10))
    # Uploaded once by the author; every copy is sent by this file_id.
    media_file_id: Mapped[str | None] = mapped_column(String(200))
    # What was chosen, e.g. {"roles": ["student"], "districts": ["덕양구"], "grades": [2]}.
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    # Students get an urgent one even in quiet hours (21:00-08:00).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # draft | scheduled | sending | paused | cancelled | done
    status: Mapped[str] = mapped_column(String(10), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the final report went out: it goes once, also with several bot processes.
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The final figures, kept with the report: settled deliveries are deleted after a while
    # (storage.reminders.forget_settled), the figures of a finished broadcast stay.
    outcome: Mapped[dict | None] = mapped_column(JSON)
    # Recipients written at confirm.
    total: Mapped[int] = mapped_column(Integer, default=0)
    # The author's progress message the clock edits, and the figures it shows now (the
    # clock edits only when they change).
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(Integer)
    progress_shown: Mapped[str | None] = mapped_column(String(100))


class Reminder(Base):
    """One message the bot owes someone at a moment (an outbox row; see storage/reminders/)."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # e.g. student_day_before, student_online, site_roster_day_before, site_roster_morning
    kind: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending | sending (claimed, leased) | sent | skipped | dead | held; a paused broadcast's
    # deliveries wait as "held", which is never claimed.
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # One row per occasion, e.g. "student_day_before:<booking id>".
    key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Indexed: a claim skips people written to in the last second (storage/reminders/).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # What a notice needs that its objects no longer say, e.g. a booking's status before
    # its session was cancelled, or a rejection's reason.
    detail: Mapped[str | None] = mapped_column(String(200))
    # A broadcast delivery (kind "broadcast", key "broadcast:<broadcast id>:<user id>").
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    # A mentor request's offer, meeting or rating (storage/mentors/).
    mentor_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentor_requests.id", ondelete="CASCADE"), index=True
    )
    # A case's relayed message or service-level reminder (storage/cases/).
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    # An inspection's follow-up: re-inspection or expiry (storage/inspections/).
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )


class ReminderOptOut(Base):
    """A kind of reminder a user turned off in /settings (see storage/reminders/)."""

    __tablename__ = "reminder_optouts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)


class SendPace(Base):
    """Telegram's pace for the whole bot, shared by every process (storage/pace.py): one row.

    Times are seconds since the epoch (a float), so that both databases do the arithmetic
    of taking a slot in the one statement that takes it."""

    __tablename__ = "send_pace"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The moment the next message the bot sends on its own may go.
    next_free: Mapped[float] = mapped_column(Double)
    # Telegram said "retry after": nothing is sent before this, by any process.
    paused_until: Mapped[float] = mapped_column(Double)
