"""What the outbox modules share: the timing constants, the school calendar and a planned
reminder (Planned)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

# The programme's clock. Callers that know the TZ setting pass it; storage code that
# confirms a booking deep inside a transaction uses this.
CITY_TZ = ZoneInfo("Asia/Seoul")
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 6
QUIET_START, QUIET_END = time(21, 0), time(8, 0)

# kind -> (local time of day, days before the session) for reminders at a clock time.
AT_CLOCK = {
    "student_day_before": (time(18, 0), 1),
    "site_roster_day_before": (time(17, 0), 1),
    "site_roster_morning": (time(8, 0), 0),
}
# Students' day-before reminders start at 18:00 and are spread over this hour by booking
# (when.spread): a busy day's reminders (a province: 40,000) then fall due a few a second,
# well under Telegram's 30, instead of all at 18:00 queued behind each other for 20 minutes
# while replies wait for their turn. Ends before quiet hours (21:00) with room to spare.
DAY_BEFORE_SPREAD = timedelta(hours=1)
ONLINE_BEFORE = timedelta(hours=2)
EXPIRY_WARNING = timedelta(hours=12)  # teachers hear this long before a request expires
SITE_CHANGE_WITHIN = timedelta(hours=24)  # changes closer to the session go to the site at once
SURVEY_AFTER = timedelta(hours=2)  # after the session ends
TEACHER_DIGEST_AT = time(8, 30)  # each school day
STAFF_DIGEST_AT = time(9, 0)  # every day
DEAD_WINDOW = timedelta(hours=24)  # what the staff digest covers
KEEP_SETTLED = timedelta(days=30)
KEEP_DEAD = timedelta(days=90)

# Public holidays in Korea (관공서의 공휴일: the lunar ones, substitute days and election days
# included), when schools are closed and no teacher digest goes out: the maintained calendar
# of the `holidays` package, which works each year out the first time a day of it is asked
# about (then `day in HOLIDAYS` is a dictionary lookup). Ask it about days; do not list it.
HOLIDAYS = holidays.country_holidays("KR")


@dataclass(frozen=True)
class Planned:
    kind: str
    user_id: int
    due_at: datetime
    key: str
