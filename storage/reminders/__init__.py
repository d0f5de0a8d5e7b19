"""Reminders as an outbox: rows written with the change that causes them, sent by the clock.

A confirmed booking writes its student's reminders and its site's roster messages in the
same transaction; a cancelled booking or session deletes the ones not yet sent. Each row
has a unique key per occasion, so writing the same reminder twice keeps one.

Sending: each tick claims due rows by moving them to "sending" with a lease (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so several bot processes take different rows; SQLite has one
writer). A row whose lease ran out (the process died) is claimed again: at most one
duplicate per crash, for the rows in flight. A failure is retried later with exponential
backoff and jitter; after MAX_ATTEMPTS the row is dead and staff are told in a digest.

Times follow the city's clock (Asia/Seoul): the day before at 18:00 (students' spread over
the hour that follows), quiet hours for students between 21:00 and 08:00.

Kinds, who gets them, and what writes them:
- student_day_before, student_online; site_roster_day_before, site_roster_morning: a booking
  confirmed (plan_booking).
- teacher_expiring: a request made (plan_request), 12 hours before it expires, to each
  teacher who may decide it; dropped with the booking's other rows when it is decided.
- site_change: a booking confirmed or cancelled within 24 hours of its session or after its
  first roster went out (late_for_site), to the site at once (plan_site_change); it outlives
  the booking, like the rosters.
- student_survey: attendance marked (plan_survey), 2 hours after the session ends.
- teacher_digest (08:30 each school day) and staff_dead (09:00 daily): about no one booking;
  the clock's planning step (plan_digests) writes each person's next one ahead of time.

Notices, news due at once, written by the change they tell of (see `notice`):
- teacher_request: a new request, to each teacher who may decide it (plan_request).
- student_offer, student_decision (confirmed or rejected), student_expired, student_drawn,
  student_booked (a teacher named them on a class seat), student_session_cancelled.
- teacher_session_cancelled, teacher_attendance (each report of the site's marks).
- site_cancelled: a confirmed booking cancelled further ahead than site_change covers.
- site_class_change: a class booking made late (late_for_site), seats given back, names
  changed late (storage/bookings/class_changes.tell_site).
- teacher_student_cancelled: a student cancelled a seat their teacher confirmed or booked.
Students' quiet hours hold back all but the urgent ones (Kind.urgent, each area's news.py).

Settled rows (sent, skipped) are deleted after KEEP_SETTLED, dead ones after KEEP_DEAD:
the outbox stays small, and staff have weeks to look into what failed.
"""

from storage.reminders.common import (
    AT_CLOCK,
    CITY_TZ,
    DAY_BEFORE_SPREAD,
    DEAD_WINDOW,
    EXPIRY_WARNING,
    HOLIDAYS,
    KEEP_DEAD,
    KEEP_SETTLED,
    LEASE,
    MAX_ATTEMPTS,
    ONLINE_BEFORE,
    QUIET_END,
    QUIET_START,
    SITE_CHANGE_WITHIN,
    STAFF_DIGEST_AT,
    SURVEY_AFTER,
    TEACHER_DIGEST_AT,
    Planned,
)
from storage.reminders.planning import *  # noqa: F403
from storage.reminders.planning import (
    drop_booking,
    drop_request,
    drop_session,
    drop_survey,
    notice,
    notice_student,
    plan_booking,
    plan_digests,
    plan_request,
    plan_site_change,
    plan_survey,
    write,
)
from storage.reminders.sending import (
    PER_CHAT,
    Claimed,
    DeadLetters,
    claim_due,
    dead_letters,
    dead_since,
    forget_settled,
    hold,
    mark,
    mark_many,
    postpone,
    recipients,
    retry_later,
)
from storage.reminders.when import *  # noqa: F403
from storage.reminders.when import (
    after_quiet_hours,
    at_clock,
    city_day,
    expiry_warning_at,
    in_quiet_hours,
    late_for_site,
    next_at,
    next_morning,
    out_of_quiet_hours,
    school_day,
    site_plan,
    spread,
    student_plan,
)

__all__ = [
    "AT_CLOCK",
    "DAY_BEFORE_SPREAD",
    "CITY_TZ",
    "DEAD_WINDOW",
    "DeadLetters",
    "EXPIRY_WARNING",
    "HOLIDAYS",
    "KEEP_DEAD",
    "KEEP_SETTLED",
    "LEASE",
    "MAX_ATTEMPTS",
    "ONLINE_BEFORE",
    "QUIET_END",
    "QUIET_START",
    "Planned",
    "SITE_CHANGE_WITHIN",
    "STAFF_DIGEST_AT",
    "SURVEY_AFTER",
    "TEACHER_DIGEST_AT",
    "after_quiet_hours",
    "at_clock",
    "city_day",
    "expiry_warning_at",
    "PER_CHAT",
    "Claimed",
    "claim_due",
    "dead_letters",
    "dead_since",
    "drop_booking",
    "drop_request",
    "drop_session",
    "drop_survey",
    "forget_settled",
    "hold",
    "in_quiet_hours",
    "late_for_site",
    "mark",
    "mark_many",
    "next_at",
    "next_morning",
    "notice",
    "notice_student",
    "out_of_quiet_hours",
    "plan_booking",
    "plan_digests",
    "plan_request",
    "plan_site_change",
    "plan_survey",
    "postpone",
    "recipients",
    "retry_later",
    "school_day",
    "site_plan",
    "spread",
    "student_plan",
    "write",
]
