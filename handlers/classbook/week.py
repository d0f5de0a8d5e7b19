"""/calendar for teachers: the school's bookings by day, this week or next (who goes where:
students' own bookings and the school's class bookings), and an XLSX file of the school
year's bookings and attendance (storage/school_bookings.py). Each is an audited read of
children's data.

Students have a calendar of their own: the 📅 file of a confirmed booking (/my, handlers/
bookings/calendar.py). A student who types /calendar is pointed there.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from telegram import InputFile, Update

from bot.context import JinroContext
from handlers.classbook.buttons import EXPORT, WEEK
from handlers.common import answer_query, audit_read, days, keyboard, reply, requires
from messages import label
from messages.labels import N_
from storage import school_bookings as store
from storage.models import Role
from storage.school_year import year_start
from storage.spreadsheet import xlsx_file

NAMES_SHOWN = 30  # names under one session before "and N more": the file has them all

# The columns, in the reader's language (Korean: the headers the city's files use).
HEADERS = (
    N_("Date"),
    N_("Start"),
    N_("End"),
    N_("Programme"),
    N_("Site"),
    N_("Student"),
    N_("Grade"),
    N_("Booked as"),
    N_("Booked by (teacher)"),
    N_("Status"),
    N_("Present"),
)
SHEET = N_("School bookings")
STATUS = {"requested": N_("awaiting the teacher"), "confirmed": N_("confirmed")}
# A confirmed booking's attendance once its session has begun (blank before: nothing to take).
ATTENDANCE = {"attended": N_("Attended"), "no_show": N_("Absent"), None: N_("Not marked")}
KIND = {True: N_("class booking"), False: N_("own application")}
UNNAMED = N_("(name to come)")


@dataclass
class Seats:
    """A class booking on a session: its teacher, its seats, the names on them (the first
    NAMES_SHOWN) and how many have no name yet."""

    teacher: str
    count: int = 0
    names: list = field(default_factory=list)
    unnamed: int = 0


@dataclass
class Own:
    """A student's own booking: their name, its status and the site's attendance."""

    name: str
    status: str
    attendance: str | None = None


@dataclass
class Going:
    """One session's people from the school: class bookings and students' own bookings."""

    starts_at: datetime
    title: str
    site_name: str
    classes: list = field(default_factory=list)  # Seats
    own: list = field(default_factory=list)  # Own, the first NAMES_SHOWN
    more: int = 0  # students' own bookings beyond those


@dataclass
class Day:
    day: date
    goings: list


@requires(Role.TEACHER, Role.STUDENT)
async def calendar_command(update: Update, context: JinroContext) -> None:
    if context.user.role == Role.STUDENT:
        await reply(update, context, "classbook/calendar_student")
        return
    await show_week(update, context, 0, edit=False)


@WEEK.handles
async def week_pressed(update: Update, context: JinroContext, week: int) -> None:
    await answer_query(update)
    await show_week(update, context, week, edit=True)


def _week(context: JinroContext, week: int) -> tuple[datetime, datetime]:
    """Monday to Monday in the city's time: this week (0) or the next (1)."""
    next_monday, _ = days.window("nw", context.now, context.tz)
    start = next_monday + timedelta(days=7 * (week - 1))
    return start, start + timedelta(days=7)


async def show_week(update: Update, context: JinroContext, week: int, *, edit: bool) -> None:
    start, end = _week(context, week)
    async with context.db.read() as conn:
        rows = await store.school_bookings(conn, context.user, start=start, end=end)
    await audit_read(context, "school_bookings", context.user.school_id, rows=len(rows), week=week)
    lang, tz = context.lang, context.tz
    by_day = _by_day(rows, tz)
    turn = label(lang, "Next week ▶") if week == 0 else label(lang, "◀ This week")
    buttons = [
        [WEEK(turn, 1 - week)],
        [EXPORT(label(lang, "📥 The school year as a spreadsheet"))],
    ]
    await reply(
        update,
        context,
        "classbook/week",
        keyboard(buttons),
        edit=edit,
        days=by_day,
        week=week,
        first=start.astimezone(tz).date(),
        last=(end - timedelta(days=1)).astimezone(tz).date(),
        count=len(rows),
        tz=tz,
    )


def _by_day(rows, tz) -> list[Day]:
    """The rows as days, each with its sessions in order, each with its people."""
    sessions: dict[int, Going] = {}
    for row in rows:
        going = sessions.setdefault(row.session_id, Going(row.starts_at, row.title, row.site_name))
        name = row.registered_name or row.student_name
        if store.class_seat(row):
            teacher = row.booked_by_name or ""
            seats = next((c for c in going.classes if c.teacher == teacher), None)
            if seats is None:
                seats = Seats(teacher)
                going.classes.append(seats)
            seats.count += 1
            if name is None:
                seats.unnamed += 1
            elif len(seats.names) < NAMES_SHOWN:
                seats.names.append(name)
        elif len(going.own) < NAMES_SHOWN:
            going.own.append(Own(name or "", row.status, row.attendance))
        else:
            going.more += 1
    by_day: dict[date, list[Going]] = {}
    for going in sessions.values():
        by_day.setdefault(going.starts_at.astimezone(tz).date(), []).append(going)
    return [Day(day, goings) for day, goings in sorted(by_day.items())]


@EXPORT.handles
async def export_pressed(update: Update, context: JinroContext) -> None:
    """The school year's bookings, from 1 March, with attendance, as one sheet."""
    await answer_query(update)
    lang, tz = context.lang, context.tz
    since = datetime.combine(year_start(context.now.astimezone(tz).date()), time(0), tzinfo=tz)
    async with context.db.read() as conn:
        rows = await store.school_bookings(conn, context.user, start=since)
    cells = [_cells(row, lang, tz, context.now) for row in rows]
    await audit_read(context, "school_bookings_file", context.user.school_id, rows=len(rows))
    headers = [label(lang, header) for header in HEADERS]
    content = await asyncio.to_thread(xlsx_file, label(lang, SHEET), headers, cells)
    today = context.now.astimezone(tz)
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(content, filename=f"jinro-school-bookings-{today:%Y%m%d}.xlsx"),
        caption=label(lang, "Your school's bookings and attendance this school year."),
    )


def _cells(row, lang: str, tz, now: datetime) -> tuple:
    starts, ends = row.starts_at.astimezone(tz), row.ends_at.astimezone(tz)
    seat = store.class_seat(row)
    taken = row.status == "confirmed" and row.starts_at <= now
    return (
        starts.date(),
        starts.strftime("%H:%M"),
        ends.strftime("%H:%M"),
        row.title,
        row.site_name,
        row.registered_name or row.student_name or label(lang, UNNAMED),
        row.grade,
        label(lang, KIND[seat]),
        row.booked_by_name if seat else None,
        label(lang, STATUS[row.status]),
        label(lang, ATTENDANCE[row.attendance]) if taken else None,
    )
