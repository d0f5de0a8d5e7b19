"""When a reminder is due: clock times before a session, students' quiet hours, school days,
and the reminders a booking or a site plans."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.engine import Row

from storage.reminders.common import (
    AT_CLOCK,
    CITY_TZ,
    DAY_BEFORE_SPREAD,
    EXPIRY_WARNING,
    HOLIDAYS,
    ONLINE_BEFORE,
    QUIET_END,
    QUIET_START,
    SITE_CHANGE_WITHIN,
    Planned,
)

# ----- when -----------------------------------------------------------------------------------


def at_clock(kind: str, starts_at: datetime, tz: tzinfo) -> datetime:
    """The moment of a clock-time reminder for a session, e.g. 18:00 the day before."""
    at, days_before = AT_CLOCK[kind]
    day = starts_at.astimezone(tz).date() - timedelta(days=days_before)
    return datetime.combine(day, at, tzinfo=tz)


def late_for_site(starts_at: datetime, now: datetime, tz: tzinfo) -> bool:
    """A change to a session's bookings made now reaches its site at once: within
    SITE_CHANGE_WITHIN of the session, or once its first roster went out (the day before at
    17:00), when the roster the site read no longer holds."""
    return starts_at <= now + SITE_CHANGE_WITHIN or now >= at_clock(
        "site_roster_day_before", starts_at, tz
    )


def out_of_quiet_hours(moment: datetime, starts_at: datetime, tz: tzinfo) -> datetime:
    """A student reminder never lands between 21:00 and 08:00: it waits until 08:00, or,
    when 08:00 would be too late for the session, comes at 20:30 the evening before."""
    morning = after_quiet_hours(moment, tz)
    if morning == moment or morning <= starts_at - timedelta(minutes=30):
        return morning
    evening = datetime.combine(morning.date() - timedelta(days=1), time(20, 30), tzinfo=tz)
    return evening


def expiry_warning_at(expires_at: datetime, now: datetime, tz: tzinfo = CITY_TZ) -> datetime | None:
    """When a request's teachers hear that it will expire: EXPIRY_WARNING before, but not in
    the night (21:00-08:00, as for students: a teacher is not woken for it), so the morning
    before it expires, or 20:30 the evening before when the morning is too late. None when
    that moment has passed: they were asked just now."""
    due = out_of_quiet_hours(expires_at - EXPIRY_WARNING, expires_at, tz)
    return due if due >= now else None


def after_quiet_hours(moment: datetime, tz: tzinfo) -> datetime:
    """The moment itself outside 21:00-08:00, else the next 08:00 (for what is not tied to
    a session's start, like the survey)."""
    local = moment.astimezone(tz)
    if QUIET_END <= local.time() < QUIET_START:
        return moment
    morning_day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(morning_day, QUIET_END, tzinfo=tz)


def school_day(day: date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


def next_at(at: time, now: datetime, tz: tzinfo, *, school_days: bool = False) -> datetime:
    """The first `at` o'clock after `now` in the city (on a school day if asked)."""
    day = now.astimezone(tz).date()
    while True:
        moment = datetime.combine(day, at, tzinfo=tz)
        if moment > now and (school_day(day) or not school_days):
            return moment
        day += timedelta(days=1)


# The golden ratio's fraction: consecutive booking ids land far apart in the spread and
# fill it evenly (a low-discrepancy sequence), with no clump a random spread would make.
_GOLDEN = 0.6180339887498949


def spread(booking_id: int, over: timedelta = DAY_BEFORE_SPREAD) -> timedelta:
    """A booking's own place, to the second, within `over`: the same on every replan."""
    return timedelta(seconds=int((booking_id * _GOLDEN) % 1 * over.total_seconds()))


def student_plan(booking_id: int, student_id: int, session: Row, tz: tzinfo) -> list[Planned]:
    """The reminders a student gets for a confirmed booking."""
    plans = [
        Planned(
            "student_day_before",
            student_id,
            at_clock("student_day_before", session.starts_at, tz) + spread(booking_id),
            f"student_day_before:{booking_id}",
        )
    ]
    if session.online:
        due = out_of_quiet_hours(session.starts_at - ONLINE_BEFORE, session.starts_at, tz)
        plans.append(Planned("student_online", student_id, due, f"student_online:{booking_id}"))
    return plans


def site_plan(session_id: int, starts_at: datetime, site_users: list[int], tz) -> list[Planned]:
    return [
        Planned(kind, user_id, at_clock(kind, starts_at, tz), f"{kind}:{session_id}:{user_id}")
        for kind in ("site_roster_day_before", "site_roster_morning")
        for user_id in site_users
    ]


# ----- quiet hours at send time ---------------------------------------------------------------


def city_day(moment: datetime, tz: tzinfo = CITY_TZ) -> date:
    """The day in the city (Seoul) at `moment`: a date that holds "until" a day holds to
    that day's midnight in Seoul, not in UTC nine hours later."""
    return moment.astimezone(tz).date()


def in_quiet_hours(moment: datetime, tz: tzinfo) -> bool:
    local = moment.astimezone(tz).time()
    return not (QUIET_END <= local < QUIET_START)


def next_morning(moment: datetime, tz: tzinfo) -> datetime:
    """08:00 (the end of quiet hours) after `moment`."""
    local = moment.astimezone(tz)
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=tz)
