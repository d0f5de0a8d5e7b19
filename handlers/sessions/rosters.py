"""The printable roster: an XLSX file of who comes to one of the site's sessions, or of one
class booking on it, from the session's view. Only the site's own sessions (the press is
checked like every other); each file is an audited read of the students' names."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot.context import JinroContext
from handlers.common import answer_query, audit_read
from handlers.sessions.buttons import CLASS_ROSTER, ROSTER_FILE
from handlers.sessions.listing import pressed_session
from messages import label, render
from messages.labels import N_
from storage import rosters
from storage.spreadsheet import xlsx_book

# The columns, in the reader's language (Korean: the headers the city's files use).
NO, NAME, SCHOOL, GRADE = N_("No."), N_("Name"), N_("School"), N_("Grade")
STATE, PRESENT, TICK = N_("Status"), N_("Present"), N_("Check")
HEADERS = (
    NO,
    NAME,
    SCHOOL,
    GRADE,
    N_("Booked as"),
    STATE,
    N_("Accompanying teacher"),
    PRESENT,
    TICK,
)
CLASS_HEADERS = (NO, NAME, GRADE, STATE, PRESENT, TICK)
TEACHER_HEADERS = (SCHOOL, N_("Class teacher"), N_("Seats"), N_("Seats without a name"))
ROSTER, CLASSES, TEACHER = N_("Roster"), N_("Classes booked"), N_("Class teacher")

STATUS = {"confirmed": N_("confirmed"), "requested": N_("awaiting the teacher")}
ATTENDANCE = {"attended": N_("attended"), "no_show": N_("did not come")}
KIND = {True: N_("class booking"), False: N_("own application")}
UNNAMED = N_("(name to come)")


@ROSTER_FILE.handles
async def session_file(update: Update, context: JinroContext, session_id: int) -> None:
    session = await pressed_session(update, context, session_id)
    if session is None:
        return
    async with context.db.read() as conn:
        found = await rosters.roster(conn, session_id)
    if not await _someone(update, context, found.people):
        return
    lang = context.lang
    people = [
        (
            n,
            p.name or label(lang, UNNAMED),
            p.school,
            p.grade,
            label(lang, KIND[bool(p.class_seat)]),
            label(lang, STATUS.get(p.status, p.status)),
            p.teacher if p.class_seat else None,
            label(lang, ATTENDANCE[p.attendance]) if p.attendance else None,
            None,  # ticked on paper
        )
        for n, p in enumerate(found.people, start=1)
    ]
    teachers = [_teacher_row(c) for c in found.classes]
    sheets = [_sheet(lang, ROSTER, HEADERS, people)]
    if teachers:
        sheets.append(_sheet(lang, CLASSES, TEACHER_HEADERS, teachers))
    await audit_read(context, "roster", session_id, rows=len(people), file=True)
    await _send(update, context, session, sheets, session_id, found.classes, len(people))


@CLASS_ROSTER.handles
async def class_file(update: Update, context: JinroContext, session_id: int, key: int) -> None:
    session = await pressed_session(update, context, session_id)
    if session is None:
        return
    async with context.db.read() as conn:
        found = (await rosters.roster(conn, session_id)).of_class(key)
    if found is None:  # the class booking was given back since the button was shown
        gone = label(context.lang, "That class booking is no longer on this session.")
        await answer_query(update, gone, alert=True)
        return
    booking, seats = found
    lang = context.lang
    people = [
        (
            n,
            p.name or label(lang, UNNAMED),
            p.grade,
            label(lang, STATUS.get(p.status, p.status)),
            label(lang, ATTENDANCE[p.attendance]) if p.attendance else None,
            None,
        )
        for n, p in enumerate(seats, start=1)
    ]
    sheets = [
        _sheet(lang, ROSTER, CLASS_HEADERS, people),
        _sheet(lang, TEACHER, TEACHER_HEADERS, [_teacher_row(booking)]),
    ]
    await audit_read(context, "roster", session_id, rows=len(people), file=True, booking=key)
    await _send(update, context, session, sheets, f"{session_id}-{key}", [booking], len(people))


def _sheet(lang: str, name: str, headers: tuple, rows: list) -> tuple:
    return label(lang, name), [label(lang, header) for header in headers], rows


def _teacher_row(booking: rosters.ClassBooking) -> tuple:
    return (booking.school, booking.teacher, booking.seats, booking.unnamed)


async def _someone(update: Update, context: JinroContext, people: list) -> bool:
    if people:
        return True
    await answer_query(update, label(context.lang, "Nobody has booked yet."), alert=True)
    return False


async def _send(update, context, session, sheets, name, classes, count: int) -> None:
    """The file, with a caption naming the session and each class booking's teacher (a
    Telegram mention: it opens the teacher's profile as far as their own settings allow)."""
    await answer_query(update)
    content = await asyncio.to_thread(xlsx_book, sheets)
    day = session.starts_at.astimezone(context.tz)
    caption = render(
        "sessions/roster_file",
        context.lang,
        session=session,
        count=count,
        classes=classes,
        tz=context.tz,
    )
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(content, filename=f"jinro-roster-{day:%Y%m%d-%H%M}-{name}.xlsx"),
        caption=caption,
    )
