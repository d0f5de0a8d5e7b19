"""What every part of mentor requests shares: the constants, the conditions a mentor is
available on, and small pure pieces (times of day, codes, free slot occurrences)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import and_, select
from sqlalchemy.engine import Row

from storage import reminders as outbox
from storage.catalogue import FIELD_FAMILIES
from storage.tables import mentors, users

CITY_TZ = outbox.CITY_TZ
MODES = ("online", "group", "visit")
STUDENT_MODES = ("online", "visit")  # one to one online, or the mentor comes to the school
TEACHER_MODES = ("visit", "group")  # a school visit, or an online group session for a class
# A mentor profile's column for each mode.
MODE_COLUMNS = {"online": "online", "group": "group_sessions", "visit": "school_visits"}
# Preferred times: weekday daytime, after school, weekday evening, the weekend (Seoul).
TIMES = ("day", "after", "evening", "weekend")
OPEN = ("offered", "accepted", "scheduled")  # a request the mentor holds
ACTIVE = ("waiting", *OPEN)  # a request not yet over
CLOSED = ("held", "not_held", "cancelled", "expired")

ANSWER_WINDOW = timedelta(hours=24)  # the default; the MENTOR_ANSWER_HOURS setting
NUDGE_BEFORE = timedelta(hours=4)  # a mentor is reminded this long before the offer passes on
HORIZON = timedelta(days=21)  # how far ahead free slots count
LEAD = timedelta(hours=2)  # the earliest a meeting can be set
WAIT_LIMIT = timedelta(days=14)  # a request nobody took in this long expires
RECENT = timedelta(days=30)  # what "recently" means for answer speed and load
QUICK = timedelta(hours=12)  # answering faster than this on average is "quick"
GROUP_CAPACITY = 5  # schools in an online group session
MISSED_IN_A_ROW = 3  # offers left to run out in a row: the mentor is paused
MAX_OPEN_CHOICES = (1, 2, 3, 5, 10)
MAX_SLOTS = 30
STUDENT_OPEN_LIMIT = 2  # a student's requests not yet over
TEACHER_OPEN_LIMIT = 10
QUESTION_MIN, QUESTION_MAX = 5, 500
DAY_BEFORE_AT = time(18, 0)  # the day-before reminder, as for sessions

# A mentor's user on Jinro: an active user of the mentor role (users.mentor_id is the profile).
MENTOR_USER = and_(users.c.role == "mentor", users.c.active.is_(True))
ON_JINRO = select(users.c.mentor_id).where(MENTOR_USER)  # the profiles such a user speaks for
# A mentor who may take one more request; offers.py takes the place on this same condition.
HAS_ROOM = and_(mentors.c.paused.is_(False), mentors.c.open_requests < mentors.c.max_open)


# ----- small pieces ---------------------------------------------------------------------------


def time_bucket(moment: datetime, tz: tzinfo = CITY_TZ) -> str:
    """Which of TIMES a start falls in."""
    local = moment.astimezone(tz)
    if local.weekday() >= 5:
        return "weekend"
    if local.hour < 15:
        return "day"
    return "after" if local.hour < 18 else "evening"


def split_codes(text: str | None, allowed) -> list[str]:
    return [code for code in (text or "").split(",") if code in allowed]


def mentor_modes(mentor: Row) -> list[str]:
    return [mode for mode in MODES if getattr(mentor, MODE_COLUMNS[mode])]


def all_fields() -> list[str]:
    """The fields of the catalogue (every field some family names), sorted."""
    return sorted(set().union(*FIELD_FAMILIES))


@dataclass(frozen=True)
class Opening:
    """One occurrence of a free slot."""

    starts_at: datetime
    ends_at: datetime
    slot_id: int


def openings(
    slot_rows, busy, *, now: datetime, tz: tzinfo = CITY_TZ, horizon: timedelta = HORIZON
) -> list[Opening]:
    """The occurrences of `slot_rows` from now + LEAD to now + horizon, minus those that
    overlap a meeting in `busy` ((start, end) pairs), soonest first."""
    first, last = now + LEAD, now + horizon
    found: dict[datetime, Opening] = {}
    local_first = first.astimezone(tz).date()
    by_weekday: dict[int, list[date]] = {}
    for n in range((last - first).days + 2):
        day = local_first + timedelta(days=n)
        by_weekday.setdefault(day.weekday(), []).append(day)
    for slot in slot_rows:
        dates = [slot.day] if slot.day is not None else by_weekday.get(slot.weekday, [])
        for day in dates:
            starts = datetime.combine(day, slot.starts, tzinfo=tz)
            if not first <= starts < last:
                continue
            ends = starts + timedelta(minutes=slot.minutes)
            if any(s < ends and e > starts for s, e in busy):
                continue
            found.setdefault(starts, Opening(starts, ends, slot.id))
    return sorted(found.values(), key=lambda o: o.starts_at)
