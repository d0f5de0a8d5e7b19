"""Attendance once the session has begun: the site marks each confirmed booking of a named
person attended or no-show, or all the others attended, then "done" tells each teacher.
Before the start (by context.now) the session offers no attendance button, and an old or
forged press is told from when it can be taken; storage checks the same on every write."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, audit_read, keyboard, page_of, reply, reply_page
from handlers.common.buttons import audit_refusal
from handlers.sessions.buttons import (
    ALL_ATTENDED,
    ATTENDANCE,
    ATTENDANCE_DONE,
    LIST,
    MARK,
    OPEN,
)
from handlers.sessions.helpers import _site_id, _start_name
from messages import label
from storage import audit
from storage import bookings as bookings_store
from storage import sessions as store
from storage.errors import NotFound

ATTENDANCE_PAGE = 20

ATTENDANCE_MARKS = {None: "⬜", "attended": "✅", "no_show": "❌"}


# ----- attendance -----------------------------------------------------------------------------


def _attendance_closed(context: JinroContext, session, now: datetime) -> str | None:
    """Why attendance cannot be taken now, or None when it can: once the session has begun
    (attendance is what happened; a mark or a report before would tell of what has not)."""
    if session.status != "scheduled":
        return label(context.lang, "This session was cancelled.")
    if session.starts_at > now:
        return label(
            context.lang,
            "Attendance can be taken once the session has started, from %(start)s.",
            start=_start_name(context.lang, session.starts_at, context.tz),
        )
    return None


@ATTENDANCE.handles
async def attendance(update: Update, context: JinroContext, session_id: int, page: int):
    if await _closed(update, context, session_id):
        return
    await answer_query(update)
    await show_attendance(update, context, session_id, page)


async def show_attendance(update: Update, context: JinroContext, session_id: int, page: int):
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
        roster = await store.roster(conn, session_id, ("confirmed",))
    # An unnamed class seat is no person to mark (storage/bookings/attendance.py).
    people = [p for p in roster if p.name]
    shown = page_of(people, page, ATTENDANCE_PAGE)
    page, lang = shown.index, context.lang
    await audit_read(context, "attendance", session_id, page=page, rows=len(shown.items))
    rows = [[MARK(_attendance_label(lang, p), p.id, page)] for p in shown.items]
    below = []
    if any(p.attendance is None for p in people):
        below.append([ALL_ATTENDED(label(lang, "✅ Everyone else attended"), session_id, page)])
    if roster:
        below.append([ATTENDANCE_DONE(label(lang, "📨 Done: tell the teachers"), session_id)])
    below.append([OPEN(label(lang, "◀ Back to the session"), session_id, 0)])
    await reply_page(
        update,
        context,
        "sessions/attendance",
        shown,
        shown.markup(lang, rows, ATTENDANCE, session_id, below=below),
        edit=True,
        session=session,
        people=people,
        attended=sum(p.attendance == "attended" for p in people),
        no_show=sum(p.attendance == "no_show" for p in people),
        unmarked=sum(p.attendance is None for p in people),
        unnamed=len(roster) - len(people),
        tz=context.tz,
    )


def _attendance_label(lang: str, person) -> str:
    name = person.name or label(lang, "(name to come)")
    grade = f" {label(lang, 'Grade %(grade)s', grade=person.grade)}" if person.grade else ""
    return f"{ATTENDANCE_MARKS.get(person.attendance, '⬜')} {name} · {person.school}{grade}"[:60]


async def _closed(update: Update, context: JinroContext, session_id: int) -> bool:
    """True, the press answered with why and from when, when attendance cannot be taken on
    the site's session now (an old button, or a forged one before the start); NotFound (the
    stale answer) for another site's session or a missing one. Storage checks again."""
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
    if session is None:
        raise NotFound
    closed = _attendance_closed(context, session, context.now)
    if closed:
        await answer_query(update, closed, alert=True)
        await audit_refusal(context, "attendance_closed")
    return closed is not None


@MARK.handles
async def toggle_attendance(update: Update, context: JinroContext, booking_id: int, page: int):
    """attended ⇄ no-show (a first tap: attended)."""
    site_id, now = _site_id(context), context.now
    async with context.db.read() as conn:
        booking = await bookings_store.get(conn, booking_id)
    if booking is None:
        raise NotFound
    if await _closed(update, context, booking.session_id):
        return
    async with context.db.write() as conn:
        marked = await bookings_store.mark_attendance(
            conn, booking_id, site_id, attended=booking.attendance != "attended", now=now
        )
        await audit.record(
            conn,
            context.user.id,
            "booking.attendance",
            "booking",
            booking_id,
            attendance=marked.attendance,
            now=now,
        )
    await answer_query(update)
    await show_attendance(update, context, booking.session_id, page)


@ALL_ATTENDED.handles
async def all_attended(update: Update, context: JinroContext, session_id: int, page: int):
    if await _closed(update, context, session_id):
        return
    async with context.db.write() as conn:
        await store.mark_all_attended(
            conn, session_id, _site_id(context), actor=context.user.id, now=context.now
        )
    await answer_query(update)
    await show_attendance(update, context, session_id, page)


@ATTENDANCE_DONE.handles
async def report_attendance(update: Update, context: JinroContext, session_id: int) -> None:
    """ "Done": each teacher gets one message listing their students' attendance."""
    if await _closed(update, context, session_id):
        return
    async with context.db.write() as conn:
        teachers = await store.report_attendance(
            conn, session_id, _site_id(context), actor=context.user.id, now=context.now
        )
        session = await store.site_session(conn, session_id, _site_id(context))
    if teachers is None:
        text = label(context.lang, "Already sent; nothing changed since.")
        await answer_query(update, text)
        return
    await answer_query(update)
    outbox.kick(context)  # each teacher's notice
    lang = context.lang
    rows = [
        [ATTENDANCE(label(lang, "✅ Back to attendance"), session_id, 0)],
        [LIST(label(lang, "◀ Back to the list"), 0)],
    ]
    await reply(
        update,
        context,
        "sessions/attendance_sent",
        keyboard(rows),
        edit=True,
        session=session,
        teachers=len(teachers),
        tz=context.tz,
    )
