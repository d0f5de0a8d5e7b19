"""Database tables of Jinro, as SQLAlchemy 2 declarative models (Alembic migrates them)."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no time zone type and returns naive values; without this a naive
    and an aware datetime would meet in a comparison and raise.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(enum.StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"
    SITE = "site"
    MENTOR = "mentor"
    MONITOR = "monitor"
    STAFF = "staff"


# Roles that join only through an invite; students join on their own.
INVITED_ROLES = (Role.TEACHER, Role.SITE, Role.MENTOR, Role.MONITOR, Role.STAFF)


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
    # Safety check by the parent team (storage/inspections.py): pending (never inspected) |
    # passed | needs_fix (bookable, shown with a warning) | failed (not bookable)
    safety_status: Mapped[str] = mapped_column(String(10), default="pending")
    safety_checked_on: Mapped[date | None] = mapped_column(Date)
    safety_valid_until: Mapped[date | None] = mapped_column(Date)


class Program(Base):
    """A programme a site offers; dated occurrences are sessions."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable key for re-importing staff spreadsheets (upsert), e.g. "site name|title".
    external_key: Mapped[str] = mapped_column(String(250), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # 직업실무체험 | 현장직업체험 | 학과체험 | 강연·대화 | 현장견학 | 캠프 | 온라인, stored as codes
    type: Mapped[str] = mapped_column(String(20))
    field: Mapped[str] = mapped_column(String(40), index=True)
    target_grades: Mapped[str] = mapped_column(String(10), default="1,2,3")
    school_level: Mapped[str] = mapped_column(String(20), default="middle")
    district: Mapped[str] = mapped_column(String(20), index=True)
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


# Booking statuses. Seat holders count in sessions.booked; active ones block a second booking.
SEAT_STATUSES = ("requested", "confirmed", "offered")
ACTIVE_STATUSES = (*SEAT_STATUSES, "waitlisted", "entered")
_ACTIVE_SQL = "status IN ('requested', 'confirmed', 'offered', 'waitlisted', 'entered')"


class Booking(Base):
    """One student's seat, or place in line, on one session.

    requested: seat held, waiting for a teacher · confirmed · offered: a freed seat held for
    the first in line, waiting for them · waitlisted: in line, no seat · entered: in a lottery
    not yet drawn · rejected / cancelled / expired / declined: over, seat given back.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        # One active booking per student per session. The code checks first; this is the
        # backstop when two presses race.
        Index(
            "uq_bookings_active_student",
            "session_id",
            "student_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_bookings_session_status", "session_id", "status"),
        Index("ix_bookings_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    # None for a student a teacher named in a class booking who is not on Telegram.
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    student_name: Mapped[str | None] = mapped_column(String(60))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    # Who made it: the student, or the teacher of a class booking.
    booked_by: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A request's hold, or an offer's, runs out then.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    # attended | no_show, taken by the site on the day
    attendance: Mapped[str | None] = mapped_column(String(10))
    # Place in line drawn by a lottery; the waiting list is (line, then arrival) order.
    line: Mapped[int | None] = mapped_column(Integer)
    # When the satisfaction survey was sent (attended bookings only), so it is sent once.


class SurveyAnswer(Base):
    """A student's satisfaction with a session they attended: 1-5 and an optional comment."""

    __tablename__ = "survey_answers"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    """An announcement to many people (see storage/broadcasts.py); each recipient's copy is a
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
    """One message the bot owes someone at a moment (an outbox row; see storage/reminders.py)."""

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
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a notice needs that its objects no longer say, e.g. a booking's status before
    # its session was cancelled, or a rejection's reason.
    detail: Mapped[str | None] = mapped_column(String(200))
    # A broadcast delivery (kind "broadcast", key "broadcast:<broadcast id>:<user id>").
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    # A mentor request's offer, meeting or rating (storage/mentors.py).
    mentor_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentor_requests.id", ondelete="CASCADE"), index=True
    )
    # A case's relayed message or service-level reminder (storage/cases.py).
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    # An inspection's follow-up: re-inspection or expiry (storage/inspections.py).
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )


class ReminderOptOut(Base):
    """A kind of reminder a user turned off in /settings (see storage/reminders.py)."""

    __tablename__ = "reminder_optouts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)


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
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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


class ConsentRequest(Base):
    """A guardian-consent link for one student; the guardian opens it in their own Telegram."""

    __tablename__ = "consent_requests"

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending | given | declined
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # Telegram id of whoever answered, kept as proof of who consented.
    answered_by: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(20))
    object_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class ProcessedUpdate(Base):
    """Update ids already handled: the same update delivered twice is handled once."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class InboxUpdate(Base):
    """A webhook update stored before Telegram got its 200; deleted once handled."""

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProgramSearch(Base):
    """A programme's normalised text for search (see storage/search.py)."""

    __tablename__ = "program_search"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    title: Mapped[str] = mapped_column(Text)
    doc: Mapped[str] = mapped_column(Text)


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
    with a parent monitor as mediator (storage/cases.py).

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
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # student | teacher | site | monitor | staff; None for the bot's own events
    sender_role: Mapped[str | None] = mapped_column(String(10))
    # The first name shown with the message, never a Telegram account or phone.
    sender_name: Mapped[str | None] = mapped_column(String(30))
    # message | private | proposal | event
    kind: Mapped[str] = mapped_column(String(10))
    # A private message's one recipient.
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
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
    """A parent monitor's safety inspection of a site (storage/inspections.py).

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
