"""A meeting's time typed instead of pressed ("내일 오후 4시" at "When do you meet?"): read by
storage.moments, the one reader of typed times, and matched to the mentor's free times. What
was read is shown back with a button to take it (the list's own TIME button, which checks the
time again), so a time read wrongly is never saved; a day typed alone, or a time that is not
free, gets that day's free times as buttons. A meeting is only ever at a free time
(storage/mentors/meetings.py), so a time outside them is pointed to 🗓 Free times."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import Update

from bot.context import JinroContext
from handlers.common import keyboard, reply, set_flow, text_step
from handlers.common.handled import asked
from handlers.mentors.buttons import SET_TIME, SLOTS, TIME
from handlers.mentors.common import _mentor_id, when_label
from handlers.mentors.desk import _mine_while
from messages import label
from storage import mentors as store
from storage import moments

CHOICES = 6  # a day's free times shown as buttons


@text_step("mn.time")
async def time_typed(update: Update, context: JinroContext) -> None:
    request_id = (context.user.flow_data or {}).get("r")
    if not isinstance(request_id, int):
        request_id = 0  # no such request: answered as one gone
    seen = await _mine_while(context, request_id, "accepted")
    if seen is None:  # declined, cancelled or passed on meanwhile
        await set_flow(context, None)
        await reply(update, context, "mentors/gone")
        return
    text, now, tz = update.message.text, context.now, context.tz
    today = now.astimezone(tz).date()
    try:
        moment = moments.moment(text, today, tz, after=now)
        day = moments.day(text, today) if moment is None else None
    except moments.NotADay:
        moment = day = None
    problem = None
    if moment is None and day is None:
        problem = moments.missing(text, today)
    elif moment is not None and moment <= now:
        problem = "past"
    async with context.db.read() as conn:
        free = await store.free_openings(conn, _mentor_id(context), now=now, tz=tz)
    found = next((o for o in free if moment is not None and o.starts_at == moment), None)
    on_day = moment.date() if moment is not None else day
    choices = [found] if found else [o for o in free if o.starts_at.astimezone(tz).date() == on_day]
    if problem is None and found is None and moment is not None:
        problem = "not_free"
    lang = context.lang
    rows = [
        [
            TIME(
                ("✅ " if found else "") + when_label(lang, o.starts_at, tz),
                request_id,
                int(o.starts_at.timestamp() // 60),
            )
        ]
        for o in (choices[:CHOICES] if problem in (None, "not_free") else [])
    ]
    rows.append([SET_TIME(label(lang, "◀ All free times"), request_id)])
    if problem == "not_free" or (problem is None and not choices):
        rows.append([SLOTS(label(lang, "🗓 Free times"))])
    shown = await reply(
        update,
        context,
        "mentors/time_typed",
        keyboard(rows),
        problem=problem,
        moment=moment.astimezone(tz) if moment else None,
        day=on_day,
        found=found and _span(found, tz),
        choices=len(choices),
        any_free=bool(free),
    )
    await asked(context, shown)  # typed again, the buttons of this answer go


def _span(opening, tz) -> dict[str, datetime | timedelta]:
    return {"starts": opening.starts_at.astimezone(tz), "ends": opening.ends_at.astimezone(tz)}
