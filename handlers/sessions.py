"""The experience site's side of booking: /sessions lists the site's sessions with seats and
the roster; the site adds a session, changes a capacity, cancels a session (everyone booked
and their teachers are told) and takes attendance on the day (the teachers are told).

A site user acts only on sessions of its own site's programmes: every button and typed step
reloads the session with the site's id, and another site's session gets the same answer as
a missing one.

Flows (users.flow; data in users.flow_data):
    ss.start → ss.end → ss.cap → ss.place → ss.deadline → ss.confirm   adding a session,
        {"p": programme, "s": start, "e": end (ISO, UTC), "c": capacity, "pl": place, "u": link}
    ss.size {"s": session}              typing a new capacity
    ss.why {"s": session} → ss.sure {"s": session, "r": reason}   cancelling a session
Callback data: ss:pg:N list page · ss:s:ID:N a session (N: the list page to go back to) ·
ss:c:ID capacity · ss:x:ID cancel? · ss:xy:ID cancel! · ss:at:ID:P attendance page ·
ss:am:BOOKING:P attended/no-show · ss:aa:ID:P all others attended · ss:ad:ID done, tell the
teachers · ss:n add · ss:np:PROGRAMME · ss:du:MINUTES · ss:dc usual capacity · ss:pl usual
place · ss:dl:DAYS deadline · ss:ok add it · ss:no drop it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import days
from bot.context import JinroContext
from handlers import reminders as outbox
from handlers.common import (
    answer_query,
    keyboard,
    leave_flow,
    page_count,
    paging_row,
    reply,
    requires,
    route_button,
    set_flow,
    stale_button,
    text_step,
)
from messages import label
from messages.labels import N_
from storage import audit
from storage import bookings as store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role

PAGE = 5
ATTENDANCE_PAGE = 20
MAX_CAPACITY = 1000  # as the spreadsheet import allows
LONGEST = timedelta(hours=72)  # a camp runs over days; longer is surely a typo
DURATIONS = (60, 120, 180)  # minutes offered as buttons
DEADLINES = {
    0: N_("No deadline (until it starts)"),
    1: N_("1 day before"),
    2: N_("2 days before"),
    3: N_("3 days before"),
    7: N_("1 week before"),
}
ADD_FLOWS = ("ss.start", "ss.end", "ss.cap", "ss.place", "ss.deadline", "ss.confirm")
ATTENDANCE_MARKS = {None: "⬜", "attended": "✅", "no_show": "❌"}


# ----- small helpers --------------------------------------------------------------------------


def _site_id(context: JinroContext) -> int | None:
    return context.user.site_id


def _local_today(context: JinroContext, now: datetime) -> date:
    return now.astimezone(context.tz).date()


def _midnight(context: JinroContext, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=context.tz)


def _short_when(context: JinroContext, moment: datetime) -> str:
    return moment.astimezone(context.tz).strftime("%m/%d %H:%M")


def _day_name(lang: str, day: date) -> str:
    return f"{day.month}월 {day.day}일" if lang == "ko" else day.strftime("%d %b").lstrip("0")


def _count(text: str) -> int | None:
    """A number of seats as typed: "25", "25명", "25 seats"; None if it is not one."""
    found = re.fullmatch(r"\s*(\d{1,4})\s*(?:명|석|자리|seats?)?\s*\.?\s*", text, re.IGNORECASE)
    return int(found[1]) if found else None


async def _leave_flow(context: JinroContext) -> None:
    """Opening the list or a session leaves a half-done step of this area."""
    await leave_flow(context, "ss.")


# ----- the list -------------------------------------------------------------------------------


@requires(Role.SITE)
async def sessions_command(update: Update, context: JinroContext) -> None:
    if _site_id(context) is None:
        await reply(update, context, "common/not_allowed")
        return
    await _leave_flow(context)
    await show_list(update, context, 0)


async def show_list(update: Update, context: JinroContext, page: int, *, edit: bool = False):
    now = context.now
    today_from = _midnight(context, _local_today(context, now))
    async with context.db.read() as conn:
        found, total = await store.site_sessions(
            conn, _site_id(context), today_from=today_from, now=now, offset=page * PAGE, limit=PAGE
        )
    pages = page_count(total, PAGE)
    if total and page >= pages:  # an old page button after sessions were cancelled
        await show_list(update, context, pages - 1, edit=edit)
        return
    lang = context.lang
    rows = [
        [
            (
                f"{page * PAGE + n + 1}. {_short_when(context, s.starts_at)} {s.title}"[:60],
                f"ss:s:{s.id}:{page}",
            )
        ]
        for n, s in enumerate(found)
    ]
    rows.append(paging_row(lang, "ss:pg", page, pages))
    rows.append([(label(lang, "➕ Add a session"), "ss:n")])
    await reply(
        update,
        context,
        "sessions/list",
        keyboard(rows),
        edit=edit,
        sessions=found,
        total=total,
        page=page + 1,
        pages=pages,
        first=page * PAGE + 1,
        today=_local_today(context, now),
        tz=context.tz,
    )


# ----- one session ----------------------------------------------------------------------------


async def show_session(
    update: Update, context: JinroContext, session_id: int, back: int = 0, *, edit: bool = True
) -> bool:
    """The session with its roster; False (nothing shown) when it is not this site's."""
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
        people = await store.roster(conn, session_id) if session else []
    if session is None:
        return False
    lang, now = context.lang, context.now
    rows = []
    if session.status == "scheduled":
        if session.starts_at > now:
            rows.append(
                [
                    (label(lang, "👥 Change capacity"), f"ss:c:{session_id}"),
                    (label(lang, "❌ Cancel session"), f"ss:x:{session_id}"),
                ]
            )
        rows.append([(label(lang, "✅ Take attendance"), f"ss:at:{session_id}:0")])
    if people:  # a problem with a booking goes to a parent monitor (handlers/cases.py)
        rows.append([(label(lang, "🆘 Ask for mediation"), f"cs:ns:{session_id}")])
    rows.append([(label(lang, "◀ Back to the list"), f"ss:pg:{back}")])
    await reply(
        update,
        context,
        "sessions/detail",
        keyboard(rows),
        edit=edit,
        session=session,
        people=people,
        tz=context.tz,
    )
    return True


async def open_session(update: Update, context: JinroContext, session_id: int, back: int):
    async with context.db.read() as conn:
        found = await store.site_session(conn, session_id, _site_id(context))
    if found is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _leave_flow(context)
    if not await show_session(update, context, session_id, back):  # gone this very moment
        await reply(update, context, "sessions/not_found")


async def list_page(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_list(update, context, page, edit=True)


async def _own_open_session(update: Update, context: JinroContext, session_id: int):
    """The site's session if it can still change (scheduled, not started); else the press is
    answered (stale, or why not) and None returned."""
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
    if session is None:
        await stale_button(update, context)
        return None
    if session.status != "scheduled" or session.starts_at <= context.now:
        text = label(context.lang, "This session has started or was cancelled; it cannot change.")
        await answer_query(update, text, alert=True)
        return None
    return session


# ----- capacity -------------------------------------------------------------------------------


async def ask_capacity(update: Update, context: JinroContext, session_id: int) -> None:
    session = await _own_open_session(update, context, session_id)
    if session is None:
        return
    await answer_query(update)
    await set_flow(context, "ss.size", {"s": session_id})
    await reply(update, context, "sessions/ask_new_capacity", session=session, problem=None)


@text_step("ss.size")
async def capacity_typed(update: Update, context: JinroContext) -> None:
    session_id = context.user.flow_data.get("s")
    capacity = _count(update.message.text)
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        await _ask_capacity_again(update, context, session_id, "number")
        return
    try:
        async with context.db.write() as conn:
            resized = await store.change_capacity(
                conn,
                session_id,
                _site_id(context),
                capacity,
                actor=context.user.id,
                now=context.now,
                offer=context.settings.offer,
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await _gone(update, context)
        return
    except store.Refused as refused:
        if refused.reason == "below_held":
            await _ask_capacity_again(update, context, session_id, "below_held")
        else:
            await set_flow(context, None)
            await reply(update, context, "sessions/closed")
        return
    await reply(
        update,
        context,
        "sessions/resized",
        before=resized.before,
        after=resized.after,
        offered=len(resized.offered),
    )
    outbox.kick(context)  # offers of the new seats to the waiting list
    await show_session(update, context, session_id, edit=False)


async def _ask_capacity_again(update, context, session_id, problem: str) -> None:
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
    if session is None:
        await _gone(update, context)
        return
    await reply(update, context, "sessions/ask_new_capacity", session=session, problem=problem)


async def _gone(update: Update, context: JinroContext) -> None:
    """A typed step whose session vanished (or was never this site's)."""
    await set_flow(context, None)
    await reply(update, context, "sessions/not_found")


# ----- cancelling a session -------------------------------------------------------------------


async def ask_reason(update: Update, context: JinroContext, session_id: int) -> None:
    session = await _own_open_session(update, context, session_id)
    if session is None:
        return
    await answer_query(update)
    await set_flow(context, "ss.why", {"s": session_id})
    await reply(
        update, context, "sessions/ask_reason", session=session, problem=None, tz=context.tz
    )


@text_step("ss.why")
async def reason_typed(update: Update, context: JinroContext) -> None:
    session_id = context.user.flow_data.get("s")
    reason = " ".join(update.message.text.split())
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
    if session is None:
        await _gone(update, context)
        return
    if not 2 <= len(reason) <= 200:
        problem = "long" if len(reason) > 200 else "short"
        await reply(
            update,
            context,
            "sessions/ask_reason",
            session=session,
            problem=problem,
            tz=context.tz,
        )
        return
    await set_flow(context, "ss.sure", {"s": session_id, "r": reason})
    lang = context.lang
    rows = [
        [(label(lang, "❌ Yes, cancel the session"), f"ss:xy:{session_id}")],
        [(label(lang, "◀ Keep it"), f"ss:s:{session_id}:0")],
    ]
    await reply(
        update,
        context,
        "sessions/confirm_cancel",
        keyboard(rows),
        session=session,
        reason=reason,
        tz=context.tz,
    )


async def cancel_now(update: Update, context: JinroContext, session_id: int) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "ss.sure" or data.get("s") != session_id:
        await stale_button(update, context)  # an old confirmation, or forged
        return
    try:
        async with context.db.write() as conn:
            affected = await store.cancel_session(
                conn,
                session_id,
                _site_id(context),
                data["r"],
                actor=context.user.id,
                now=context.now,
            )
            teachers = await store.teachers_to_tell(conn, affected)
            session = await store.site_session(conn, session_id, _site_id(context))
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await stale_button(update, context)
        return
    except (AlreadyHandled, store.Refused):
        await set_flow(context, None)
        text = label(context.lang, "This session has started or was cancelled; it cannot change.")
        await answer_query(update, text, alert=True)
        return
    await answer_query(update)
    outbox.kick(context)  # the students' and the teachers' notices
    students = sum(1 for b in affected if b.student_id is not None and b.active)
    await reply(
        update,
        context,
        "sessions/cancelled",
        keyboard([[(label(context.lang, "◀ Back to the list"), "ss:pg:0")]]),
        edit=True,
        session=session,
        students=students,
        teachers=len(teachers),
        tz=context.tz,
    )


# ----- attendance -----------------------------------------------------------------------------


def _attendance_closed(context: JinroContext, session, now: datetime) -> str | None:
    """Why attendance cannot be taken yet, or None when it can (on the day, or once begun)."""
    if session.status != "scheduled":
        return label(context.lang, "This session was cancelled.")
    day = session.starts_at.astimezone(context.tz).date()
    if day > _local_today(context, now) and session.starts_at > now:
        return label(
            context.lang,
            "Attendance opens on the day of the session (%(day)s).",
            day=_day_name(context.lang, day),
        )
    return None


async def attendance(update: Update, context: JinroContext, session_id: int, page: int):
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
    if session is None:
        await stale_button(update, context)
        return
    closed = _attendance_closed(context, session, context.now)
    if closed:
        await answer_query(update, closed, alert=True)
        return
    await answer_query(update)
    await show_attendance(update, context, session_id, page)


async def show_attendance(update: Update, context: JinroContext, session_id: int, page: int):
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
        people = await store.roster(conn, session_id, ("confirmed",))
    pages = page_count(len(people), ATTENDANCE_PAGE)
    page = min(page, pages - 1)
    shown = people[page * ATTENDANCE_PAGE : (page + 1) * ATTENDANCE_PAGE]
    lang = context.lang
    rows = [[(_attendance_label(lang, p), f"ss:am:{p.id}:{page}")] for p in shown]
    rows.append(paging_row(lang, f"ss:at:{session_id}", page, pages))
    if any(p.attendance is None for p in people):
        rows.append([(label(lang, "✅ Everyone else attended"), f"ss:aa:{session_id}:{page}")])
    if people:
        rows.append([(label(lang, "📨 Done: tell the teachers"), f"ss:ad:{session_id}")])
    rows.append([(label(lang, "◀ Back to the session"), f"ss:s:{session_id}:0")])
    await reply(
        update,
        context,
        "sessions/attendance",
        keyboard(rows),
        edit=True,
        session=session,
        people=people,
        attended=sum(p.attendance == "attended" for p in people),
        no_show=sum(p.attendance == "no_show" for p in people),
        unmarked=sum(p.attendance is None for p in people),
        page=page + 1,
        pages=pages,
        tz=context.tz,
    )


def _attendance_label(lang: str, person) -> str:
    name = person.name or label(lang, "(name to come)")
    grade = f" {label(lang, 'Grade %(grade)s', grade=person.grade)}" if person.grade else ""
    return f"{ATTENDANCE_MARKS.get(person.attendance, '⬜')} {name} · {person.school}{grade}"[:60]


async def toggle_attendance(update: Update, context: JinroContext, booking_id: int, page: int):
    """attended ⇄ no-show (a first tap: attended)."""
    site_id, now = _site_id(context), context.now
    try:
        async with context.db.write() as conn:
            booking = await store.get(conn, booking_id)
            if booking is None:
                raise NotFound
            session = await store.site_session(conn, booking.session_id, site_id)
            if session is None or _attendance_closed(context, session, now):
                raise NotFound
            marked = await store.mark_attendance(
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
    except NotFound:
        await stale_button(update, context)
        return
    await answer_query(update)
    await show_attendance(update, context, booking.session_id, page)


async def all_attended(update: Update, context: JinroContext, session_id: int, page: int):
    try:
        async with context.db.write() as conn:
            session = await store.site_session(conn, session_id, _site_id(context))
            if session is None or _attendance_closed(context, session, context.now):
                raise NotFound
            await store.mark_all_attended(
                conn, session_id, _site_id(context), actor=context.user.id, now=context.now
            )
    except NotFound:
        await stale_button(update, context)
        return
    await answer_query(update)
    await show_attendance(update, context, session_id, page)


async def report_attendance(update: Update, context: JinroContext, session_id: int) -> None:
    """ "Done": each teacher gets one message listing their students' attendance."""
    try:
        async with context.db.write() as conn:
            session = await store.site_session(conn, session_id, _site_id(context))
            if session is None or _attendance_closed(context, session, context.now):
                raise NotFound
            teachers = await store.report_attendance(
                conn, session_id, _site_id(context), actor=context.user.id, now=context.now
            )
    except NotFound:
        await stale_button(update, context)
        return
    if teachers is None:
        text = label(context.lang, "Already sent; nothing changed since.")
        await answer_query(update, text)
        return
    await answer_query(update)
    outbox.kick(context)  # each teacher's notice
    lang = context.lang
    rows = [
        [(label(lang, "✅ Back to attendance"), f"ss:at:{session_id}:0")],
        [(label(lang, "◀ Back to the list"), "ss:pg:0")],
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


# ----- adding a session -----------------------------------------------------------------------


async def pick_program(update: Update, context: JinroContext) -> None:
    async with context.db.read() as conn:
        programs = await store.site_programs(conn, _site_id(context))
    await answer_query(update)
    await _leave_flow(context)
    rows = [[(p.title[:60], f"ss:np:{p.id}")] for p in programs]
    rows.append([(label(context.lang, "◀ Back to the list"), "ss:pg:0")])
    await reply(
        update, context, "sessions/pick_program", keyboard(rows), edit=True, programs=programs
    )


async def program_picked(update: Update, context: JinroContext, program_id: int) -> None:
    async with context.db.read() as conn:
        program = await store.site_program(conn, program_id, _site_id(context))
    if program is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, "ss.start", {"p": program_id})
    await reply(update, context, "sessions/ask_start", edit=True, program=program, problem=None)


async def _adding(context: JinroContext):
    """The programme of the session being added (None if it is no longer the site's)."""
    async with context.db.read() as conn:
        return await store.site_program(conn, context.user.flow_data.get("p", 0), _site_id(context))


def _moment(data: dict, key: str) -> datetime | None:
    return datetime.fromisoformat(data[key]) if data.get(key) else None


@text_step("ss.start")
async def start_typed(update: Update, context: JinroContext) -> None:
    program = await _adding(context)
    if program is None:
        await _gone(update, context)
        return
    now = context.now
    try:
        start = days.parse_moment(update.message.text, _local_today(context, now), context.tz)
        problem = "format" if start is None else None
    except days.NotADay:
        start, problem = None, "no_such_day"
    if start is not None and start <= now:
        problem = "past"
    elif start is not None and start > now + timedelta(days=400):
        problem = "far"
    if problem:
        await reply(update, context, "sessions/ask_start", program=program, problem=problem)
        return
    data = {**context.user.flow_data, "s": start.isoformat()}
    await set_flow(context, "ss.end", data)
    await _ask_end(update, context, program, None)


async def _ask_end(update, context, program, problem, *, edit: bool = False) -> None:
    lang = context.lang
    rows = [[(label(lang, "%(count)s h", count=m // 60), f"ss:du:{m}") for m in DURATIONS]]
    start = _moment(context.user.flow_data, "s")
    await reply(
        update,
        context,
        "sessions/ask_end",
        keyboard(rows),
        edit=edit,
        program=program,
        start=start,
        problem=problem,
        tz=context.tz,
    )


# "16:00", "16시", "16시 30분", "오후 4시": the end on the start's day.
_END_TIME = re.compile(
    r"^\s*(?P<half>오전|오후)?\s*(?P<hour>\d{1,2})\s*"
    r"(?::\s*(?P<minute>\d{2})|시\s*(?:(?P<minutes>\d{1,2})\s*분)?)\s*$"
)
# "2시간", "90분", "1시간 30분", "2h", "1h 30m", "90 min": a length.
_LENGTH = re.compile(
    r"^\s*(?:(?P<hours>\d{1,2})\s*(?:시간|h|hours?|hrs?))?\s*"
    r"(?:(?P<minutes>\d{1,4})\s*(?:분|m|min|minutes?))?\s*$",
    re.IGNORECASE,
)


def parse_end(text: str, start: datetime) -> datetime | None:
    """When a session that begins at `start` (local, aware) ends, from an end time or a
    length; None when the text is neither."""
    found = _END_TIME.match(text)
    if found:
        hour = int(found["hour"]) + (
            12 if found["half"] == "오후" and int(found["hour"]) < 12 else 0
        )
        minute = int(found["minute"] or found["minutes"] or 0)
        if hour > 23 or minute > 59:
            return None
        return datetime.combine(start.date(), time(hour, minute), tzinfo=start.tzinfo)
    found = _LENGTH.match(text)
    if found and (found["hours"] or found["minutes"]):
        return start + timedelta(hours=int(found["hours"] or 0), minutes=int(found["minutes"] or 0))
    return None


@text_step("ss.end")
async def end_typed(update: Update, context: JinroContext) -> None:
    program = await _adding(context)
    if program is None:
        await _gone(update, context)
        return
    start = _moment(context.user.flow_data, "s").astimezone(context.tz)
    end = parse_end(update.message.text, start)
    problem = None
    if end is None:
        problem = "format"
    elif end <= start:
        problem = "before"
    elif end - start > LONGEST:
        problem = "long"
    if problem:
        await _ask_end(update, context, program, problem)
        return
    await _to_capacity(update, context, program, end)


async def duration_pressed(update: Update, context: JinroContext, minutes: int) -> None:
    program = await _adding(context) if context.user.flow == "ss.end" else None
    if program is None or minutes not in DURATIONS:
        await stale_button(update, context)
        return
    await answer_query(update)
    start = _moment(context.user.flow_data, "s")
    await _to_capacity(update, context, program, start + timedelta(minutes=minutes), edit=True)


async def _to_capacity(update, context, program, end: datetime, *, edit: bool = False) -> None:
    await set_flow(context, "ss.cap", {**context.user.flow_data, "e": end.isoformat()})
    await _ask_new_seats(update, context, program, None, edit=edit)


async def _ask_new_seats(update, context, program, problem, *, edit: bool = False) -> None:
    rows = [[(label(context.lang, "%(count)s seats (usual)", count=program.capacity), "ss:dc")]]
    await reply(
        update,
        context,
        "sessions/ask_capacity",
        keyboard(rows),
        edit=edit,
        program=program,
        problem=problem,
    )


@text_step("ss.cap")
async def seats_typed(update: Update, context: JinroContext) -> None:
    program = await _adding(context)
    if program is None:
        await _gone(update, context)
        return
    capacity = _count(update.message.text)
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        await _ask_new_seats(update, context, program, "number")
        return
    await _to_place(update, context, program, capacity)


async def usual_seats(update: Update, context: JinroContext) -> None:
    program = await _adding(context) if context.user.flow == "ss.cap" else None
    if program is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _to_place(update, context, program, min(program.capacity, MAX_CAPACITY), edit=True)


async def _to_place(update, context, program, capacity: int, *, edit: bool = False) -> None:
    await set_flow(context, "ss.place", {**context.user.flow_data, "c": capacity})
    await _ask_place(update, context, program, None, edit=edit)


async def _ask_place(update, context, program, problem, *, edit: bool = False) -> None:
    usual = N_("No link for now") if program.online else N_("Keep the usual place")
    async with context.db.read() as conn:
        site = await users_store.site(conn, _site_id(context))
    await reply(
        update,
        context,
        "sessions/ask_place",
        keyboard([[(label(context.lang, usual), "ss:pl")]]),
        edit=edit,
        program=program,
        place=program.place or (site.address if site else None),
        problem=problem,
    )


_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


@text_step("ss.place")
async def place_typed(update: Update, context: JinroContext) -> None:
    program = await _adding(context)
    if program is None:
        await _gone(update, context)
        return
    text = " ".join(update.message.text.split())
    if _LINK.match(text):
        if len(text) > 300:
            await _ask_place(update, context, program, "long_link")
            return
        values = {"u": text, "pl": None}
    elif text.lower().startswith(("http:", "https:", "www.")):
        await _ask_place(update, context, program, "bad_link")
        return
    elif len(text) > 200:
        await _ask_place(update, context, program, "long_place")
        return
    else:
        values = {"pl": text, "u": None}
    await _to_deadline(update, context, values)


async def usual_place(update: Update, context: JinroContext) -> None:
    if context.user.flow != "ss.place" or await _adding(context) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _to_deadline(update, context, {"pl": None, "u": None}, edit=True)


async def _to_deadline(update, context, values: dict, *, edit: bool = False) -> None:
    data = {**context.user.flow_data, **values}
    await set_flow(context, "ss.deadline", data)
    start, now, lang = _moment(data, "s"), context.now, context.lang
    rows = [
        [(label(lang, name), f"ss:dl:{n}")]
        for n, name in DEADLINES.items()
        if start - timedelta(days=n) > now
    ]
    await reply(
        update,
        context,
        "sessions/ask_deadline",
        keyboard(rows),
        edit=edit,
        start=start,
        tz=context.tz,
    )


async def deadline_pressed(update: Update, context: JinroContext, before: int) -> None:
    program = await _adding(context) if context.user.flow == "ss.deadline" else None
    if program is None or before not in DEADLINES:
        await stale_button(update, context)
        return
    data = context.user.flow_data
    deadline = _moment(data, "s") - timedelta(days=before) if before else None
    if deadline is not None and deadline <= context.now:  # the button was not offered
        await stale_button(update, context)
        return
    await answer_query(update)
    data = {**data, "d": deadline.isoformat() if deadline else None}
    await set_flow(context, "ss.confirm", data)
    lang = context.lang
    rows = [[(label(lang, "✅ Add the session"), "ss:ok"), (label(lang, "✕ Don't add"), "ss:no")]]
    await reply(
        update,
        context,
        "sessions/confirm_add",
        keyboard(rows),
        edit=True,
        program=program,
        start=_moment(data, "s"),
        end=_moment(data, "e"),
        capacity=data["c"],
        place=data.get("pl"),
        link=data.get("u"),
        deadline=deadline,
        tz=context.tz,
    )


async def add_now(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "ss.confirm":
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            session_id = await store.add_session(
                conn,
                _site_id(context),
                data["p"],
                actor=context.user.id,
                now=context.now,
                starts_at=_moment(data, "s"),
                ends_at=_moment(data, "e"),
                capacity=data["c"],
                place=data.get("pl"),
                online_url=data.get("u"),
                cancel_deadline=_moment(data, "d"),
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await set_flow(context, None)
        await stale_button(update, context)
        return
    except store.Refused as refused:
        await set_flow(context, None)
        text = {
            "duplicate": N_("This programme already has a session at that time."),
            "started": N_("That time has already passed. Add the session again."),
        }[refused.reason]
        await answer_query(update, label(context.lang, text), alert=True)
        return
    await answer_query(update, label(context.lang, "Session added."))
    await show_session(update, context, session_id)


async def drop_add(update: Update, context: JinroContext) -> None:
    if context.user.flow not in ADD_FLOWS:
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, None)
    await reply(update, context, "common/cancelled", edit=True)


@text_step("ss.deadline", "ss.confirm", "ss.sure")
async def button_expected(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")


# ----- routing --------------------------------------------------------------------------------

# action -> (handler, how many integer parts follow it)
BUTTONS = {
    "pg": (list_page, 1),
    "s": (open_session, 2),
    "c": (ask_capacity, 1),
    "x": (ask_reason, 1),
    "xy": (cancel_now, 1),
    "at": (attendance, 2),
    "am": (toggle_attendance, 2),
    "aa": (all_attended, 2),
    "ad": (report_attendance, 1),
    "n": (pick_program, 0),
    "np": (program_picked, 1),
    "du": (duration_pressed, 1),
    "dc": (usual_seats, 0),
    "pl": (usual_place, 0),
    "dl": (deadline_pressed, 1),
    "ok": (add_now, 0),
    "no": (drop_add, 0),
}


@requires(Role.SITE)
async def on_button(update: Update, context: JinroContext) -> None:
    if _site_id(context) is None:
        await stale_button(update, context)
        return
    await route_button(update, context, BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("sessions", sessions_command),
        CallbackQueryHandler(on_button, pattern=r"^ss:"),
    ]
