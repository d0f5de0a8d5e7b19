"""The English interface, end to end: a student and a teacher who read English see English
everywhere except in what people typed (programme titles, site and school names, addresses):
districts and fields in English, examples in English, /help as one list of what each command
does, files named for what they are, spreadsheets with English headers."""

from __future__ import annotations

import io
import re
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from storage.models import Booking, User
from storage.tables import programs, schools, sessions, sites, users
from tests.conftest import ADMIN_ID, join_as_student
from tests.world_helpers import add_teacher

# A student hears of news only 08:00-21:00 (the outbox): the stories run on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")

HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
# What people typed, kept as they typed it; districts and fields are the programme's own words.
TYPED = {
    programs: ("title", "description", "place", "bring", "notes", "schedule_note"),
    sites: ("name", "address", "directions"),
    schools: ("name", "address"),
    sessions: ("place",),
    users: ("name",),
}


async def typed_by_people(db) -> list[str]:
    """Every text people typed, longest first (so a title goes before a name inside it)."""
    found: set[str] = set()
    async with db.read() as conn:
        for table, names in TYPED.items():
            columns = [table.c[name] for name in names if name in table.c]
            for row in await conn.execute(select(*columns)):
                found |= {value for value in row if isinstance(value, str) and value.strip()}
    return sorted(found, key=len, reverse=True)


async def korean_left(db, text: str) -> list[str]:
    """The Hangul left in `text` once what people typed is taken out: lines a reader of
    English would stumble on."""
    for typed in await typed_by_people(db):
        text = text.replace(typed, "")
    return [line for line in text.splitlines() if HANGUL.search(line)]


async def english_only(db, person, *, buttons=True) -> str:
    text = person.last_text
    shown = text + ("\n" + "\n".join(person.buttons) if buttons else "")
    assert await korean_left(db, shown) == [], shown
    return text


def help_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("/")]


async def file_of(sandbox, message: dict) -> bytes:
    async with aiohttp.ClientSession() as http:
        url = f"{sandbox.url}/sandbox/files/{message['document']['file_id']}"
        async with http.get(url) as response:
            return await response.read()


async def english_student(sandbox, db, user_id: int, name: str = "Alex"):
    """A student whose Telegram speaks English joins, and is answered in English."""
    alex = sandbox.user(user_id, name, language_code="en")
    await alex.send("/start")
    await alex.press("I'm a student")
    assert "Which school" in await english_only(db, alex)
    await alex.send("정발")
    await alex.press("정발중학교")
    await alex.press("Grade 2")
    await alex.send("Alex Kim")
    await alex.press("No (14 or older)")
    assert "All set" in alex.last_text
    return alex


async def test_a_student_reads_english_everywhere_but_in_what_people_typed(bot, sandbox, db):
    alex = await english_student(sandbox, db, 8101)

    await alex.send("/help")
    text = await english_only(db, alex)
    lines = help_lines(text)
    assert len(lines) >= 8
    # Each line: a command, then what it does, as a sentence of its own.
    assert all(re.fullmatch(r"/\w+ — [A-Z].*\.", line) for line in lines), lines

    await alex.send("/foryou")
    text = await english_only(db, alex)
    assert "Ilsandong-gu" in text  # his school's district

    await alex.send("/search")
    await english_only(db, alex)
    await alex.press("District: any")
    assert {"Deogyang-gu", "Ilsandong-gu", "Ilsanseo-gu"} <= set(alex.buttons)
    await alex.press("Ilsandong-gu")
    assert "District: Ilsandong-gu" in alex.buttons
    await alex.press("Field: any")
    await english_only(db, alex)
    assert "Fire and safety" in alex.buttons and "Health and medicine" in alex.buttons
    await alex.press("Health and medicine")
    await alex.press("🔎 Show")
    await english_only(db, alex)
    await alex.press("1. ")
    card = await english_only(db, alex)
    assert "Health and medicine" in card and "(Ilsandong-gu)" in card
    # Days as English writes them: "Apply: 16 Dec 10:00", "6 Jan 2027", not "12/16" or "06 Jan".
    applying = [b for b in alex.buttons if b.startswith("Apply")]
    assert applying and all(
        re.fullmatch(r"Apply: \d{1,2} [A-Z][a-z]{2} \d\d:\d\d", b) for b in applying
    )
    assert not re.search(r"\b0\d [A-Z][a-z]{2} 20\d\d", card), card

    # A booking's calendar file says what it is: its day and its programme.
    await alex.press("Apply")
    if "Apply anyway" in alex.buttons:  # a session whose cancellation deadline has passed
        await english_only(db, alex)
        await alex.press("Apply anyway")
    await english_only(db, alex)
    async with db.write() as conn:
        await conn.execute(
            update(Booking).where(Booking.student_id == 8101).values(status="confirmed")
        )
        booked = await conn.execute(
            select(programs.c.title, sessions.c.starts_at)
            .select_from(
                sessions.join(programs, programs.c.id == sessions.c.program_id).join(
                    Booking.__table__, Booking.__table__.c.session_id == sessions.c.id
                )
            )
            .where(Booking.__table__.c.student_id == 8101)
        )
        title, starts_at = booked.one()
    await alex.send("/my")
    await alex.press(title[:20])
    await alex.press("Add to my calendar")
    name = alex.last_message["document"]["file_name"]
    day = starts_at.astimezone(ZoneInfo("Asia/Seoul"))
    assert name == f"{day:%Y-%m-%d} {title}.ics".replace(":", " ").replace("  ", " "), name
    assert not name.startswith("jinro-")


async def test_a_teacher_reads_english_help_pickers_and_spreadsheet(bot, sandbox, db):
    sunhee = await add_teacher(db, sandbox, 8201, "박선희")
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 8201).values(lang="en"))

    await sunhee.send("/start")
    assert "registered as a teacher" in await english_only(db, sunhee)

    await sunhee.send("/help")
    text = await english_only(db, sunhee)
    lines = help_lines(text)
    assert "/classbook" in text and len(lines) >= 10
    assert all(re.fullmatch(r"/\w+ — [A-Z].*\.", line) for line in lines), lines

    await sunhee.send("/classbook")
    await sunhee.press("Book seats for a class")
    text = await english_only(db, sunhee)
    await sunhee.press("📍 District")
    assert {"Deogyang-gu", "Ilsandong-gu", "Ilsanseo-gu"} <= set(sunhee.buttons)
    await sunhee.press("Deogyang-gu")
    assert "Deogyang-gu" in sunhee.last_text
    await sunhee.press("🏷 Field")
    await english_only(db, sunhee)
    assert "Fire and safety" in sunhee.buttons

    # The school year as a spreadsheet: English headers and words.
    await sunhee.send("/calendar")
    await sunhee.press("The school year as a spreadsheet")
    message = sunhee.last_message
    book = load_workbook(io.BytesIO(await file_of(sandbox, message)), read_only=True)
    [sheet] = book.worksheets
    headers = next(sheet.iter_rows(values_only=True))
    assert headers[:4] == ("Date", "Start", "End", "Programme")
    assert not any(HANGUL.search(h or "") for h in headers)
    assert sheet.title == "School bookings"


async def test_a_korean_student_still_reads_korean_districts_and_fields(bot, sandbox, db):
    minji = await join_as_student(sandbox, 8301, "김민지")
    await minji.send("/search")
    await minji.press("지역")
    assert {"덕양구", "일산동구", "일산서구"} <= set(minji.buttons)
    await minji.press("일산동구")
    await minji.press("분야")
    assert "소방·안전" in minji.buttons


async def test_staff_figures_name_districts_and_fields_in_english(bot, sandbox, db):
    from tests.test_stats import _world_with_bookings

    await _world_with_bookings(db)
    staff = sandbox.user(ADMIN_ID, "Dana", language_code="en")
    await staff.send("/stats")
    await staff.press("By district")
    assert "1. Ilsandong-gu — " in await english_only(db, staff)
    await staff.press("By field")
    assert "Broadcasting and film — " in await english_only(db, staff)
    await staff.press("All as a spreadsheet")
    book = load_workbook(io.BytesIO(await file_of(sandbox, staff.last_message)), read_only=True)
    fields = [row[0] for row in book["By field"].iter_rows(min_row=2, values_only=True)]
    assert "Broadcasting and film" in fields and not any(HANGUL.search(f) for f in fields)
