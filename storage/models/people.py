"""Tables of who uses the bot: users, schools, sites, invites, guardian consent, the audit log
and the updates already handled."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    district: Mapped[str] = mapped_column(String(20))
    # "middle" or "alternative" (대안학교)
    kind: Mapped[str] = mapped_column(String(20), default="middle")
    address: Mapped[str | None] = mapped_column(String(200))


class Site(Base):
    """An experience site (체험처): a public body, company, small business or university."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # public | company | small_business | university | nonprofit
    kind: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    directions: Mapped[str | None] = mapped_column(Text)
    # Safety check by the parent team (storage/inspections/): pending (never inspected) |
    # passed | needs_fix (bookable, shown with a warning) | failed (not bookable)
    safety_status: Mapped[str] = mapped_column(String(10), default="pending")
    safety_checked_on: Mapped[date | None] = mapped_column(Date)
    safety_valid_until: Mapped[date | None] = mapped_column(Date)


class User(Base):
    """A Telegram user of the bot; also holds their conversation state (flow)."""

    __tablename__ = "users"

    # Telegram user id (also the private chat id).
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # None until onboarding has completed.
    role: Mapped[str | None] = mapped_column(String(10))
    lang: Mapped[str] = mapped_column(String(2), default="ko")
    name: Mapped[str | None] = mapped_column(String(60))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    grade: Mapped[int | None] = mapped_column(Integer)
    # Teachers: the grades they cover, e.g. "1,3"; empty means all.
    grades: Mapped[str | None] = mapped_column(String(10))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentors.id"))
    # Students: under 14 needs a guardian's consent before booking.
    under14: Mapped[bool | None] = mapped_column(Boolean)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # guardian (deep link in the guardian's Telegram) | paper (teacher recorded the form)
    consent_method: Mapped[str | None] = mapped_column(String(10))
    # False once Telegram says the user blocked the bot.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Conversation state lives here, not in process memory.
    flow: Mapped[str | None] = mapped_column(String(40))
    flow_data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The city's day of their last update (written once a day, handlers/gate.py), and a
    # student's last day at middle school (storage/school_year.py): the retention sweep
    # forgets a student some days after the one or a year after the other.
    seen_on: Mapped[date | None] = mapped_column(Date)
    leaves_on: Mapped[date | None] = mapped_column(Date)


class ConsentRequest(Base):
    """A student's request for a guardian's consent: the guardian's mobile number as the
    student gave it, and the link the guardian opens in their own Telegram. Answered once;
    a new request of the student replaces a pending one."""

    __tablename__ = "consent_requests"
    __table_args__ = (Index("ix_consent_requests_answered_by", "answered_by", "status"),)

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending | given | declined | withdrawn (by the guardian, later) | replaced (by a newer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # E.164 (+821012345678): the number the student gave; the guardian's shared contact must
    # be this number. Kept with the answer as the record of who consented (PIPA decree 17-2).
    guardian_phone: Mapped[str | None] = mapped_column(String(16))
    # parent | guardian (another legal representative), as the guardian confirmed it
    relationship: Mapped[str | None] = mapped_column(String(10))
    # How the guardian was identified: contact (Telegram's own-contact share) | identity (a
    # phone identity check) | paper (a signed form, recorded by the teacher) | link (answered
    # through the link alone, before guardians were identified: teachers see it and may ask
    # again)
    method: Mapped[str | None] = mapped_column(String(10))
    # Telegram id of whoever answered (the guardian; the teacher for a paper form).
    answered_by: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invite(Base):
    """An invite deep link (start=<code>) that lets someone join in a role."""

    __tablename__ = "invites"
    __table_args__ = (CheckConstraint("uses <= max_uses", name="uses"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("mentors.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Who did what; details hold ids and codes, never personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # A person's trail (/audit, storage/audit_trail.py): what they did, what was done to
        # them or theirs, in a period.
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_object_at", "object_type", "object_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(20))
    object_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
