"""A booking's deadlines: until when a held seat may be cancelled, and until when a request
waits for its teacher (and an offered seat for its student).

The answer's rule (`answer_by`): a request waits at most HOLD_HOURS (an offer OFFER_HOURS),
and never past the moment the site needs its list of who comes. That is the site's roster
of the day before (17:00, storage.reminders AT_CLOCK), so the roster it gets is complete;
a request made too late for it (less than ANSWER_AT_LEAST before) waits until the morning
roster (08:00 on the day), and one made too late for that until the session starts. So a
teacher's answer is never due after the session it is about, and the student is told the
very moment. That moment is a round one (storage.moments.round_deadline: the whole hour before
it, never later than the rule allows and never already past), kept as it is shown.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy.engine import Row

from storage.moments import round_deadline
from storage.reminders import CITY_TZ, at_clock

# The rosters a site gets before a session, in order (storage/reminders/common.py AT_CLOCK).
ROSTERS = ("site_roster_day_before", "site_roster_morning")
# A teacher is given at least this long to answer, as far as the session's start allows: a
# request made at 16:59 waits for the morning roster, not for the one a minute later.
ANSWER_AT_LEAST = timedelta(hours=2)


def answer_by(
    starts_at: datetime, now: datetime, longest: timedelta, tz: tzinfo = CITY_TZ
) -> datetime:
    """Until when a request (or an offer) made `now` waits: `longest` at most, and no later
    than the first of the site's rosters still ANSWER_AT_LEAST ahead, else the start; rounded
    down to the whole hour (round_deadline), as the teacher and the student are told it."""
    rosters = sorted(at_clock(kind, starts_at, tz) for kind in ROSTERS)
    cutoff = next(
        (at for at in rosters if at < starts_at and at - now >= ANSWER_AT_LEAST), starts_at
    )
    return round_deadline(min(now + longest, cutoff), now, tz)


def longest_answer_by(now: datetime, longest: timedelta, tz: tzinfo = CITY_TZ) -> datetime:
    """`answer_by` for a session far enough off that only `longest` counts."""
    return round_deadline(now + longest, now, tz)


def cancel_deadline(session: Row) -> datetime:
    """Until when a held seat may be cancelled: a session's row, or a booking view that
    carries its session's `cancel_deadline` and `starts_at` (the student's /my)."""
    return session.cancel_deadline or session.starts_at


def cancel_closed(session: Row, now: datetime) -> bool:
    """A seat on this session, held now, could no longer be cancelled by the student."""
    return now >= cancel_deadline(session)
