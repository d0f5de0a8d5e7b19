"""/slots: the mentor's free times, weekly or on one day, typed as words and listed."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

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
from handlers.common.days import short
from handlers.common.handled import asked, pressed_message_id, prompt_of
from handlers.common.questions import expect_buttons
from handlers.mentors.buttons import ADD_SLOT, DELETE_SLOT, PROFILE, SAVE_SLOT, SLOTS
from handlers.mentors.common import WEEKDAY_NAMES, _leave_flow, _mentor_id, when_label
from handlers.mentors.desk import mentor_command
from messages import label
from storage import mentors as store
from storage import moments
from storage import users as users_store


async def show_slots(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        slots = await store.mentor_slots(conn, _mentor_id(context))
        free = await store.free_openings(conn, _mentor_id(context), now=context.now, tz=context.tz)
    lang = context.lang
    rows = [[DELETE_SLOT(f"✕ {slot_label(lang, s)}", s.id)] for s in slots]
    rows.append([ADD_SLOT(label(lang, "➕ Add a free time"))])
    rows.append([PROFILE(label(lang, "◀ Back to the profile"))])
    await reply(
        update,
        context,
        "mentors/slots",
        keyboard(rows),
        edit=edit,
        slots=[slot_label(lang, s) for s in slots],
        free=[when_label(lang, o.starts_at, context.tz) for o in free[:6]],
        count=len(free),
    )


slots_command = mentor_command(show_slots)  # /slots


def slot_label(lang: str, slot) -> str:
    if slot.day is not None:
        day = short(lang, slot.day)
    else:
        name = WEEKDAY_NAMES["ko" if lang == "ko" else "en"][slot.weekday]
        day = label(lang, "every %(weekday)s", weekday=name)
    return f"{day} {slot.starts:%H:%M} ({label(lang, '%(count)s min', count=slot.minutes)})"


@SLOTS.handles
async def slots_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_slots(update, context, edit=True)


@ADD_SLOT.handles
async def add_slot_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    # "✏️ Retype" on the read-back: it becomes the question, its "✅ Add it" gone with it.
    retyped = context.user.flow == "mn.slot_ok" and prompt_of(
        context.user.flow_data
    ) == pressed_message_id(update)
    await set_flow(context, "mn.slot")
    await reply(update, context, "mentors/ask_slot", edit=retyped, problem=None)


@DELETE_SLOT.handles
async def delete_slot(update: Update, context: JinroContext, slot_id: int) -> None:
    async with context.db.write() as conn:
        await store.delete_slot(conn, _mentor_id(context), slot_id)
    await answer_query(update, label(context.lang, "Removed."))
    await show_slots(update, context, edit=True)


# Between a start and an end: "19시-20시 30분", "19:00~20:00", "7시부터 8시까지".
_RANGE = re.compile(r"\s*(?:-|~|–|부터)\s*")
# Where a length may begin: "(90분)", "1시간", "2h".
_LENGTH_AT = re.compile(r"\s*\(|\s+(?=\d)")


class SlotText:
    """A free time as typed: every `weekday`, or once on `day`; start and length."""

    def __init__(self, weekday, day, starts: time, minutes: int) -> None:
        self.weekday, self.day, self.starts, self.minutes = weekday, day, starts, minutes


def parse_slot(text: str, today: date) -> SlotText | None:
    """ "화 16:00", "매주 수요일 저녁 7시", "목요일 19시-20시 30분", "매주 목 19:00 (90분)": every
    week; "12/3 14:00", "다음 주 화요일 오후 2시 1시간", "내일 4시": once. A weekday without a
    week is weekly. None when it is not a free time; NotADay for an impossible day or hour.
    Read by the one reader of typed times (storage.moments)."""
    text = " ".join(text.split()).rstrip(".")
    found, minutes = _start(text, today), 60
    if found is None:
        for split in reversed(list(_RANGE.finditer(text))):
            ends = moments.clock(text[split.end() :])
            found = _start(text[: split.start()], today) if ends else None
            if found:
                minutes = (ends.hour * 60 + ends.minute) - (found.at.hour * 60 + found.at.minute)
                break
    for split in [] if found else reversed(list(_LENGTH_AT.finditer(text))):
        length = moments.length(text[split.start() :])
        found = _start(text[: split.start()], today) if length else None
        if found:
            minutes = length // timedelta(minutes=1)
            break
    if found is None:
        if moments.missing(text, today) == "no_such_day":
            raise days.NotADay(text)
        return None
    if found.weekday is not None:
        return SlotText(found.weekday, None, found.at, minutes)
    return SlotText(None, found.day, found.at, minutes)


def _start(text: str, today: date) -> moments.Reading | None:
    """A day (or weekday) and a time, or None; a weekly text with a fixed day is none."""
    try:
        found = moments.read(text, today)
    except days.NotADay:
        return None
    return found if found is not None and found.day is not None and found.at else None


@text_step("mn.slot")
async def slot_typed(update: Update, context: JinroContext) -> None:
    now = context.now
    today = now.astimezone(context.tz).date()
    try:
        slot = parse_slot(update.message.text, today)
        problem = None if slot is not None else "format"
    except days.NotADay:
        slot, problem = None, "no_such_day"
    if slot is not None:
        problem = _slot_problem(slot, now, context.tz)
    if problem:
        await reply(update, context, "mentors/ask_slot", problem=problem)
        return
    # Read back before it is kept: a free time read wrongly would be offered to students.
    data = {
        "w": slot.weekday,
        "d": slot.day.isoformat() if slot.day else None,
        "s": slot.starts.strftime("%H:%M"),
        "m": slot.minutes,
    }
    await set_flow(context, "mn.slot_ok", data)
    await _confirm(update, context, slot)


def _slot_problem(slot: SlotText, now: datetime, tz) -> str | None:
    if not 15 <= slot.minutes <= 240:
        return "length"
    if slot.day is not None:
        starts = datetime.combine(slot.day, slot.starts, tzinfo=tz)
        if starts <= now:
            return "past"
        if starts > now + store.HORIZON:
            return "far"
    return None


async def _confirm(update: Update, context: JinroContext, slot: SlotText) -> None:
    lang = context.lang
    rows = [[SAVE_SLOT(label(lang, "✅ Add it")), ADD_SLOT(label(lang, "✏️ Retype"))]]
    starts = datetime.combine(slot.day or date(2001, 1, 1), slot.starts)
    weekday = slot.weekday if slot.weekday is not None else slot.day.weekday()
    shown = await reply(
        update,
        context,
        "mentors/confirm_slot",
        keyboard(rows),
        weekly=slot.weekday is not None,
        weekday=WEEKDAY_NAMES["ko" if lang == "ko" else "en"][weekday],
        starts=starts,
        ends=starts + timedelta(minutes=slot.minutes),
        minutes=slot.minutes,
    )
    await asked(context, shown)  # its "✏️ Retype" turns it back into the question


def _slot_in_flow(context: JinroContext) -> SlotText | None:
    data = context.user.flow_data or {}
    if context.user.flow != "mn.slot_ok":
        return None
    try:
        day = date.fromisoformat(data["d"]) if data.get("d") else None
        return SlotText(data.get("w"), day, time.fromisoformat(data["s"]), int(data["m"]))
    except (KeyError, TypeError, ValueError):
        return None


@SAVE_SLOT.handles
async def save_slot(update: Update, context: JinroContext) -> None:
    slot = _slot_in_flow(context)
    if slot is None:
        await stale_button(update, context)
        return
    problem = _slot_problem(slot, context.now, context.tz)  # time went by since it was read
    if problem:
        await answer_query(update)
        await set_flow(context, "mn.slot")
        await reply(update, context, "mentors/ask_slot", problem=problem)
        return
    try:
        async with context.db.write() as conn:
            await store.add_slot(
                conn,
                _mentor_id(context),
                starts=slot.starts,
                minutes=slot.minutes,
                weekday=slot.weekday,
                day=slot.day,
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except store.Refused as refused:
        await answer_query(update)
        await set_flow(context, "mn.slot")
        await reply(update, context, "mentors/ask_slot", problem=refused.reason)
        return
    await answer_query(update, label(context.lang, "Free time added."))
    await show_slots(update, context, edit=True)


@text_step("mn.slot_ok")
async def button_expected(update: Update, context: JinroContext) -> None:
    await expect_buttons(update, context)
