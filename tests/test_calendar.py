"""The .ics file of a confirmed booking: Seoul time, place, what to bring."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from icalendar import Calendar

from handlers.bookings.calendar import booking_calendar

KST = ZoneInfo("Asia/Seoul")
STAMP = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # when the file was made


def session(**changes):
    values = {
        "starts_at": datetime(2026, 12, 2, 15, 30, tzinfo=UTC),  # 00:30 on 3 December in Seoul
        "ends_at": datetime(2026, 12, 2, 17, 30, tzinfo=UTC),
        "title": "MBC 방송영상 제작 체험",
        "site_name": "MBC ART",
        "online": False,
        "online_url": None,
        "place": None,
        "program_place": "MBC 드림센터 3층",
        "site_address": "고양시 덕양구",
        "bring": "필기도구",
    }
    return SimpleNamespace(**{**values, **changes})


def test_the_event_is_in_seoul_time_with_place_and_what_to_bring():
    calendar = Calendar.from_ical(booking_calendar(session(), 7, KST, now=STAMP))
    [event] = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == datetime(2026, 12, 3, 0, 30, tzinfo=KST) and str(start.tzinfo) == "Asia/Seoul"
    assert event.decoded("dtend") == datetime(2026, 12, 3, 2, 30, tzinfo=KST)
    assert str(event["location"]) == "MBC 드림센터 3층"
    assert "필기도구" in str(event["description"]) and str(event["uid"]) == "booking-7@jinro"
    assert calendar.walk("VTIMEZONE")  # the zone travels with the file
    assert event.decoded("dtstamp") == STAMP  # made at the moment the caller gives


def test_an_online_session_gives_its_link_as_the_place():
    raw = booking_calendar(
        session(online=True, online_url="https://meet.example/abc"), 8, KST, now=STAMP
    )
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["location"]) == "https://meet.example/abc"
