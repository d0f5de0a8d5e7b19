"""Tables of bookings: a student's seat or place in line, and the satisfaction survey after it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow

# Booking statuses. Seat holders count in sessions.booked; active ones block a second booking.
SEAT_STATUSES = ("requested", "confirmed", "offered")
ACTIVE_STATUSES = (*SEAT_STATUSES, "waitlisted", "entered")
_ACTIVE_SQL = "status IN ('requested', 'confirmed', 'offered', 'waitlisted', 'entered')"
# A decision's reason, or the name of a class seat's student who is not on Telegram.
WORDS_SQL = "reason IS NOT NULL OR (student_id IS NULL AND student_name IS NOT NULL)"
REQUESTED_SQL = "status = 'requested'"


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
        # A school's requests waiting for its teachers (/pending, the morning digest).
        Index(
            "ix_bookings_requested_school",
            "school_id",
            "session_id",
            sqlite_where=text(REQUESTED_SQL),
            postgresql_where=text(REQUESTED_SQL),
        ),
        Index("ix_bookings_status_expires", "status", "expires_at"),
        # An erasure blanks these when they name the person (storage/erasure.py).
        Index("ix_bookings_booked_by", "booked_by"),
        Index("ix_bookings_decided_by", "decided_by"),
        # The few bookings with words beyond their figures, which go when their school year
        # is over (storage/retention.py booking_words); a partial index finds them at once.
        Index(
            "ix_bookings_words",
            "id",
            sqlite_where=text(WORDS_SQL),
            postgresql_where=text(WORDS_SQL),
        ),
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
    # An expired booking's status before: "requested" (no teacher answered in time) or
    # "offered" (a seat from the waiting list not taken in time), for the student's /my.
    expired_from: Mapped[str | None] = mapped_column(String(12))
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
    # Comments go after the school year (storage/retention.py), scores stay.
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
