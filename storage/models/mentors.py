"""Tables of mentoring: mentors, their fields and free times, requests, offers and meetings."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class Mentor(Base):
    """A mentor profile: a professional (직업인) or a university student (대학생)."""

    __tablename__ = "mentors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # professional | university
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(60))
    field: Mapped[str] = mapped_column(String(40))
    organization: Mapped[str | None] = mapped_column(String(120))
    bio: Mapped[str | None] = mapped_column(Text)
    # The modes offered: online one to one (`online`), online group sessions for classes of
    # several schools, school visits (to the districts below).
    online: Mapped[bool] = mapped_column(Boolean, default=True)
    group_sessions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    school_visits: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Job title (professionals) or major and year (university students).
    title: Mapped[str | None] = mapped_column(String(120))
    # Districts the mentor can visit, comma-separated (storage.catalogue.DISTRICTS).
    districts: Mapped[str | None] = mapped_column(String(40))
    # Open requests taken at a time, and those held now (offered, accepted, scheduled):
    # a request is offered only by `open_requests < max_open` in one conditional UPDATE.
    max_open: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    open_requests: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # A paused mentor is offered nothing.
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class MentorField(Base):
    """A mentor's fields besides the main one (`mentors.field`)."""

    __tablename__ = "mentor_fields"

    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("mentors.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class MentorSlot(Base):
    """A free time a mentor posted: every week on a weekday, or once on a day (Seoul time)."""

    __tablename__ = "mentor_slots"
    __table_args__ = (CheckConstraint("(weekday IS NULL) <> (day IS NULL)", name="one_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    day: Mapped[date | None] = mapped_column(Date)
    starts: Mapped[time] = mapped_column(Time)
    minutes: Mapped[int] = mapped_column(Integer)


class MentorMeeting(Base):
    """An accepted request's meeting: online one to one, a school visit, or an online group
    session that up to `capacity` schools join (each school's request points here)."""

    __tablename__ = "mentor_meetings"
    __table_args__ = (
        CheckConstraint("joined <= capacity", name="schools"),
        Index("ix_mentor_meetings_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors.id"), index=True)
    # online | visit | group
    mode: Mapped[str] = mapped_column(String(10))
    field: Mapped[str] = mapped_column(String(40))
    # What the group session is about (the first school's question), listed for other schools.
    topic: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(300))
    # Schools: 1 for one to one and visits, 5 by default for a group session.
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    joined: Mapped[int] = mapped_column(Integer, default=1)
    # scheduled | held | not_held | cancelled
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    # The mentor's log after it.
    minutes: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MentorRequest(Base):
    """A student's or teacher's request for a mentor, offered to one mentor at a time.

    waiting (nobody available; in line) → offered (to mentor_id until offer_expires_at) →
    accepted (the mentor sets the time) → scheduled (meeting_id) → held | not_held;
    or cancelled (by the requester) | expired (nobody in time). A school joining a group
    session is a request born scheduled.
    """

    __tablename__ = "mentor_requests"
    __table_args__ = (
        Index("ix_mentor_requests_status_offer", "status", "offer_expires_at"),
        Index("ix_mentor_requests_mentor_status", "mentor_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    # online | visit | group
    mode: Mapped[str] = mapped_column(String(10))
    field: Mapped[str] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(String(500))
    # Preferred times, comma-separated codes of storage.mentors.TIMES; empty: any time.
    times: Mapped[str] = mapped_column(String(40), default="")
    # The city's pilot for students from vulnerable backgrounds: offered first. Seen only by
    # staff and the student's teachers, never by a mentor or another student.
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(12))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentors.id"))
    # This request holds one of its mentor's open places (mentors.open_requests).
    counted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentor_meetings.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The question and comment go some months after (storage/retention.py).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The requester's rating after a meeting held.
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MentorOffer(Base):
    """One mentor offered one request (once at most), and how they answered."""

    __tablename__ = "mentor_offers"
    __table_args__ = (Index("ix_mentor_offers_mentor_offered", "mentor_id", "offered_at"),)

    request_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_requests.id", ondelete="CASCADE"), primary_key=True
    )
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors.id"), primary_key=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # pending | accepted | declined | timeout | paused (passed on when the mentor paused) |
    # withdrawn (the requester cancelled)
    outcome: Mapped[str] = mapped_column(String(10), default="pending")
    # How long the mentor took to answer (an offer left unanswered: the whole wait).
    seconds: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(200))


class MentorMessage(Base):
    """A word between a request's requester and its mentor, relayed by the bot (neither sees
    the other's Telegram account). Kept as long as the request's question is
    (storage/retention.py), and goes with the request."""

    __tablename__ = "mentor_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_requests.id", ondelete="CASCADE"), index=True
    )
    # Who wrote it, as the request knows them: its mentor, or its requester.
    from_mentor: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
