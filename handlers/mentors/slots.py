"""/slots: the mentor's free times, weekly or on one day, typed as words and listed."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, days, keyboard, reply, set_flow, text_step
from handlers.mentors.buttons import ADD_SLOT, DELETE_SLOT, PROFILE, SLOTS
from handlers.mentors.common import WEEKDAY_NAMES, _leave_flow, _mentor_id, when_label
from handlers.mentors.desk import mentor_command
from messages import label
from storage import mentors as store
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
        day = f"{slot.day:%m/%d}"
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
    await set_flow(context, "mn.slot")
    await reply(update, context, "mentors/ask_slot", problem=None)


@DELETE_SLOT.handles
async def delete_slot(update: Update, context: JinroContext, slot_id: int) -> None:
    async with context.db.write() as conn:
        await store.delete_slot(conn, _mentor_id(context), slot_id)
    await answer_query(update, label(context.lang, "Removed."))
    await show_slots(update, context, edit=True)


_WEEKDAYS = {
    **{name: n for n, name in enumerate("월화수목금토일")},
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
}
# "16:00", "16시", "16시 30분", "오후 4시"; {p} tells the start's parts from the end's.
_CLOCK = (
    r"(?:(?P<{p}half>오전|오후)\s*)?(?P<{p}hour>\d{{1,2}})\s*"
    r"(?::\s*(?P<{p}minute>\d{{2}})|시(?:\s*(?P<{p}minutes>\d{{1,2}})\s*분)?)"
)
_SLOT = re.compile(
    r"^\s*(?:매주\s*)?(?P<day>.+?)\s+"
    + _CLOCK.format(p="s")
    + r"\s*(?:[-~]\s*"
    + _CLOCK.format(p="e")
    + r"|\(?\s*(?P<length>\d{1,3})\s*(?:분|min|minutes?)\s*\)?"
    + r"|\(?\s*(?P<hours>\d)\s*(?:시간|h|hours?)\s*\)?)?\s*\.?\s*$",
    re.IGNORECASE,
)


class SlotText:
    """A free time as typed: every `weekday`, or once on `day`; start and length."""

    def __init__(self, weekday, day, starts: time, minutes: int) -> None:
        self.weekday, self.day, self.starts, self.minutes = weekday, day, starts, minutes


def _clock(found, prefix: str) -> time | None:
    hour = int(found[f"{prefix}hour"])
    if found[f"{prefix}half"] == "오후" and hour < 12:
        hour += 12
    minute = int(found[f"{prefix}minute"] or found[f"{prefix}minutes"] or 0)
    if hour > 23 or minute > 59:
        raise days.NotADay(found.string)
    return time(hour, minute)


def parse_slot(text: str, today: date) -> SlotText | None:
    """ "화 16:00", "화요일 16시-17시 30분", "매주 목 19:00 (90분)", "tue 4pm" is not one;
    "12/3 14:00", "12월 3일 오후 2시 1시간". None when it is not a free time; NotADay for
    an impossible day or hour."""
    found = _SLOT.match(text)
    if found is None:
        return None
    day_text = found["day"].strip().lower().removesuffix("요일").removesuffix("day")
    weekday = _WEEKDAYS.get(day_text) if len(day_text) <= 3 else None
    if weekday is None and day_text in ("tues", "wednes", "thurs", "satur"):
        weekday = _WEEKDAYS.get(day_text[:3])
    day = None
    if weekday is None:
        day = days.parse_day(found["day"], today)
        if day is None:
            return None
    starts = _clock(found, "s")
    if found["ehour"]:
        ends = _clock(found, "e")
        minutes = (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)
    elif found["length"]:
        minutes = int(found["length"])
    elif found["hours"]:
        minutes = int(found["hours"]) * 60
    else:
        minutes = 60
    return SlotText(weekday, day, starts, minutes)


@text_step("mn.slot")
async def slot_typed(update: Update, context: JinroContext) -> None:
    now = context.now
    today = now.astimezone(context.tz).date()
    try:
        slot = parse_slot(update.message.text, today)
        problem = None if slot is not None else "format"
    except days.NotADay:
        slot, problem = None, "no_such_day"
    if slot is not None and not 15 <= slot.minutes <= 240:
        problem = "length"
    if slot is not None and slot.day is not None:
        starts = datetime.combine(slot.day, slot.starts, tzinfo=context.tz)
        if starts <= now:
            problem = "past"
        elif starts > now + store.HORIZON:
            problem = "far"
    if problem:
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
        await reply(update, context, "mentors/ask_slot", problem=refused.reason)
        return
    await show_slots(update, context)
