"""A confirmed booking as an .ics file, so a student can put it in their phone's calendar."""

from __future__ import annotations

from datetime import datetime, tzinfo


def booking_calendar(session, booking_id: int, tz: tzinfo, *, now: datetime) -> bytes:
    """One event in the city's time zone: programme, place (or online link), what to bring;
    stamped `now` (when the file was made)."""
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
        event.add("location", session.online_url or "Online")
    else:
        event.add("location", session.place or session.program_place or session.site_address or "")
    if session.bring:
        event.add("description", f"준비물 / Bring: {session.bring}")
    calendar = Calendar()
    calendar.add("prodid", "-//Jinro//career experience//KO")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    # The zone's definition travels with the file, so every calendar app shows Seoul time.
    calendar.add_missing_timezones()
    return calendar.to_ical()
