"""Tables of the parent monitors' work: mediation cases and site safety inspections."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class Monitor(Base):
    """A parent monitor (학부모 지원단): the district they cover and whether they take cases."""

    __tablename__ = "monitors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    district: Mapped[str] = mapped_column(String(20), index=True)
    # A paused monitor is skipped when cases are assigned.
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Round-robin: a new case goes to the district's monitor whose last case is oldest.
    last_case_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Case(Base):
    """A mediation thread (중재) about one booking, between its student, teacher and site,
    with a parent monitor as mediator (storage/cases/).

    open → (escalated) → closed. Service levels: `due_at` is the next moment the clock looks
    at the case, `due_what` what it waits for (mediator | answer), `due_step` 0 for the
    reminder and 1 for the escalation to staff after it.
    """

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # schedule | safety | complaint | no_show | other
    kind: Mapped[str] = mapped_column(String(12))
    # open | escalated | closed
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # student | teacher | site
    opened_role: Mapped[str] = mapped_column(String(10))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    monitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The mediator's first word in the case: from then on it has a mediator.
    mediator_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A party's last message (the 48-hour service level counts from the mediator's word).
    last_party_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # safety | no_mediator | no_answer | mediator
    escalation: Mapped[str | None] = mapped_column(String(12))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_what: Mapped[str | None] = mapped_column(String(10))
    due_step: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # The resolution the mediator proposed last, waiting for the parties' answers.
    proposal_id: Mapped[int | None] = mapped_column(Integer)
    # Its texts and photos go some months after (storage/retention.py).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    # resolved | unresolved | withdrawn
    outcome: Mapped[str | None] = mapped_column(String(12))


class CaseParty(Base):
    """Someone a case is relayed to besides its mediator: the student, their teachers, the
    site's people; fixed when the case opens."""

    __tablename__ = "case_parties"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # student | teacher | site
    role: Mapped[str] = mapped_column(String(10))
    # Their answer to the current proposal: accepted | rejected (None: not yet).
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseMessage(Base):
    """Everything said or done in a case, with its time: messages, private notes to one
    party, proposals and events (opened, assigned, escalated, answered, closed)."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # student | teacher | site | monitor | staff; None for the bot's own events
    sender_role: Mapped[str | None] = mapped_column(String(10))
    # The first name shown with the message, never a Telegram account or phone.
    sender_name: Mapped[str | None] = mapped_column(String(30))
    # message | private | proposal | event
    kind: Mapped[str] = mapped_column(String(10))
    # A private message's one recipient.
    to_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # An event's code (opened, assigned, escalated, accepted, rejected, closed) or the text.
    text: Mapped[str | None] = mapped_column(Text)
    # A photo's Telegram file_id: sent on by id, never downloaded.
    photo: Mapped[str | None] = mapped_column(String(200))


class ChecklistItem(Base):
    """One item of the site safety checklist; staff add items and turn them off."""

    __tablename__ = "checklist_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    # The defaults (from the national site certification) have a key and are translated;
    # an item staff typed has its text, shown as written.
    key: Mapped[str | None] = mapped_column(String(30), unique=True)
    text: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Inspection(Base):
    """A parent monitor's safety inspection of a site (storage/inspections/).

    assigned → in_progress → done (or cancelled); a done one's result sets the site's
    safety status.
    """

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    monitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Staff who assigned it; None when the monitor picked the site.
    assigned_by: Mapped[int | None] = mapped_column(BigInteger)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # assigned | in_progress | done | cancelled
    status: Mapped[str] = mapped_column(String(12), default="assigned")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # passed | needs_fix | failed
    result: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    checked_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)


class InspectionItem(Base):
    """One checklist item's answer in an inspection; the item's words are copied, so a
    later change of the checklist leaves past inspections as they were."""

    __tablename__ = "inspection_items"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(30))
    text: Mapped[str | None] = mapped_column(String(200))
    # pass | fix | fail (None: not answered yet)
    result: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(500))
    photo: Mapped[str | None] = mapped_column(String(200))
