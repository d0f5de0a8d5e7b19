"""Adding a session: the programme, its start, its end or length, the seats, the place or
link, the cancelling deadline, then a last look before it is added."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    days,
    keyboard,
    reply,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.handled import asked
from handlers.common.questions import expect_buttons
from handlers.common.shorten import ask_to_shorten
from handlers.sessions.buttons import (
    ADD,
    ADD_DEADLINE,
    ADD_DROP,
    ADD_DURATION,
    ADD_NOW,
    ADD_PROGRAMME,
    LIST,
    RETYPE_START,
    USUAL_PLACE,
    USUAL_SEATS,
)
from handlers.sessions.helpers import (
    LINK_MAX,
    MAX_CAPACITY,
    PLACE_MAX,
    _count,
    _gone,
    _leave_flow,
    _local_today,
    _site_id,
)
from handlers.sessions.listing import show_session
from messages import label, nlabel
from messages.labels import N_
from storage import moments
from storage import sessions as store
from storage import users as users_store
from storage.errors import NotFound

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


# ----- adding a session -----------------------------------------------------------------------


@ADD.handles
async def pick_program(update: Update, context: JinroContext) -> None:
    async with context.db.read() as conn:
        programs = await store.site_programs(conn, _site_id(context))
    await answer_query(update)
    await _leave_flow(context)
    rows = [[ADD_PROGRAMME(p.title[:60], p.id)] for p in programs]
    rows.append([LIST(label(context.lang, "◀ Back to the list"), 0)])
    await reply(
        update, context, "sessions/pick_program", keyboard(rows), edit=True, programs=programs
    )


@ADD_PROGRAMME.handles
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


async def _still_adding(update: Update, context: JinroContext):
    """The programme a typed step of adding is for; None once it is gone (the site told)."""
    program = await _adding(context)
    if program is None:
        await _gone(update, context)
    return program


async def _adding_at(context: JinroContext, flow: str):
    """The programme being added, for a button of step `flow`: None when the site is no
    longer at that step (an old button) or the programme went."""
    return await _adding(context) if context.user.flow == flow else None


def _moment(data: dict, key: str) -> datetime | None:
    return datetime.fromisoformat(data[key]) if data.get(key) else None


@text_step("ss.start")
async def start_typed(update: Update, context: JinroContext) -> None:
    program = await _still_adding(update, context)
    if program is None:
        return
    now, text = context.now, update.message.text
    today = _local_today(context, now)
    try:
        start = moments.moment(text, today, context.tz, after=now)
    except days.NotADay:
        start = None
    problem = moments.missing(text, today) if start is None else None
    if start is not None and start <= now:
        problem = "past"
    elif start is not None and start > now + timedelta(days=400):
        problem = "far"
    if problem:
        await reply(update, context, "sessions/ask_start", program=program, problem=problem)
        return
    # "매주 수요일 3시": one session is added, on the first of those days (the echo says so)
    weekly = moments.read(text, today).every
    data = {**context.user.flow_data, "s": start.isoformat(), "wk": weekly}
    await set_flow(context, "ss.end", data)
    await _ask_end(update, context, program, None)


@RETYPE_START.handles
async def retype_start(update: Update, context: JinroContext) -> None:
    """The start was read wrongly: type it again (the end step's button)."""
    program = await _adding_at(context, "ss.end")
    if program is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, "ss.start", {"p": program.id})
    await reply(update, context, "sessions/ask_start", edit=True, program=program, problem=None)


async def _ask_end(update, context, program, problem, *, edit: bool = False) -> None:
    lang = context.lang
    rows = [[ADD_DURATION(label(lang, "%(count)s h", count=m // 60), m) for m in DURATIONS]]
    rows.append([RETYPE_START(label(lang, "✏️ Retype the start"))])
    start = _moment(context.user.flow_data, "s")
    shown = await reply(
        update,
        context,
        "sessions/ask_end",
        keyboard(rows),
        edit=edit,
        program=program,
        start=start,
        weekly=context.user.flow_data.get("wk", False),
        problem=problem,
        tz=context.tz,
    )
    # Each question of adding is kept: the next one, or this one asked again below after
    # typed words it could not use, takes the buttons off the one above.
    await asked(context, shown)


def parse_end(text: str, start: datetime) -> datetime | None:
    """When a session that begins at `start` (local, aware) ends: a time on the start's day
    ("16:00", "오후 4시", "5시 반"; "9시" after a 20:00 start is 21:00), a day and time for a
    camp ("12/4 10시"), both read by moments.ends, or a length ("2시간", "90분"); None when the
    text is none of them."""
    try:
        end = moments.ends(text, start)
    except days.NotADay:
        return None
    if end is not None:
        return end
    return start + length if (length := moments.length(text)) else None


@text_step("ss.end")
async def end_typed(update: Update, context: JinroContext) -> None:
    program = await _still_adding(update, context)
    if program is None:
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


@ADD_DURATION.handles
async def duration_pressed(update: Update, context: JinroContext, minutes: int) -> None:
    program = await _adding_at(context, "ss.end")
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
    seats = program.capacity
    usual = nlabel(context.lang, "%(count)s seat (usual)", "%(count)s seats (usual)", seats)
    rows = [[USUAL_SEATS(usual)]]
    shown = await reply(
        update,
        context,
        "sessions/ask_capacity",
        keyboard(rows),
        edit=edit,
        program=program,
        problem=problem,
    )
    await asked(context, shown)


@text_step("ss.cap")
async def seats_typed(update: Update, context: JinroContext) -> None:
    program = await _still_adding(update, context)
    if program is None:
        return
    capacity = _count(update.message.text)
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        await _ask_new_seats(update, context, program, "number")
        return
    await _to_place(update, context, program, capacity)


@USUAL_SEATS.handles
async def usual_seats(update: Update, context: JinroContext) -> None:
    program = await _adding_at(context, "ss.cap")
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
    shown = await reply(
        update,
        context,
        "sessions/ask_place",
        keyboard([[USUAL_PLACE(label(context.lang, usual))]]),
        edit=edit,
        program=program,
        place=program.place or (site.address if site else None),
        problem=problem,
    )
    await asked(context, shown)


_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


@text_step("ss.place")
async def place_typed(update: Update, context: JinroContext) -> None:
    program = await _still_adding(update, context)
    if program is None:
        return
    text = " ".join(update.message.text.split())
    if _LINK.match(text):
        if len(text) > LINK_MAX:
            await ask_to_shorten(update, context, len(text), LINK_MAX)
            return
        values = {"u": text, "pl": None}
    elif text.lower().startswith(("http:", "https:", "www.")):
        await _ask_place(update, context, program, "bad_link")
        return
    elif len(text) > PLACE_MAX:
        await ask_to_shorten(update, context, len(text), PLACE_MAX)
        return
    else:
        values = {"pl": text, "u": None}
    await _to_deadline(update, context, values)


@USUAL_PLACE.handles
async def usual_place(update: Update, context: JinroContext) -> None:
    if await _adding_at(context, "ss.place") is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _to_deadline(update, context, {"pl": None, "u": None}, edit=True)


async def _to_deadline(update, context, values: dict, *, edit: bool = False) -> None:
    data = {**context.user.flow_data, **values}
    await set_flow(context, "ss.deadline", data)
    start, now, lang = _moment(data, "s"), context.now, context.lang
    rows = [
        [ADD_DEADLINE(label(lang, name), n)]
        for n, name in DEADLINES.items()
        if start - timedelta(days=n) > now
    ]
    shown = await reply(
        update,
        context,
        "sessions/ask_deadline",
        keyboard(rows),
        edit=edit,
        start=start,
        tz=context.tz,
    )
    await asked(context, shown)


@ADD_DEADLINE.handles
async def deadline_pressed(update: Update, context: JinroContext, before: int) -> None:
    program = await _adding_at(context, "ss.deadline")
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
    rows = [[ADD_NOW(label(lang, "✅ Add the session")), ADD_DROP(label(lang, "✕ Don't add"))]]
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


@ADD_NOW.handles
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


@ADD_DROP.handles
async def drop_add(update: Update, context: JinroContext) -> None:
    if context.user.flow not in ADD_FLOWS:
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, None)
    await reply(update, context, "common/cancelled", edit=True)


@text_step("ss.deadline", "ss.confirm", "ss.sure")
async def button_expected(update: Update, context: JinroContext) -> None:
    await expect_buttons(update, context)
