"""The mentor's side: /profile, /slots (free times), pause, and the desk of requests (/mentor):
accept or decline an offer (decline asks for an optional reason), set the meeting's time from
one's free slots with a place or an online link, cancel it, and log it afterwards in two
taps. Also what the outbox sends about mentor requests (REMINDERS, KEYBOARDS) and the
clock's step that passes unanswered offers on and offers the line to mentors come free.

A mentor sees of a student only their given name, grade, school and question; never a
Telegram id or username, and never the priority mark.

Flows (users.flow; data in users.flow_data):
    mn.title, mn.bio        typing the job title (or major), the introduction
    mn.slot                 typing a free time
    mn.decline {"r"}        an optional reason for declining
    mn.link {"r", "t"}      the online link of the meeting at time t (ISO)
    mn.place {"r", "t"}     the place of a school visit
    mn.cancel {"r"}         why the meeting is off
    mn.note {"r"}           a note after logging
Callback data: mn:* the profile and slots (mn:f:P fields page · mn:ft:I:P:TAG toggle a field ·
mn:t title · mn:b introduction · mn:m:MODE · mn:d:I district · mn:x limit · mn:xo:N ·
mn:p:1|0 pause/resume · mn:s slots · mn:sa add · mn:sd:ID delete · mn:pr the profile);
mr:* a request (mr:v:R view · mr:a:R accept · mr:d:R decline? · mr:dn:R without a reason ·
mr:k:R keep it · mr:tm:R times · mr:t:R:MINUTES a time (Unix minutes) · mr:pl:R at the
school · mr:c:R cancel the meeting? · mr:h:R:MIN held · mr:hm:R other length · mr:nh:R
not held · mr:ns skip the note · mr:b the desk). R is a request id, always checked against
the pressing mentor.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, date, datetime, time

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import days
from bot.context import JinroContext
from handlers import reminders as outbox
from handlers.common import (
    answer_query,
    callback_parts,
    keyboard,
    leave_flow,
    reply,
    requires,
    route_button,
    set_flow,
    stale_button,
    text_step,
)
from messages import label
from messages.labels import N_
from storage import mentors as store
from storage import users as users_store
from storage.catalogue import DISTRICTS
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role

log = logging.getLogger(__name__)

FIELD_PAGE = 10
TIME_BUTTONS = 8
TITLE_MAX, BIO_MAX, REASON_MAX, NOTE_MAX = 120, 500, 200, 500
MINUTES = (30, 45, 60, 90, 120)
MODE_NAMES = {
    "online": N_("💻 Online, one to one"),
    "group": N_("👥 Online group sessions"),
    "visit": N_("🏫 School visits"),
}
WEEKDAY_NAMES = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


# ----- small helpers --------------------------------------------------------------------------


def _now_and_window(context: JinroContext) -> dict:
    return {"now": context.now, "window": context.settings.mentor_answer, "tz": context.tz}


async def _leave_flow(context: JinroContext) -> None:
    await leave_flow(context, "mn.")


def when_label(lang: str, moment: datetime, tz) -> str:
    """A short button label for a moment: "12/03 (화) 16:00"."""
    local = moment.astimezone(tz)
    weekday = WEEKDAY_NAMES["ko" if lang == "ko" else "en"][local.weekday()]
    return f"{local:%m/%d} ({weekday}) {local:%H:%M}"


def _mentor_id(context: JinroContext) -> int | None:
    return context.user.mentor_id


def field_tag(name: str) -> int:
    """A short number for a field's name, carried in a button beside its place in the list:
    a list that changed since the button was shown (a new field imported) is caught
    instead of toggling the field now at that place."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:6], 16)


# ----- /profile -------------------------------------------------------------------------------


@requires(Role.MENTOR)
async def profile_command(update: Update, context: JinroContext) -> None:
    if _mentor_id(context) is None:
        await reply(update, context, "common/not_allowed")
        return
    await _leave_flow(context)
    await show_profile(update, context)


async def show_profile(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        mentor = await store.profile(conn, _mentor_id(context))
        fields = await store.fields_of(conn, mentor.id)
        slots = await store.mentor_slots(conn, mentor.id)
    lang = context.lang
    rows = [
        [(label(lang, "🗂 Fields"), "mn:f:0")],
        [
            (label(lang, "✏️ Job title or major"), "mn:t"),
            (label(lang, "✏️ Introduction"), "mn:b"),
        ],
    ]
    for mode, name in MODE_NAMES.items():
        mark = "✅" if getattr(mentor, store.MODE_COLUMNS[mode]) else "⬜"
        rows.append([(f"{mark} {label(lang, name)}", f"mn:m:{mode}")])
    visits = store.split_codes(mentor.districts, DISTRICTS)
    rows.append(
        [(("✅ " if d in visits else "⬜ ") + d, f"mn:d:{n}") for n, d in enumerate(DISTRICTS)]
    )
    rows.append(
        [
            (label(lang, "🔢 Requests at a time: %(count)s", count=mentor.max_open), "mn:x"),
            (label(lang, "🗓 Free times"), "mn:s"),
        ]
    )
    rows.append(
        [(label(lang, "▶ Resume requests"), "mn:p:0")]
        if mentor.paused
        else [(label(lang, "⏸ Pause requests"), "mn:p:1")]
    )
    await reply(
        update,
        context,
        "mentors/profile",
        keyboard(rows),
        edit=edit,
        mentor=mentor,
        fields=fields,
        modes=store.mentor_modes(mentor),
        districts=visits,
        slots=len(slots),
    )


async def fields_page(update: Update, context: JinroContext, page: int, *, edit=True) -> None:
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
        chosen = await store.fields_of(conn, _mentor_id(context))
    pages = max(1, -(-len(names) // FIELD_PAGE))
    page = min(page, pages - 1)
    await answer_query(update)
    lang = context.lang
    shown = list(enumerate(names))[page * FIELD_PAGE : (page + 1) * FIELD_PAGE]
    rows = [
        [
            (
                ("✅ " if name in chosen else "⬜ ") + name[:50],
                f"mn:ft:{index}:{page}:{field_tag(name)}",
            )
        ]
        for index, name in shown
    ]
    paging = []
    if page > 0:
        paging.append((label(lang, "◀ Previous"), f"mn:f:{page - 1}"))
    if page + 1 < pages:
        paging.append((label(lang, "Next ▶"), f"mn:f:{page + 1}"))
    rows.append(paging)
    rows.append([(label(lang, "✅ Done"), "mn:pr")])
    await reply(
        update,
        context,
        "mentors/fields",
        keyboard(rows),
        edit=edit,
        fields=chosen,
        page=page + 1,
        pages=pages,
    )


async def toggle_field(
    update: Update, context: JinroContext, index: int, page: int, tag: int
) -> None:
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
        chosen = await store.fields_of(conn, _mentor_id(context))
    if index >= len(names) or field_tag(names[index]) != tag:
        await stale_button(update, context)
        return
    name = names[index]
    if name in chosen:
        if len(chosen) == 1:
            await answer_query(update, label(context.lang, "Keep at least one field."), alert=True)
            return
        chosen.remove(name)
    else:
        chosen.append(name)
    async with context.db.write() as conn:
        await store.set_fields(conn, _mentor_id(context), chosen)
    await fields_page(update, context, page)


async def ask_title(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "mn.title")
    await reply(update, context, "mentors/ask_text", what="title", limit=TITLE_MAX)


async def ask_bio(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "mn.bio")
    await reply(update, context, "mentors/ask_text", what="bio", limit=BIO_MAX)


@text_step("mn.title", "mn.bio")
async def profile_text(update: Update, context: JinroContext) -> None:
    what = "title" if context.user.flow == "mn.title" else "bio"
    text = " ".join(update.message.text.split())
    limit = TITLE_MAX if what == "title" else BIO_MAX
    if not 2 <= len(text) <= limit:
        await reply(update, context, "mentors/ask_text", what=what, limit=limit, length=len(text))
        return
    async with context.db.write() as conn:
        await store.update_profile(
            conn, _mentor_id(context), context.user.id, now=context.now, **{what: text}
        )
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await show_profile(update, context)


async def toggle_mode(update: Update, context: JinroContext, mode: str) -> None:
    async with context.db.write() as conn:
        mentor = await store.profile(conn, _mentor_id(context))
        column = store.MODE_COLUMNS[mode]
        await store.update_profile(
            conn,
            mentor.id,
            context.user.id,
            now=context.now,
            **{column: not getattr(mentor, column)},
        )
    await answer_query(update)
    await show_profile(update, context, edit=True)


async def toggle_district(update: Update, context: JinroContext, index: int) -> None:
    if index >= len(DISTRICTS):
        await stale_button(update, context)
        return
    async with context.db.write() as conn:
        mentor = await store.profile(conn, _mentor_id(context))
        visits = set(store.split_codes(mentor.districts, DISTRICTS)) ^ {DISTRICTS[index]}
        await store.update_profile(
            conn, mentor.id, context.user.id, now=context.now, districts=sorted(visits)
        )
    await answer_query(update)
    await show_profile(update, context, edit=True)


async def ask_limit(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    rows = [[(str(n), f"mn:xo:{n}") for n in store.MAX_OPEN_CHOICES]]
    rows.append([(label(context.lang, "◀ Back to the profile"), "mn:pr")])
    await reply(update, context, "mentors/ask_limit", keyboard(rows), edit=True)


async def limit_chosen(update: Update, context: JinroContext, count: int) -> None:
    if count not in store.MAX_OPEN_CHOICES:
        await stale_button(update, context)
        return
    async with context.db.write() as conn:
        await store.update_profile(
            conn, _mentor_id(context), context.user.id, now=context.now, max_open=count
        )
    await answer_query(update)
    await show_profile(update, context, edit=True)


async def pause(update: Update, context: JinroContext, on: int) -> None:
    if on not in (0, 1):
        await stale_button(update, context)
        return
    async with context.db.write() as conn:
        passed = await store.set_paused(
            conn, _mentor_id(context), context.user.id, bool(on), **_now_and_window(context)
        )
    text = (
        N_("Paused: no new request will reach you.")
        if on
        else N_("Welcome back: requests reach you again.")
    )
    await answer_query(update, label(context.lang, text), alert=True)
    await show_profile(update, context, edit=True)
    if passed:
        outbox.kick(context)  # the next mentors' offers


async def back_to_profile(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_profile(update, context, edit=True)


# ----- /slots ---------------------------------------------------------------------------------


@requires(Role.MENTOR)
async def slots_command(update: Update, context: JinroContext) -> None:
    if _mentor_id(context) is None:
        await reply(update, context, "common/not_allowed")
        return
    await _leave_flow(context)
    await show_slots(update, context)


async def show_slots(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        slots = await store.mentor_slots(conn, _mentor_id(context))
        free = await store.free_openings(conn, _mentor_id(context), now=context.now, tz=context.tz)
    lang = context.lang
    rows = [[(f"✕ {slot_label(lang, s)}", f"mn:sd:{s.id}")] for s in slots]
    rows.append([(label(lang, "➕ Add a free time"), "mn:sa")])
    rows.append([(label(lang, "◀ Back to the profile"), "mn:pr")])
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


def slot_label(lang: str, slot) -> str:
    if slot.day is not None:
        day = f"{slot.day:%m/%d}"
    else:
        name = WEEKDAY_NAMES["ko" if lang == "ko" else "en"][slot.weekday]
        day = label(lang, "every %(weekday)s", weekday=name)
    return f"{day} {slot.starts:%H:%M} ({label(lang, '%(count)s min', count=slot.minutes)})"


async def slots_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_slots(update, context, edit=True)


async def add_slot_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "mn.slot")
    await reply(update, context, "mentors/ask_slot", problem=None)


async def delete_slot(update: Update, context: JinroContext, slot_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.delete_slot(conn, _mentor_id(context), slot_id)
    except NotFound:
        await stale_button(update, context)
        return
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


# ----- the desk: /mentor for a mentor ---------------------------------------------------------


async def show_board(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        desk = await store.board(conn, _mentor_id(context), now=context.now)
        mentor = await store.profile(conn, _mentor_id(context))
        free = await store.free_openings(conn, mentor.id, now=context.now, tz=context.tz)
    lang, tz = context.lang, context.tz
    rows = []
    for seen in desk.offered:
        rows.append([(f"📨 {_who(lang, seen)} · {seen.field}"[:60], f"mr:v:{seen.id}")])
    for seen in desk.to_schedule:
        rows.append(
            [
                (
                    label(lang, "🗓 Set the time: %(who)s", who=_who(lang, seen))[:60],
                    f"mr:tm:{seen.id}",
                )
            ]
        )
    for seen in desk.to_log:
        rows.append(
            [(label(lang, "📝 Log: %(who)s", who=_who(lang, seen))[:60], f"mr:v:{seen.id}")]
        )
    for seen in desk.upcoming:
        rows.append(
            [
                (
                    f"📅 {when_label(lang, seen.starts_at, tz)} {_who(lang, seen)}"[:60],
                    f"mr:v:{seen.id}",
                )
            ]
        )
    rows.append([(label(lang, "👤 Profile"), "mn:pr"), (label(lang, "🗓 Free times"), "mn:s")])
    await reply(
        update,
        context,
        "mentors/board",
        keyboard(rows),
        edit=edit,
        desk=desk,
        mentor=mentor,
        free=len(free),
        tz=tz,
    )


def _who(lang: str, seen) -> str:
    if seen.mode == "group":
        return label(lang, "Group session")
    return seen.who or "?"


async def board_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_board(update, context, edit=True)


# ----- one request: view, accept, decline -----------------------------------------------------


async def _seen(context: JinroContext, request_id: int):
    """The request as this mentor sees it, or None when it was never offered to them."""
    try:
        async with context.db.read() as conn:
            return await store.for_mentor(conn, request_id, _mentor_id(context))
    except NotFound:
        return None


async def view_request(update: Update, context: JinroContext, request_id: int, *, edit=True):
    seen = await _seen(context, request_id)
    if seen is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _leave_flow(context)
    await show_request(update, context, seen, edit=edit)


async def show_request(update: Update, context: JinroContext, seen, *, edit: bool = True) -> None:
    lang, now = context.lang, context.now
    mine = await _still_mine(context, seen)
    schools = []
    if seen.meeting_id is not None and seen.mode == "group":
        async with context.db.read() as conn:
            schools = await store.meeting_schools(conn, seen.meeting_id)
    rows = []
    if mine and seen.status == "offered":
        rows.append(offer_buttons(lang, seen.id))
    elif mine and seen.status == "accepted":
        rows.append([(label(lang, "🗓 Set the time"), f"mr:tm:{seen.id}")])
    elif mine and seen.status == "scheduled" and seen.meeting_status == "scheduled":
        if seen.starts_at > now:
            rows.append([(label(lang, "❌ Cancel the meeting"), f"mr:c:{seen.id}")])
        else:
            rows.extend(log_buttons(lang, seen))
    rows.append([(label(lang, "◀ My requests"), "mr:b")])
    await reply(
        update,
        context,
        "mentors/request",
        keyboard(rows),
        edit=edit,
        request=seen,
        mine=mine,
        schools=schools,
        nudge=False,
        tz=context.tz,
    )


async def _still_mine(context: JinroContext, seen) -> bool:
    async with context.db.read() as conn:
        request = await store.get(conn, seen.id)
    return request is not None and request.mentor_id == _mentor_id(context)


def offer_buttons(lang: str, request_id: int) -> list:
    return [
        (label(lang, "✅ Accept"), f"mr:a:{request_id}"),
        (label(lang, "❌ Decline"), f"mr:d:{request_id}"),
    ]


def log_buttons(lang: str, seen) -> list:
    length = int((seen.ends_at - seen.starts_at).total_seconds() // 60) if seen.ends_at else 60
    return [
        [(label(lang, "✅ Held, %(count)s min", count=length), f"mr:h:{seen.id}:{length}")],
        [
            (label(lang, "✅ Held, another length"), f"mr:hm:{seen.id}"),
            (label(lang, "❌ Not held"), f"mr:nh:{seen.id}"),
        ],
    ]


async def accept_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    await answer_query(update)  # first: the race is decided in the database, not here
    try:
        async with context.db.write() as conn:
            await store.accept(conn, request_id, context.user, now=context.now)
    except NotFound:
        await reply(update, context, "mentors/gone")
        return
    except AlreadyHandled:
        await reply(update, context, "mentors/taken")
        return
    outbox.kick(context)  # the requester hears a mentor took it
    await ask_time(update, context, request_id, edit=False, accepted=True, answered=True)


async def ask_time(
    update: Update,
    context: JinroContext,
    request_id: int,
    *,
    edit=True,
    accepted=False,
    answered=False,
) -> None:
    """The mentor's free times as buttons; `answered`: the press was answered already."""
    seen = await _seen(context, request_id)
    if seen is None or seen.status != "accepted" or not await _still_mine(context, seen):
        if not answered:
            await stale_button(update, context)
        return
    if not answered:
        await answer_query(update)
    async with context.db.read() as conn:
        free = await store.free_openings(conn, _mentor_id(context), now=context.now, tz=context.tz)
    # The requester's preferred times first.
    free.sort(
        key=lambda o: (
            bool(seen.times) and store.time_bucket(o.starts_at, context.tz) not in seen.times,
            o.starts_at,
        )
    )
    lang = context.lang
    rows = [
        [
            (
                when_label(lang, o.starts_at, context.tz),
                f"mr:t:{request_id}:{int(o.starts_at.timestamp() // 60)}",
            )
        ]
        for o in free[:TIME_BUTTONS]
    ]
    rows.append([(label(lang, "🗓 Free times"), "mn:s"), (label(lang, "◀ My requests"), "mr:b")])
    await reply(
        update,
        context,
        "mentors/ask_time",
        keyboard(rows),
        edit=edit,
        request=seen,
        accepted=accepted,
        any_free=bool(free),
        tz=context.tz,
    )


async def time_chosen(update: Update, context: JinroContext, request_id: int, minutes: int):
    seen = await _seen(context, request_id)
    if seen is None or seen.status != "accepted" or not await _still_mine(context, seen):
        await stale_button(update, context)
        return
    starts_at = datetime.fromtimestamp(minutes * 60, UTC)
    async with context.db.read() as conn:
        free = await store.free_openings(conn, _mentor_id(context), now=context.now, tz=context.tz)
    if starts_at not in {o.starts_at for o in free}:
        await answer_query(update, label(context.lang, "That time is no longer free."), alert=True)
        await ask_time(update, context, request_id, answered=True)
        return
    await answer_query(update)
    data = {"r": request_id, "t": starts_at.isoformat()}
    if seen.mode == "visit":
        await set_flow(context, "mn.place", data)
        rows = [
            [
                (
                    label(context.lang, "🏫 At %(school)s", school=seen.school)[:60],
                    f"mr:pl:{request_id}",
                )
            ]
        ]
        await reply(
            update,
            context,
            "mentors/ask_place",
            keyboard(rows),
            edit=True,
            request=seen,
            problem=None,
        )
    else:
        await set_flow(context, "mn.link", data)
        await reply(update, context, "mentors/ask_link", edit=True, request=seen, problem=None)


@text_step("mn.link")
async def link_typed(update: Update, context: JinroContext) -> None:
    text = update.message.text.strip()
    if not _LINK.match(text) or len(text) > 300:
        await reply(update, context, "mentors/ask_link", request=None, problem="link")
        return
    await _schedule(update, context, link=text)


@text_step("mn.place")
async def place_typed(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())
    if not 2 <= len(text) <= 200:
        await reply(update, context, "mentors/ask_place", request=None, problem="place")
        return
    await _schedule(update, context, place=text)


async def at_school(update: Update, context: JinroContext, request_id: int) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "mn.place" or data.get("r") != request_id:
        await stale_button(update, context)
        return
    seen = await _seen(context, request_id)
    if seen is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _schedule(update, context, place=seen.school)


async def _schedule(update: Update, context: JinroContext, *, place=None, link=None) -> None:
    data = context.user.flow_data or {}
    request_id = data.get("r")
    try:
        starts_at = datetime.fromisoformat(data["t"])
        async with context.db.write() as conn:
            await store.schedule(
                conn,
                request_id,
                context.user,
                starts_at=starts_at,
                place=place,
                link=link,
                now=context.now,
                tz=context.tz,
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except (KeyError, TypeError, ValueError, NotFound, AlreadyHandled):
        await set_flow(context, None)
        await reply(update, context, "mentors/gone")
        return
    except store.Refused:
        await set_flow(context, None)
        await reply(update, context, "mentors/slot_taken")
        await ask_time(update, context, request_id, edit=False)
        return
    outbox.kick(context)  # the requester's news of the meeting
    seen = await _seen(context, request_id)
    await reply(
        update,
        context,
        "mentors/scheduled",
        keyboard([[(label(context.lang, "◀ My requests"), "mr:b")]]),
        request=seen,
        tz=context.tz,
    )


async def decline_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    seen = await _seen(context, request_id)
    if seen is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    if seen.status != "offered" or not await _still_mine(context, seen):
        await reply(update, context, "mentors/taken")
        return
    await set_flow(context, "mn.decline", {"r": request_id})
    lang = context.lang
    rows = [
        [(label(lang, "Decline without a reason"), f"mr:dn:{request_id}")],
        [(label(lang, "◀ Keep it"), f"mr:k:{request_id}")],
    ]
    await reply(update, context, "mentors/ask_decline", keyboard(rows), limit=REASON_MAX)


@text_step("mn.decline")
async def decline_reason_typed(update: Update, context: JinroContext) -> None:
    reason = " ".join(update.message.text.split())
    if len(reason) > REASON_MAX:
        await reply(update, context, "mentors/too_long", length=len(reason), limit=REASON_MAX)
        return
    await _decline(update, context, (context.user.flow_data or {}).get("r"), reason)


async def decline_now(update: Update, context: JinroContext, request_id: int) -> None:
    if context.user.flow != "mn.decline" or (context.user.flow_data or {}).get("r") != request_id:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _decline(update, context, request_id, None)


async def _decline(update: Update, context: JinroContext, request_id, reason) -> None:
    try:
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, None)
            await store.decline(
                conn, request_id or 0, context.user, reason, **_now_and_window(context)
            )
    except (NotFound, AlreadyHandled):
        await set_flow(context, None)
        await reply(update, context, "mentors/taken")
        return
    outbox.kick(context)  # the next mentor's offer
    await reply(
        update,
        context,
        "mentors/declined",
        keyboard([[(label(context.lang, "◀ My requests"), "mr:b")]]),
        edit=update.callback_query is not None,
    )


async def keep_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    await answer_query(update)
    await _leave_flow(context)
    seen = await _seen(context, request_id)
    if seen is None:
        await reply(update, context, "mentors/gone")
        return
    await show_request(update, context, seen)


# ----- cancelling and logging a meeting -------------------------------------------------------


async def cancel_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    seen = await _seen(context, request_id)
    if seen is None or seen.meeting_status != "scheduled" or not await _still_mine(context, seen):
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, "mn.cancel", {"r": request_id})
    rows = [[(label(context.lang, "◀ Keep it"), f"mr:k:{request_id}")]]
    await reply(update, context, "mentors/ask_cancel", keyboard(rows), request=seen, tz=context.tz)


@text_step("mn.cancel")
async def cancel_reason_typed(update: Update, context: JinroContext) -> None:
    reason = " ".join(update.message.text.split())
    if not 2 <= len(reason) <= REASON_MAX:
        await reply(update, context, "mentors/too_long", length=len(reason), limit=REASON_MAX)
        return
    request_id = (context.user.flow_data or {}).get("r")
    try:
        async with context.db.write() as conn:
            request = await store.get(conn, request_id or 0)
            if request is None or request.meeting_id is None:
                raise NotFound
            await store.cancel_meeting(
                conn, request.meeting_id, context.user, reason, **_now_and_window(context)
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except (NotFound, AlreadyHandled):
        await set_flow(context, None)
        await reply(update, context, "mentors/gone")
        return
    outbox.kick(context)  # the requesters hear, and a one-to-one request goes on
    await reply(
        update,
        context,
        "mentors/meeting_cancelled",
        keyboard([[(label(context.lang, "◀ My requests"), "mr:b")]]),
    )


async def held_pressed(update: Update, context: JinroContext, request_id: int, minutes: int):
    await _log(update, context, request_id, held=True, minutes=minutes)


async def not_held_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    await _log(update, context, request_id, held=False, minutes=None)


async def other_length(update: Update, context: JinroContext, request_id: int) -> None:
    seen = await _seen(context, request_id)
    if seen is None or seen.meeting_status != "scheduled":
        await stale_button(update, context)
        return
    await answer_query(update)
    lang = context.lang
    rows = [[(label(lang, "%(count)s min", count=m), f"mr:h:{request_id}:{m}") for m in MINUTES]]
    rows.append([(label(lang, "❌ Not held"), f"mr:nh:{request_id}")])
    await reply(
        update,
        context,
        "mentors/ask_length",
        keyboard(rows),
        edit=True,
        request=seen,
        tz=context.tz,
    )


async def _log(update: Update, context: JinroContext, request_id: int, *, held, minutes):
    if held and not 5 <= minutes <= 600:
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            request = await store.get(conn, request_id)
            if request is None or request.meeting_id is None:
                raise NotFound
            await store.log_meeting(
                conn, request.meeting_id, context.user, held=held, minutes=minutes, now=context.now
            )
    except NotFound:
        await stale_button(update, context)
        return
    except AlreadyHandled:
        await answer_query(update, label(context.lang, "Already logged."), alert=True)
        return
    except store.Refused:
        await answer_query(
            update, label(context.lang, "You can log it once it has begun."), alert=True
        )
        return
    await answer_query(update)
    outbox.kick(context)  # the requesters' rating question
    await set_flow(context, "mn.note", {"r": request_id})
    rows = [[(label(context.lang, "Skip the note"), "mr:ns")]]
    await reply(
        update, context, "mentors/logged", keyboard(rows), edit=True, held=held, minutes=minutes
    )


@text_step("mn.note")
async def note_typed(update: Update, context: JinroContext) -> None:
    note = " ".join(update.message.text.split())
    if len(note) > NOTE_MAX:
        await reply(update, context, "mentors/too_long", length=len(note), limit=NOTE_MAX)
        return
    request_id = (context.user.flow_data or {}).get("r")
    try:
        async with context.db.write() as conn:
            request = await store.get(conn, request_id or 0)
            if request is None or request.meeting_id is None:
                raise NotFound
            await store.note_meeting(conn, request.meeting_id, context.user, note)
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await set_flow(context, None)
        await reply(update, context, "mentors/gone")
        return
    await reply(
        update,
        context,
        "mentors/noted",
        keyboard([[(label(context.lang, "◀ My requests"), "mr:b")]]),
    )


async def skip_note(update: Update, context: JinroContext) -> None:
    if context.user.flow != "mn.note":
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, None)
    await show_board(update, context, edit=True)


# ----- routing --------------------------------------------------------------------------------

# action -> (handler, how many integer parts follow it)
PROFILE_BUTTONS = {
    "pr": (back_to_profile, 0),
    "f": (fields_page, 1),
    "ft": (toggle_field, 3),
    "t": (ask_title, 0),
    "b": (ask_bio, 0),
    "d": (toggle_district, 1),
    "x": (ask_limit, 0),
    "xo": (limit_chosen, 1),
    "p": (pause, 1),
    "s": (slots_pressed, 0),
    "sa": (add_slot_pressed, 0),
    "sd": (delete_slot, 1),
}
REQUEST_BUTTONS = {
    "b": (board_pressed, 0),
    "v": (view_request, 1),
    "a": (accept_pressed, 1),
    "d": (decline_pressed, 1),
    "dn": (decline_now, 1),
    "k": (keep_pressed, 1),
    "tm": (ask_time, 1),
    "t": (time_chosen, 2),
    "pl": (at_school, 1),
    "c": (cancel_pressed, 1),
    "h": (held_pressed, 2),
    "hm": (other_length, 1),
    "nh": (not_held_pressed, 1),
    "ns": (skip_note, 0),
}


async def _route(update: Update, context: JinroContext, buttons: dict) -> None:
    parts = callback_parts(update)
    if parts[:2] == ["mn", "m"] and len(parts) == 3 and parts[2] in store.MODES:
        await toggle_mode(update, context, parts[2])
        return
    if _mentor_id(context) is None:
        await stale_button(update, context)
        return
    await route_button(update, context, buttons)


@requires(Role.MENTOR)
async def on_profile_button(update: Update, context: JinroContext) -> None:
    await _route(update, context, PROFILE_BUTTONS)


@requires(Role.MENTOR)
async def on_request_button(update: Update, context: JinroContext) -> None:
    await _route(update, context, REQUEST_BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("profile", profile_command),
        CommandHandler("slots", slots_command),
        CallbackQueryHandler(on_profile_button, pattern=r"^mn:"),
        CallbackQueryHandler(on_request_button, pattern=r"^mr:"),
    ]


# ----- what the outbox says (handlers/reminders.py composes each row by its kind) -------------


async def _offer(conn, context, row, user):
    """An offer, while it is still this mentor's to answer."""
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.status != "offered" or request.mentor_id != user.mentor_id:
        return None
    seen = await store.for_mentor(conn, request.id, user.mentor_id)
    nudge = row.kind == "mentor_offer_nudge"
    return "mentors/request", {
        "request": seen,
        "mine": True,
        "schools": [],
        "nudge": nudge,
    }


async def _requester_view(conn, row, user, *statuses):
    try:
        found = await store.for_requester(conn, row.mentor_request_id, user.id)
    except NotFound:
        return None
    return found if found.status in statuses else None


async def _accepted(conn, context, row, user):
    found = await _requester_view(conn, row, user, "accepted")
    return None if found is None else ("mentoring/news", {"request": found, "news": "accepted"})


async def _waiting(conn, context, row, user):
    found = await _requester_view(conn, row, user, "waiting")
    return None if found is None else ("mentoring/news", {"request": found, "news": "waiting"})


async def _expired(conn, context, row, user):
    found = await _requester_view(conn, row, user, "expired")
    return None if found is None else ("mentoring/news", {"request": found, "news": "expired"})


async def _scheduled(conn, context, row, user):
    found = await _requester_view(conn, row, user, "scheduled")
    if found is None or found.meeting_status != "scheduled" or found.starts_at <= context.now:
        return None
    return "mentoring/news", {"request": found, "news": "scheduled"}


async def _meeting_soon(conn, context, row, user):
    """The day before and an hour before, to the requester and to the mentor."""
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.meeting_id is None:
        return None
    meeting = await store.meeting(conn, request.meeting_id)
    if meeting is None or meeting.status != "scheduled" or meeting.starts_at <= context.now:
        return None  # its moment passed, or it is off
    if user.role == Role.MENTOR:
        if user.mentor_id != meeting.mentor_id:
            return None
        seen = store.seen_by_mentor(await store.view(conn, request.id))
        schools = await store.meeting_schools(conn, meeting.id) if meeting.mode == "group" else []
        return "mentors/soon", {"request": seen, "schools": schools}
    found = await _requester_view(conn, row, user, "scheduled")
    if found is None:
        return None
    return "mentoring/news", {"request": found, "news": "soon"}


async def _log_due(conn, context, row, user):
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.meeting_id is None or user.role != Role.MENTOR:
        return None
    meeting = await store.meeting(conn, request.meeting_id)
    if meeting is None or meeting.status != "scheduled" or meeting.mentor_id != user.mentor_id:
        return None  # logged already, or off
    seen = store.seen_by_mentor(await store.view(conn, request.id))
    return "mentors/log", {"request": seen}


async def _rate(conn, context, row, user):
    found = await _requester_view(conn, row, user, "held")
    if found is None or found.rating is not None:
        return None
    return "mentoring/news", {"request": found, "news": "rate"}


async def _meeting_cancelled(conn, context, row, user):
    try:
        found = await store.for_requester(conn, row.mentor_request_id, user.id)
    except NotFound:
        return None
    return "mentoring/news", {"request": found, "news": f"off_{row.detail or 'cancelled'}"}


async def _request_cancelled(conn, context, row, user):
    """The requester withdrew a request this mentor had taken (or a school left a session)."""
    if user.role != Role.MENTOR:
        return None
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.status != "cancelled" or request.mentor_id != user.mentor_id:
        return None
    seen = store.seen_by_mentor(await store.view(conn, request.id))
    return "mentors/withdrawn", {"request": seen}


async def _group_joined(conn, context, row, user):
    request = await store.get(conn, row.mentor_request_id)
    if request is None or request.status != "scheduled" or user.role != Role.MENTOR:
        return None
    meeting = await store.meeting(conn, request.meeting_id)
    if meeting is None or meeting.status != "scheduled" or meeting.mentor_id != user.mentor_id:
        return None
    seen = store.seen_by_mentor(await store.view(conn, request.id))
    return "mentors/joined", {"request": seen}


async def _auto_paused(conn, context, row, user):
    if user.role != Role.MENTOR or user.mentor_id is None:
        return None
    mentor = await store.profile(conn, user.mentor_id)
    if mentor is None or not mentor.paused:
        return None  # resumed meanwhile
    return "mentors/auto_paused", {"count": store.MISSED_IN_A_ROW}


REMINDERS = {
    "mentor_offer": _offer,
    "mentor_offer_nudge": _offer,
    "mentor_accepted": _accepted,
    "mentor_waiting": _waiting,
    "mentor_expired": _expired,
    "mentor_scheduled": _scheduled,
    "mentor_meeting_day_before": _meeting_soon,
    "mentor_meeting_hour": _meeting_soon,
    "mentor_log": _log_due,
    "mentor_rate": _rate,
    "mentor_meeting_cancelled": _meeting_cancelled,
    "mentor_request_cancelled": _request_cancelled,
    "mentor_group_joined": _group_joined,
    "mentor_auto_paused": _auto_paused,
}


def _my_requests(row, lang: str):
    return keyboard([[(label(lang, "📋 My mentor requests"), f"rq:v:{row.mentor_request_id}")]])


def _log_keyboard(row, lang: str):
    request_id = row.mentor_request_id
    return keyboard(
        [
            [(label(lang, "✅ Held"), f"mr:hm:{request_id}")],
            [(label(lang, "❌ Not held"), f"mr:nh:{request_id}")],
        ]
    )


KEYBOARDS = {
    "mentor_offer": lambda row, lang: keyboard([offer_buttons(lang, row.mentor_request_id)]),
    "mentor_offer_nudge": lambda row, lang: keyboard([offer_buttons(lang, row.mentor_request_id)]),
    "mentor_log": _log_keyboard,
    "mentor_rate": lambda row, lang: keyboard(
        [[(str(n), f"rq:r:{row.mentor_request_id}:{n}") for n in range(1, 6)]]
    ),
    "mentor_accepted": _my_requests,
    "mentor_waiting": _my_requests,
    "mentor_expired": _my_requests,
    "mentor_scheduled": _my_requests,
    "mentor_meeting_cancelled": _my_requests,
    "mentor_group_joined": lambda row, lang: keyboard([[(label(lang, "◀ My requests"), "mr:b")]]),
    "mentor_request_cancelled": lambda row, lang: keyboard(
        [[(label(lang, "◀ My requests"), "mr:b")]]
    ),
    "mentor_auto_paused": lambda row, lang: keyboard([[(label(lang, "👤 Profile"), "mn:pr")]]),
}


# ----- the clock ------------------------------------------------------------------------------


async def clock_tick(application) -> None:
    """Every half minute: offers nobody answered in time pass on, requests waiting too long
    expire, and the line (priority first) is offered to mentors who came free. Each request
    passes in its own short transaction, a compare-and-swap on its status, so two bot
    processes never both hand it over."""
    context = JinroContext(application)
    moment = {"window": context.settings.mentor_answer, "tz": context.tz}
    try:
        async with context.db.write() as conn:
            passed = await store.expire_offers(conn, now=context.now, **moment)
        async with context.db.write() as conn:
            expired = await store.expire_waiting(conn, now=context.now)
        async with context.db.read() as conn:
            line = await store.waiting_in_line(conn, now=context.now, tz=context.tz)
        offered = 0
        for request_id in line:
            async with context.db.write() as conn:
                if await store.offer_next(conn, request_id, now=context.now, **moment):
                    offered += 1
        if passed or expired or offered:
            outbox.kick(context)
    except Exception:  # the next tick tries again; never let the clock die
        log.exception("mentor clock tick failed")
