"""A confirmed booking as an .ics file, so a student can put it in their phone's calendar."""

from __future__ import annotations

from datetime import datetime, tzinfo

from handlers.common.filenames import file_name
from messages import label


def calendar_file_name(session, tz: tzinfo) -> str:
    """What the file is: the day and the programme ("2026-12-16 MBC 방송 체험.ics")."""
    return file_name(f"{session.starts_at.astimezone(tz):%Y-%m-%d}", session.title, ext="ics")


def booking_calendar(
    session, booking_id: int, tz: tzinfo, *, now: datetime, lang: str = "ko"
) -> bytes:
    """One event in the city's time zone: programme, place (or online link), what to bring
    (said in the reader's language); stamped `now` (when the file was made)."""
    # Imported here, when a student first asks for a file: at the top it cost the bot's
    # start-up about 0.1 s before its first answer (bench scale start_to_first_answer_s).
    from icalendar import Calendar, Event

    event = Event()
    event.add("uid", f"booking-{booking_id}@jinro")
    event.add("dtstamp", now)
    event.add("dtstart", session.starts_at.astimezone(tz))
    event.add("dtend", session.ends_at.astimezone(tz))
    event.add("summary", f"{session.title} ({session.site_name})")
    if session.online:
        event.add("location", session.online_url or label(lang, "online"))
    else:
        event.add("location", session.place or session.program_place or session.site_address or "")
    if session.bring:
        event.add("description", label(lang, "Bring: %(bring)s", bring=session.bring))
    calendar = Calendar()
    calendar.add("prodid", "-//Jinro//career experience//KO")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    # The zone's definition travels with the file, so every calendar app shows Seoul time.
    calendar.add_missing_timezones()
    return calendar.to_ical()
