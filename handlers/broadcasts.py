"""Broadcasts: staff announce to a chosen audience; a teacher to their school's students, a
site to the students booked on its sessions (same flow, audience limited by role; the limits
are kept in storage/broadcasts.py as well).

/broadcast asks for the message: a text (the author's bold, italic and links kept, as
Telegram's HTML), or a photo or file with a caption (its file_id is kept: it was uploaded
once, every copy reuses it). A draft row is written then; it shows a preview exactly as
recipients will see it, and the audience panel with the recipient count. Send now, or
schedule (a typed day and time), then a last confirm: only that writes the deliveries into
the outbox, which the dispatcher (handlers/reminders.py) sends. The confirm message becomes
the progress message that `broadcast_tick` edits every few seconds (figures changed only),
then the final report with the CSV of the undelivered. /broadcasts lists them with figures.

Flows (users.flow; data {"b": the draft's id}):
    bc.text   the message is expected (text, or a photo/file); {} before the first draft
    bc.panel  the audience panel and its pickers (buttons only)
    bc.find   staff type part of a programme title
    bc.when   a day and time is typed
    bc.sure   the last confirm (buttons only)
Callback data, B the draft's id (a press is honoured only for the user's current draft):
    bc:p:B panel · bc:r:B roles · bc:rt:B:I role I · bc:s:B:P schools page P ·
    bc:st:B:SCHOOL:P school · bc:d:B districts · bc:dt:B:I district I · bc:g:B grades ·
    bc:gt:B:G grade G · bc:k:B site kinds · bc:kt:B:I kind I · bc:f:B programme ·
    bc:fp:B:PROGRAMME its sessions · bc:fa:B:PROGRAMME all of it · bc:fs:B:SESSION one
    session · bc:fx:B no programme · bc:e:B everyone · bc:u:B urgent · bc:v:B preview ·
    bc:t:B change the message · bc:n:B send now · bc:w:B schedule · bc:y:B confirm ·
    bc:x:B discard
Steering a confirmed broadcast (staff any, others their own):
    bl:pg:P list page · bl:o:B:P open · bl:ps:B pause · bl:rs:B resume · bl:cx:B cancel? ·
    bl:cy:B cancel! · bl:ck:B keep it · bl:csv:B the undelivered as CSV
"""

from __future__ import annotations

import asyncio
import collections
import csv
import functools
import html
import io
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Row
from telegram import InputFile, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import days
from bot.context import JinroContext
from handlers import reminders as outbox
from handlers.common import (
    answer_query,
    callback_parts,
    file_step,
    int_part,
    keyboard,
    page_count,
    paging_row,
    reply,
    requires,
    set_flow,
    stale_button,
    text_step,
)
from messages import label, render
from messages.labels import N_
from storage import broadcasts as store
from storage import users as users_store
from storage.broadcasts import Audience
from storage.catalogue import DISTRICTS
from storage.errors import AlreadyHandled, NotAllowed, NotFound
from storage.models import Role

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # Telegram's limits on what a bot sends
CAPTION_LIMIT = 1024
SCHOOL_PAGE = 8
LIST_PAGE = 5
FURTHEST = timedelta(days=90)  # a later moment is surely a typo
ROLE_NAMES = {
    "student": N_("Students"),
    "teacher": N_("Teachers"),
    "site": N_("Experience sites"),
    "mentor": N_("Mentors"),
    "monitor": N_("Parent monitors"),
    "staff": N_("Staff"),
}
KIND_NAMES = {
    "public": N_("Public bodies"),
    "company": N_("Companies"),
    "small_business": N_("Small businesses"),
    "university": N_("Universities"),
    "nonprofit": N_("Non-profits"),
    "other": N_("Other sites"),
}
STAFF_ONLY = {"r", "rt", "s", "st", "d", "dt", "k", "kt", "e", "u"}
NOT_TEACHER = {"f", "fp", "fa", "fs", "fx"}  # programme choices: staff and sites
NOT_SITE = {"g", "gt"}


def _may_broadcast(user) -> bool:
    """A teacher needs a school and a site its site: that is whom they may reach."""
    if user.role == Role.TEACHER:
        return user.school_id is not None
    if user.role == Role.SITE:
        return user.site_id is not None
    return user.role == Role.STAFF


# ----- writing the message --------------------------------------------------------------------


@requires(*store.AUTHORS)
async def broadcast_command(update: Update, context: JinroContext) -> None:
    if not _may_broadcast(context.user):
        await reply(update, context, "common/not_allowed")
        return
    await set_flow(context, "bc.text", {})
    await reply(update, context, "broadcasts/ask_text", role=context.user.role, changing=False)


@text_step("bc.text")
async def text_typed(update: Update, context: JinroContext) -> None:
    message = update.message
    if telegram_length(message.text) > TEXT_LIMIT:  # Telegram splits longer ones; be sure
        length = telegram_length(message.text)
        await reply(update, context, "broadcasts/too_long", length=length, limit=TEXT_LIMIT)
        return
    await _take(update, context, authored_html(message.text_html, message.entities), None, None)


@file_step("bc.text")
async def media_sent(update: Update, context: JinroContext) -> None:
    """A photo or a file, with its caption; any other media is refused, friendly."""
    message = update.message
    if message.photo:
        kind, file_id = "photo", message.photo[-1].file_id
    elif message.document:
        kind, file_id = "document", message.document.file_id
    else:
        await reply(update, context, "broadcasts/not_media")
        return
    caption = message.caption or ""
    if telegram_length(caption) > CAPTION_LIMIT:  # Premium users may write longer ones
        length = telegram_length(caption)
        await reply(update, context, "broadcasts/too_long", length=length, limit=CAPTION_LIMIT)
        return
    text = authored_html(message.caption_html, message.caption_entities) if caption else ""
    await _take(update, context, text, kind, file_id)


def authored_html(text_html: str, entities) -> str:
    """The author's message as HTML. python-telegram-bot writes a link's address into href
    as it is; Telegram wants its & and " escaped there (an address with "&lt" would turn
    into another one), so each link's opening tag is written again, escaped."""
    for entity in entities or ():
        if entity.url:
            as_written = f'<a href="{entity.url}">'
            text_html = text_html.replace(as_written, f'<a href="{html.escape(entity.url)}">')
    return text_html


def telegram_length(text: str) -> int:
    """Length as Telegram counts it, in UTF-16 code units: an emoji may count two."""
    return len(text.encode("utf-16-le")) // 2


async def _take(update, context, text: str, kind: str | None, file_id: str | None) -> None:
    """The message becomes the draft (a new one, or the current draft's new text); then the
    preview and the panel."""
    if not _may_broadcast(context.user):  # the role changed while writing
        await _gone(update, context)
        return
    user, current = context.user, context.user.flow_data.get("b")
    values = {"text": text, "media_kind": kind, "media_file_id": file_id}
    async with context.db.write() as conn:
        if current and await store.draft(conn, current, user) is not None:
            await store.update_draft(conn, current, user, **values)
            broadcast_id = current
        else:
            broadcast_id = await store.start_draft(conn, user, now=context.now, **values)
        context.user = await users_store.set_flow(conn, user.id, "bc.panel", {"b": broadcast_id})
    if await _preview(update, context, broadcast_id):
        await show_panel(update, context, broadcast_id, edit=False)


async def _preview(update: Update, context: JinroContext, broadcast_id: int) -> bool:
    """The broadcast as recipients will see it. A message Telegram will not take back (a
    file it no longer knows) is refused here, before anyone else gets it."""
    async with context.db.read() as conn:
        found = await store.for_delivery(conn, broadcast_id)
    try:
        await send_copy(context, update.effective_chat.id, found)
    except BadRequest as error:
        log.info("a broadcast preview was refused: %s", error)
        await set_flow(context, "bc.text", {"b": broadcast_id})
        await reply(update, context, "broadcasts/unusable")
        return False
    return True


async def send_copy(context: JinroContext, chat_id: int, broadcast, *, paced: bool = False):
    """Send `broadcast` (store.for_delivery) to one chat exactly as every recipient gets it:
    the author's HTML as the text or the caption, the photo or file by its file_id. The
    preview uses this, and so should the dispatcher. `paced`: a send slot was waited for."""
    limit = {"rate_limit_args": {"paced": True}} if paced else {}
    if broadcast.media_kind == "photo":
        return await context.bot.send_photo(
            chat_id, broadcast.media_file_id, caption=broadcast.text or None, **limit
        )
    if broadcast.media_kind == "document":
        return await context.bot.send_document(
            chat_id, broadcast.media_file_id, caption=broadcast.text or None, **limit
        )
    return await context.bot.send_message(chat_id, broadcast.text, **limit)


# ----- the audience panel ---------------------------------------------------------------------


async def _draft_view(context: JinroContext, broadcast_id: int):
    """(draft, audience, count, names), or None when it is no longer this user's draft. The
    audience is the one the author may reach (a teacher's own school shows as chosen)."""
    user = context.user
    async with context.db.read() as conn:
        found = await store.draft(conn, broadcast_id, user)
        if found is None:
            return None
        audience = store.limited(user, Audience.from_json(found.audience))
        counted = await store.count(conn, user, audience)
        names = await store.names(conn, audience, user)
    return found, audience, counted, names


async def show_panel(update: Update, context: JinroContext, broadcast_id: int, *, edit=True):
    view = await _draft_view(context, broadcast_id)
    if view is None:
        await _gone(update, context)
        return
    found, audience, counted, names = view
    await reply(
        update,
        context,
        "broadcasts/panel",
        keyboard(_panel_rows(context, found, audience)),
        edit=edit,
        broadcast=found,
        audience=audience,
        names=names,
        count=counted,
        role=context.user.role,
        tz=context.tz,
    )


def _panel_rows(context: JinroContext, found, audience: Audience) -> list:
    lang, role, b = context.lang, context.user.role, found.id

    def button(msgid: str, action: str, chosen) -> tuple[str, str]:
        mark = f" · {len(chosen)}" if isinstance(chosen, tuple) and chosen else ""
        mark = mark or (" ✓" if chosen and not isinstance(chosen, tuple) else "")
        data = f"bc:{action}:{b}:0" if action == "s" else f"bc:{action}:{b}"  # page 0
        return label(lang, msgid) + mark, data

    programme = bool(audience.program or audience.session)
    rows = []
    if role == Role.STAFF:
        rows += [
            [
                button(N_("👥 Roles"), "r", audience.roles),
                button(N_("🏫 Schools"), "s", audience.schools),
            ],
            [
                button(N_("📍 Districts"), "d", audience.districts),
                button(N_("🎓 Grades"), "g", audience.grades),
            ],
            [
                button(N_("🏢 Site types"), "k", audience.site_kinds),
                button(N_("📚 Programme / session"), "f", programme),
            ],
            [button(N_("🌐 Everyone"), "e", audience.everyone)],
            [button(N_("🚨 Urgent"), "u", found.urgent)],
        ]
    elif role == Role.TEACHER:
        rows.append([button(N_("🎓 Grades"), "g", audience.grades)])
    else:
        rows.append([button(N_("📚 Programme / session"), "f", programme)])
    rows += [
        [button(N_("👁 Preview"), "v", False), button(N_("✏️ Change the message"), "t", False)],
        [button(N_("📤 Send now"), "n", False), button(N_("🕘 Schedule"), "w", False)],
        [button(N_("🗑 Discard"), "x", False)],
    ]
    return rows


async def _gone(update: Update, context: JinroContext) -> None:
    """The draft went (sent, discarded, or replaced by a newer one)."""
    if (context.user.flow or "").startswith("bc."):
        await set_flow(context, None)
    if update.callback_query is not None:
        try:
            await stale_button(update, context)
            return
        except BadRequest:  # the press was answered already: say it in the chat
            pass
    await reply(update, context, "broadcasts/gone")


async def _change(update, context, broadcast_id: int, **values) -> bool:
    """Change the draft; False (the press answered) when it is gone or not allowed."""
    try:
        async with context.db.write() as conn:
            await store.update_draft(conn, broadcast_id, context.user, **values)
            if context.user.flow != "bc.panel":
                context.user = await users_store.set_flow(
                    conn, context.user.id, "bc.panel", {"b": broadcast_id}
                )
    except (NotFound, NotAllowed):
        await stale_button(update, context)
        return False
    return True


async def _audience(context: JinroContext, broadcast_id: int) -> Audience | None:
    async with context.db.read() as conn:
        found = await store.draft(conn, broadcast_id, context.user)
    return Audience.from_json(found.audience) if found else None


async def _toggle(update, context, broadcast_id: int, key: str, value, then) -> None:
    """Add or take out one choice (which turns "everyone" off), then show `then` again."""
    audience = await _audience(context, broadcast_id)
    if audience is None:
        await stale_button(update, context)
        return
    chosen = audience.toggled(key, value).but(everyone=False)
    if await _change(update, context, broadcast_id, audience=chosen.to_json()):
        await then()  # the picker shown again answers the press


# ----- pickers --------------------------------------------------------------------------------


async def _picker(update, context, broadcast_id: int, what: str, options, extra=()) -> None:
    """A list of choices to switch on and off (☑ chosen), with the count and a way back.
    `options`: (label, data, chosen) each."""
    view = await _draft_view(context, broadcast_id)
    if view is None:
        await stale_button(update, context)
        return
    _, audience, counted, _ = view
    rows = [[(("☑ " if chosen else "⬜ ") + text, data)] for text, data, chosen in options]
    rows += [list(row) for row in extra]
    rows.append([(label(context.lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")])
    await reply(
        update, context, "broadcasts/pick", keyboard(rows), edit=True, what=what, count=counted
    )


@dataclass(frozen=True)
class Choices:
    """A fixed list the audience is narrowed by: the Audience field it fills, its toggle
    button's action, the values in order and each one's button label. A button carries the
    value's place in the list, or with `by_value` the value itself (a grade)."""

    key: str
    toggle: str
    values: tuple
    name: Callable[[str, object], str]
    by_value: bool = False

    def number(self, place: int, value) -> int:
        return value if self.by_value else place

    def value(self, number: int):
        """The value a button's number stands for; None when forged or out of range."""
        if self.by_value:
            return number if number in self.values else None
        return self.values[number] if number < len(self.values) else None


CHOICES = {
    "roles": Choices("roles", "rt", store.ROLES, lambda lang, v: label(lang, ROLE_NAMES[v])),
    "districts": Choices("districts", "dt", DISTRICTS, lambda lang, v: v),
    "grades": Choices(
        "grades",
        "gt",
        store.GRADES,
        lambda lang, v: label(lang, "Grade %(grade)s", grade=v),
        by_value=True,
    ),
    "site_kinds": Choices(
        "site_kinds", "kt", store.SITE_KINDS, lambda lang, v: label(lang, KIND_NAMES[v])
    ),
}


async def pick_choice(update, context, broadcast_id: int, *, choices: Choices) -> None:
    audience = await _audience(context, broadcast_id) or Audience()
    chosen = getattr(audience, choices.key)
    options = [
        (
            choices.name(context.lang, value),
            f"bc:{choices.toggle}:{broadcast_id}:{choices.number(place, value)}",
            value in chosen,
        )
        for place, value in enumerate(choices.values)
    ]
    await answer_query(update)
    await _picker(update, context, broadcast_id, choices.key, options)


async def toggle_choice(update, context, broadcast_id: int, number: int, *, choices) -> None:
    value = choices.value(number)
    if value is None:
        await stale_button(update, context)
        return
    await _toggle(
        update,
        context,
        broadcast_id,
        choices.key,
        value,
        lambda: pick_choice(update, context, broadcast_id, choices=choices),
    )


async def pick_schools(update, context, broadcast_id: int, page: int) -> None:
    audience = await _audience(context, broadcast_id) or Audience()
    async with context.db.read() as conn:
        found, total = await store.schools_page(conn, page * SCHOOL_PAGE, SCHOOL_PAGE)
    pages = page_count(total, SCHOOL_PAGE)
    options = [
        (
            f"{s.name} · {s.district}",
            f"bc:st:{broadcast_id}:{s.id}:{page}",
            s.id in audience.schools,
        )
        for s in found
    ]
    extra = [paging_row(context.lang, f"bc:s:{broadcast_id}", page, pages)]
    await answer_query(update)
    await _picker(update, context, broadcast_id, "schools", options, extra)


async def toggle_school(update, context, broadcast_id: int, school_id: int, page: int) -> None:
    async with context.db.read() as conn:
        exists = await users_store.school(conn, school_id)
    if exists is None:
        await stale_button(update, context)
        return
    await _toggle(
        update,
        context,
        broadcast_id,
        "schools",
        school_id,
        lambda: pick_schools(update, context, broadcast_id, page),
    )


async def toggle_everyone(update, context, broadcast_id: int) -> None:
    """Everyone on means nothing else is chosen: the panel never shows two meanings."""
    audience = await _audience(context, broadcast_id)
    if audience is None:
        await stale_button(update, context)
        return
    chosen = Audience() if audience.everyone else Audience(everyone=True)
    if await _change(update, context, broadcast_id, audience=chosen.to_json()):
        await answer_query(update)
        await show_panel(update, context, broadcast_id)


async def toggle_urgent(update, context, broadcast_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.draft(conn, broadcast_id, context.user)
    if found is None:
        await stale_button(update, context)
        return
    if not await _change(update, context, broadcast_id, urgent=not found.urgent):
        return
    await answer_query(update)
    await show_panel(update, context, broadcast_id)


# ----- programme and session participants ----------------------------------------------------


async def pick_program(update, context, broadcast_id: int) -> None:
    """Staff type part of a title (there are thousands); a site picks one of its own."""
    await answer_query(update)
    back = [(label(context.lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")]
    clear = [(label(context.lang, "✕ No programme filter"), f"bc:fx:{broadcast_id}")]
    if context.user.role == Role.STAFF:
        await set_flow(context, "bc.find", {"b": broadcast_id})
        await reply(update, context, "broadcasts/ask_program", keyboard([clear, back]), edit=True)
        return
    async with context.db.read() as conn:
        found = await store.find_programs(conn, context.user, limit=30)
    rows = [[(p.title[:60], f"bc:fp:{broadcast_id}:{p.id}")] for p in found]
    await reply(
        update,
        context,
        "broadcasts/programs",
        keyboard([*rows, clear, back]),
        edit=True,
        programs=found,
        typed=None,
    )


@text_step("bc.find")
async def program_typed(update: Update, context: JinroContext) -> None:
    broadcast_id = context.user.flow_data.get("b")
    if await _audience(context, broadcast_id) is None:
        await _gone(update, context)
        return
    typed = " ".join(update.message.text.split())[:40]
    async with context.db.read() as conn:
        found = await store.find_programs(conn, context.user, typed)
    rows = [[(p.title[:60], f"bc:fp:{broadcast_id}:{p.id}")] for p in found]
    rows.append([(label(context.lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")])
    await reply(update, context, "broadcasts/programs", keyboard(rows), programs=found, typed=typed)


async def program_picked(update, context, broadcast_id: int, program_id: int) -> None:
    """The programme's sessions: one of them, or all of the programme."""
    async with context.db.read() as conn:
        program = await store.program_for(conn, program_id, context.user)
        found = await store.program_sessions(conn, program_id, now=context.now) if program else []
    if program is None or await _audience(context, broadcast_id) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    if context.user.flow != "bc.panel":
        await set_flow(context, "bc.panel", {"b": broadcast_id})
    lang, tz = context.lang, context.tz
    rows = [[(label(lang, "📚 Everyone on this programme"), f"bc:fa:{broadcast_id}:{program_id}")]]
    for s in found:
        when = s.starts_at.astimezone(tz).strftime("%m/%d %H:%M")
        text = f"📅 {when} · " + label(lang, "%(count)s students", count=s.students)
        rows.append([(text, f"bc:fs:{broadcast_id}:{s.id}")])
    rows.append([(label(lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")])
    await reply(
        update,
        context,
        "broadcasts/sessions",
        keyboard(rows),
        edit=True,
        program=program,
        sessions=found,
    )


async def program_chosen(update, context, broadcast_id: int, program_id: int) -> None:
    await _set_programme(update, context, broadcast_id, program=program_id, session=None)


async def session_chosen(update, context, broadcast_id: int, session_id: int) -> None:
    async with context.db.read() as conn:
        session = await store.session_for(conn, session_id, context.user)
    if session is None:
        await stale_button(update, context)
        return
    await _set_programme(
        update, context, broadcast_id, program=session.program_id, session=session_id
    )


async def programme_cleared(update, context, broadcast_id: int) -> None:
    await _set_programme(update, context, broadcast_id, program=None, session=None)


async def _set_programme(update, context, broadcast_id: int, **values) -> None:
    audience = await _audience(context, broadcast_id)
    if audience is None:
        await stale_button(update, context)
        return
    chosen = audience.but(everyone=False, **values)
    if await _change(update, context, broadcast_id, audience=chosen.to_json()):
        await answer_query(update)
        await show_panel(update, context, broadcast_id)


# ----- preview, new text, discard -------------------------------------------------------------


async def preview_pressed(update, context, broadcast_id: int) -> None:
    if await _audience(context, broadcast_id) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    if await _preview(update, context, broadcast_id):
        await show_panel(update, context, broadcast_id, edit=False)


async def change_text(update, context, broadcast_id: int) -> None:
    if await _audience(context, broadcast_id) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, "bc.text", {"b": broadcast_id})
    await reply(update, context, "broadcasts/ask_text", role=context.user.role, changing=True)


async def discard(update, context, broadcast_id: int) -> None:
    async with context.db.write() as conn:
        gone = await store.discard(conn, broadcast_id, context.user)
        if gone:
            context.user = await users_store.set_flow(conn, context.user.id, None)
    if not gone:
        await stale_button(update, context)
        return
    await answer_query(update)
    await reply(update, context, "broadcasts/discarded", edit=True)


# ----- when, and the last confirm -------------------------------------------------------------


async def send_now(update, context, broadcast_id: int) -> None:
    if await _audience(context, broadcast_id) is None:
        await stale_button(update, context)
        return
    async with context.db.write() as conn:
        await store.update_draft(conn, broadcast_id, context.user, scheduled_at=None)
    await _ask_confirm(update, context, broadcast_id, edit=True)


async def ask_when(update, context, broadcast_id: int) -> None:
    if await _audience(context, broadcast_id) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, "bc.when", {"b": broadcast_id})
    back = [[(label(context.lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")]]
    await reply(update, context, "broadcasts/ask_when", keyboard(back), edit=True, problem=None)


@text_step("bc.when")
async def when_typed(update: Update, context: JinroContext) -> None:
    broadcast_id = context.user.flow_data.get("b")
    if await _audience(context, broadcast_id) is None:
        await _gone(update, context)
        return
    now, tz = context.now, context.tz
    text = " ".join(update.message.text.split())
    try:
        moment = days.parse_moment(text, now.astimezone(tz).date(), tz)
        problem = "format" if moment is None else None
    except days.NotADay:
        moment, problem = None, "no_such_day"
    if moment is not None and moment <= now:
        problem = "past"
    elif moment is not None and moment > now + FURTHEST:
        problem = "far"
    if problem:
        await reply(update, context, "broadcasts/ask_when", problem=problem)
        return
    async with context.db.write() as conn:
        await store.update_draft(conn, broadcast_id, context.user, scheduled_at=moment)
    await _ask_confirm(update, context, broadcast_id, edit=False)


async def _ask_confirm(update, context, broadcast_id: int, *, edit: bool) -> None:
    view = await _draft_view(context, broadcast_id)
    if view is None:
        await _gone(update, context)
        return
    found, audience, counted, names = view
    if not counted.total:
        text = label(context.lang, "Nobody is in this audience yet. Choose who gets it first.")
        if update.callback_query is not None:
            await answer_query(update, text, alert=True)
            return
        await set_flow(context, "bc.panel", {"b": broadcast_id})
        await reply(update, context, "broadcasts/nobody")
        await show_panel(update, context, broadcast_id, edit=False)
        return
    await answer_query(update)
    await set_flow(context, "bc.sure", {"b": broadcast_id})
    lang = context.lang
    go = N_("✅ Schedule it") if found.scheduled_at else N_("✅ Send it now")
    rows = [
        [(label(lang, go), f"bc:y:{broadcast_id}")],
        [(label(lang, "◀ Back to the audience"), f"bc:p:{broadcast_id}")],
    ]
    await reply(
        update,
        context,
        "broadcasts/confirm",
        keyboard(rows),
        edit=edit,
        broadcast=found,
        audience=audience,
        names=names,
        count=counted,
        role=context.user.role,
        tz=context.tz,
    )


REFUSALS = {
    "nobody": N_("Nobody is in this audience any more. Choose who gets it."),
    "past": N_("The time you chose has passed. Choose when to send it again."),
}


async def confirm_pressed(update, context, broadcast_id: int) -> None:
    if context.user.flow != "bc.sure" or context.user.flow_data.get("b") != broadcast_id:
        await stale_button(update, context)
        return
    message = update.callback_query.message
    try:
        async with context.db.write() as conn:
            await store.confirm(conn, broadcast_id, context.user, now=context.now, tz=context.tz)
            # This very message becomes the progress message the clock edits.
            await store.set_progress(conn, broadcast_id, message.chat_id, message.message_id)
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except (NotFound, AlreadyHandled):
        await _gone(update, context)
        return
    except store.Refused as refused:
        await answer_query(update, label(context.lang, REFUSALS[refused.reason]), alert=True)
        await set_flow(context, "bc.panel", {"b": broadcast_id})
        await show_panel(update, context, broadcast_id)
        return
    await answer_query(update)
    await refresh_progress(context, broadcast_id)
    outbox.kick(context)  # a broadcast sent now starts now, not at the next tick


async def panel_pressed(update, context, broadcast_id: int) -> None:
    """Back to the panel (from a picker, the programme search, when or confirm)."""
    if await _audience(context, broadcast_id) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    if context.user.flow != "bc.panel":
        await set_flow(context, "bc.panel", {"b": broadcast_id})
    await show_panel(update, context, broadcast_id)


@text_step("bc.panel", "bc.sure")
async def button_expected(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")


# ----- routing the draft's buttons ------------------------------------------------------------

# action -> (handler, how many integer parts follow the draft's id)
DRAFT_BUTTONS = {
    "p": (panel_pressed, 0),
    "r": (functools.partial(pick_choice, choices=CHOICES["roles"]), 0),
    "rt": (functools.partial(toggle_choice, choices=CHOICES["roles"]), 1),
    "s": (pick_schools, 1),
    "st": (toggle_school, 2),
    "d": (functools.partial(pick_choice, choices=CHOICES["districts"]), 0),
    "dt": (functools.partial(toggle_choice, choices=CHOICES["districts"]), 1),
    "g": (functools.partial(pick_choice, choices=CHOICES["grades"]), 0),
    "gt": (functools.partial(toggle_choice, choices=CHOICES["grades"]), 1),
    "k": (functools.partial(pick_choice, choices=CHOICES["site_kinds"]), 0),
    "kt": (functools.partial(toggle_choice, choices=CHOICES["site_kinds"]), 1),
    "f": (pick_program, 0),
    "fp": (program_picked, 1),
    "fa": (program_chosen, 1),
    "fs": (session_chosen, 1),
    "fx": (programme_cleared, 0),
    "e": (toggle_everyone, 0),
    "u": (toggle_urgent, 0),
    "v": (preview_pressed, 0),
    "t": (change_text, 0),
    "n": (send_now, 0),
    "w": (ask_when, 0),
    "y": (confirm_pressed, 0),
    "x": (discard, 0),
}


def _allowed_action(action: str, role: str) -> bool:
    if action in STAFF_ONLY:
        return role == Role.STAFF
    if action in NOT_TEACHER:
        return role != Role.TEACHER
    if action in NOT_SITE:
        return role != Role.SITE
    return True


@requires(*store.AUTHORS)
async def on_draft_button(update: Update, context: JinroContext) -> None:
    """Only the user's current draft answers, and only the choices their role has."""
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    handler, count = DRAFT_BUTTONS.get(action, (None, 0))
    numbers = [int_part(parts, 2 + n) for n in range(count + 1)]
    user = context.user
    current = (user.flow or "").startswith("bc.") and user.flow_data.get("b") == numbers[0]
    if (
        handler is None
        or len(parts) != 3 + count
        or None in numbers
        or not current
        or not _may_broadcast(user)
        or not _allowed_action(action, user.role)
    ):
        await stale_button(update, context)
        return
    await handler(update, context, *numbers)


# ----- progress, the report, steering ---------------------------------------------------------


def _started(broadcast) -> datetime | None:
    moments = [m for m in (broadcast.confirmed_at, broadcast.scheduled_at) if m is not None]
    return max(moments) if moments else None


def _minutes_left(broadcast, figures, now: datetime) -> int | None:
    left = store.time_left(figures, _started(broadcast), now)
    return None if left is None else max(1, math.ceil(left.total_seconds() / 60))


def _steer_rows(lang: str, broadcast, figures) -> list:
    b, status = broadcast.id, broadcast.status
    rows = []
    if status in ("sending", "scheduled"):
        rows.append(
            [(label(lang, "⏸ Pause"), f"bl:ps:{b}"), (label(lang, "✖ Cancel"), f"bl:cx:{b}")]
        )
    elif status == "paused":
        rows.append(
            [(label(lang, "▶ Resume"), f"bl:rs:{b}"), (label(lang, "✖ Cancel"), f"bl:cx:{b}")]
        )
    if figures.undelivered and status in ("done", "cancelled"):
        rows.append([(label(lang, "📄 CSV of the undelivered"), f"bl:csv:{b}")])
    return rows


def progress_text(lang: str, broadcast, figures, tz, now: datetime) -> str:
    return render(
        "broadcasts/progress",
        lang,
        broadcast=broadcast,
        figures=figures,
        left=_minutes_left(broadcast, figures, now),
        tz=tz,
    )


# One progress edit at a time per broadcast in this process, each from figures read under
# the lock: else a tick that read "scheduled" just before a press paused it would edit after
# the press and show the old state until the next tick.
_PROGRESS_LOCKS: collections.defaultdict[int, asyncio.Lock] = collections.defaultdict(asyncio.Lock)


async def refresh_progress(context: JinroContext, broadcast_id: int) -> None:
    """Edit the progress message now (after a confirm or a press), not at the next tick."""
    async with _PROGRESS_LOCKS[broadcast_id]:
        now = context.now
        async with context.db.read() as conn:
            followed = await store.followed(conn, broadcast_id)
            found = await store.figures(conn, [broadcast_id], now=now)
        if followed:
            await _show_progress(context, followed[0], found[broadcast_id], now, force=True)


async def broadcast_tick(application) -> None:
    """The clock's step (every 5 s): scheduled broadcasts whose moment came start; each one
    sending or paused gets its progress message edited when its figures changed; one that
    finished gets its final report, once."""
    context = JinroContext(application)
    now = context.now
    async with context.db.write() as conn:
        await store.start_due(conn, now=now)
    async with context.db.read() as conn:
        followed = [b.id for b in await store.followed(conn)]
    for broadcast_id in followed:
        try:
            async with _PROGRESS_LOCKS[broadcast_id]:
                async with context.db.read() as conn:
                    broadcast = (await store.followed(conn, broadcast_id) or [None])[0]
                    found = await store.figures(conn, [broadcast_id], now=now)
                if broadcast is not None:
                    await _follow(context, broadcast, found[broadcast_id], now)
        except TelegramError as error:  # the author's chat, not the broadcast, failed
            log.warning("broadcast %s progress not shown: %s", broadcast_id, type(error).__name__)
        if broadcast is None or broadcast.status in ("done", "cancelled"):
            _PROGRESS_LOCKS.pop(broadcast_id, None)


def _needs_settling(broadcast, figures) -> bool:
    if broadcast.status == "sending":
        return not figures.waiting
    if broadcast.status == "paused":
        return bool(figures.pending)
    return broadcast.status == "cancelled" and bool(figures.pending or figures.held)


async def _follow(context: JinroContext, broadcast, figures, now: datetime) -> None:
    if _needs_settling(broadcast, figures):
        async with context.db.write() as conn:
            await store.settle(conn, broadcast.id, now=now)
        async with context.db.read() as conn:
            broadcast = (await store.followed(conn, broadcast.id))[0]
            figures = (await store.figures(conn, [broadcast.id], now=now))[broadcast.id]
    if broadcast.status in ("done", "cancelled"):
        if not figures.in_flight:
            await _report(context, broadcast, figures, now)
        return
    await _show_progress(context, broadcast, figures, now)


async def _show_progress(context, broadcast, figures, now: datetime, *, force=False) -> None:
    shown = figures.shown(broadcast.status)
    if broadcast.progress_message_id is None or (shown == broadcast.progress_shown and not force):
        return
    lang = broadcast.author_lang or "ko"
    text = progress_text(lang, broadcast, figures, context.tz, now)
    await _edit_progress(context, broadcast, text, keyboard(_steer_rows(lang, broadcast, figures)))
    async with context.db.write() as conn:
        await store.set_shown(conn, broadcast.id, shown)


async def _edit_progress(context: JinroContext, broadcast, text: str, markup) -> None:
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=broadcast.progress_chat_id,
            message_id=broadcast.progress_message_id,
            reply_markup=markup,
        )
    except BadRequest as error:
        if "not modified" in str(error).lower():
            return  # another process (or a press) showed the same already
        # The message was deleted: a new one carries on.
        log.info("progress message of broadcast %s replaced: %s", broadcast.id, error)
        sent = await context.bot.send_message(broadcast.progress_chat_id, text, reply_markup=markup)
        async with context.db.write() as conn:
            await store.set_progress(conn, broadcast.id, sent.chat_id, sent.message_id)
    except Forbidden:
        log.info("the author of broadcast %s blocked the bot", broadcast.id)


async def _report(context: JinroContext, broadcast, figures, now: datetime) -> None:
    """The progress message shows the end, and the author gets the report (once)."""
    async with context.db.write() as conn:
        if not await store.claim_report(conn, broadcast.id, figures, now=now):
            return
    if broadcast.progress_chat_id is None:
        return
    lang = broadcast.author_lang or "ko"
    markup = keyboard(_steer_rows(lang, broadcast, figures))
    text = progress_text(lang, broadcast, figures, context.tz, now)
    await _edit_progress(context, broadcast, text, None)
    report = render("broadcasts/report", lang, broadcast=broadcast, figures=figures)
    try:
        await context.bot.send_message(broadcast.progress_chat_id, report, reply_markup=markup)
    except Forbidden:
        log.info("the author of broadcast %s blocked the bot", broadcast.id)


# ----- /broadcasts and one broadcast ----------------------------------------------------------


@requires(*store.AUTHORS)
async def list_command(update: Update, context: JinroContext) -> None:
    if not _may_broadcast(context.user):
        await reply(update, context, "common/not_allowed")
        return
    await show_list(update, context, 0, edit=False)


async def show_list(update: Update, context: JinroContext, page: int, *, edit: bool = True):
    now = context.now
    async with context.db.read() as conn:
        found, total = await store.listing(
            conn, context.user, offset=page * LIST_PAGE, limit=LIST_PAGE
        )
        figures = await store.figures(conn, [b.id for b in found], now=now)
    pages = page_count(total, LIST_PAGE)
    if total and page >= pages:
        await show_list(update, context, pages - 1, edit=edit)
        return
    rows = [[(f"#{b.id} {snippet(b.text, 40)}"[:60], f"bl:o:{b.id}:{page}")] for b in found]
    rows.append(paging_row(context.lang, "bl:pg", page, pages))
    await reply(
        update,
        context,
        "broadcasts/list",
        keyboard(rows),
        edit=edit,
        broadcasts=[Listed(b, figures[b.id], snippet(b.text, 60)) for b in found],
        total=total,
        page=page + 1,
        pages=pages,
        tz=context.tz,
    )


@dataclass(frozen=True)
class Listed:
    broadcast: Row
    figures: store.Figures
    words: str


_TAG = re.compile(r"<[^>]+>")


def snippet(text_html: str, limit: int) -> str:
    """The plain words of a broadcast (tags dropped), for a list line or a button."""
    plain = " ".join(html.unescape(_TAG.sub("", text_html or "")).split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


async def show_detail(
    update: Update, context: JinroContext, broadcast_id: int, back: int = 0, *, answer=True
):
    """One broadcast with its figures and what can be done with it; `answer`: the press is
    not answered yet (after pause or resume it is)."""
    now = context.now
    async with context.db.read() as conn:
        found = await store.owned(conn, broadcast_id, context.user)
        if found is None:
            if answer:
                await stale_button(update, context)
            return
        figures = (await store.figures(conn, [broadcast_id], now=now))[broadcast_id]
        audience = Audience.from_json(found.audience)
        author = await users_store.get(conn, found.author_id) if found.author_id else None
        if author is not None and author.role == found.author_role and _may_broadcast(author):
            audience = store.limited(author, audience)
        names = await store.names(conn, audience, author or context.user)
    if answer:
        await answer_query(update)
    rows = _steer_rows(context.lang, found, figures)
    rows.append([(label(context.lang, "◀ Back to the list"), f"bl:pg:{back}")])
    await reply(
        update,
        context,
        "broadcasts/detail",
        keyboard(rows),
        edit=True,
        broadcast=found,
        figures=figures,
        audience=audience,
        names=names,
        text=snippet(found.text, 300),
        left=_minutes_left(found, figures, now),
        tz=context.tz,
    )


async def _steered(update, context, broadcast_id: int, step, done_msgid: str) -> None:
    """Pause or resume, then show the pressed message (progress or detail) anew."""
    try:
        async with context.db.write() as conn:
            await step(conn, broadcast_id, context.user, now=context.now)
    except NotFound:
        await stale_button(update, context)
        return
    except AlreadyHandled:
        said, alert = N_("It has changed meanwhile."), True
    else:
        said, alert = done_msgid, False
    # The message shows the new state before the press is answered: whoever waits for the
    # answer (a person, a test) then sees it.
    await _show_pressed(update, context, broadcast_id)
    await answer_query(update, label(context.lang, said), alert=alert)


async def _show_pressed(update: Update, context: JinroContext, broadcast_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.owned(conn, broadcast_id, context.user)
    message = update.callback_query.message
    if (
        found is not None
        and message is not None
        and message.message_id == found.progress_message_id
    ):
        await refresh_progress(context, broadcast_id)
    else:
        await show_detail(update, context, broadcast_id, answer=False)


async def pause_pressed(update, context, broadcast_id: int) -> None:
    await _steered(update, context, broadcast_id, store.pause, N_("Paused."))


async def resume_pressed(update, context, broadcast_id: int) -> None:
    await _steered(update, context, broadcast_id, store.resume, N_("Sending again."))


async def ask_cancel(update, context, broadcast_id: int) -> None:
    now = context.now
    async with context.db.read() as conn:
        found = await store.owned(conn, broadcast_id, context.user)
        figures = (await store.figures(conn, [broadcast_id], now=now)).get(broadcast_id)
    if found is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    lang = context.lang
    rows = [
        [(label(lang, "✖ Yes, cancel it"), f"bl:cy:{broadcast_id}")],
        [(label(lang, "◀ No, keep it"), f"bl:ck:{broadcast_id}")],
    ]
    await reply(
        update, context, "broadcasts/ask_cancel", keyboard(rows), broadcast=found, figures=figures
    )


async def cancel_pressed(update, context, broadcast_id: int) -> None:
    try:
        async with context.db.write() as conn:
            dropped = await store.cancel(conn, broadcast_id, context.user, now=context.now)
    except NotFound:
        await stale_button(update, context)
        return
    except AlreadyHandled:
        await answer_query(update, label(context.lang, "It has changed meanwhile."), alert=True)
        return
    await answer_query(update)
    await reply(update, context, "broadcasts/cancelled", edit=True, dropped=dropped)
    await refresh_progress(context, broadcast_id)


async def keep_pressed(update, context, broadcast_id: int) -> None:
    await answer_query(update)
    await reply(update, context, "broadcasts/kept", edit=True)


async def csv_pressed(update, context, broadcast_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.owned(conn, broadcast_id, context.user)
        rows = await store.undelivered(conn, broadcast_id) if found else []
    if found is None:
        await stale_button(update, context)
        return
    if not rows:
        text = label(context.lang, "Everyone got it: nobody to list.")
        await answer_query(update, text, alert=True)
        return
    await answer_query(update)
    async with context.db.write() as conn:
        await store.record_export(conn, broadcast_id, context.user, len(rows), now=context.now)
    content = undelivered_csv(context.lang, rows)
    name = f"broadcast-{broadcast_id}-undelivered.csv"
    caption = render("broadcasts/csv_caption", context.lang, broadcast=found, count=len(rows))
    await context.bot.send_document(
        update.effective_chat.id, InputFile(content, filename=name), caption=caption
    )


# The reasons a delivery fails (last_error: the dispatcher's words) in the user's language.
REASONS = {
    "Forbidden": N_("blocked the bot"),
    "BadRequest": N_("chat not found or message refused"),
    "chat not found": N_("chat not found"),
    "user is deactivated": N_("account deleted"),
    "wrong file identifier": N_("the photo or file is no longer at Telegram"),
    "can't parse entities": N_("formatting Telegram cannot read"),
    "message is too long": N_("message too long"),
    "cancelled": N_("cancelled before sending"),
}


def undelivered_csv(lang: str, rows) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Korean right."""
    out = io.StringIO()
    writer = csv.writer(out)
    headers = (N_("user id"), N_("role"), N_("school"), N_("reason"))
    writer.writerow([label(lang, h) for h in headers])
    for row in rows:
        reason = row.reason or row.status
        shown = label(lang, REASONS[reason]) if reason in REASONS else reason
        role = label(lang, ROLE_NAMES[row.role]) if row.role in ROLE_NAMES else row.role
        writer.writerow([row.user_id, role, row.school or "", shown])
    return out.getvalue().encode("utf-8-sig")


# action -> (handler, how many integer parts follow it)
STEER_BUTTONS = {
    "pg": (show_list, 1),
    "o": (show_detail, 2),
    "ps": (pause_pressed, 1),
    "rs": (resume_pressed, 1),
    "cx": (ask_cancel, 1),
    "cy": (cancel_pressed, 1),
    "ck": (keep_pressed, 1),
    "csv": (csv_pressed, 1),
}


@requires(*store.AUTHORS)
async def on_steer_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    handler, count = STEER_BUTTONS.get(parts[1] if len(parts) > 1 else "", (None, 0))
    numbers = [int_part(parts, 2 + n) for n in range(count)]
    if handler is None or len(parts) != 2 + count or None in numbers:
        await stale_button(update, context)
        return
    if handler is show_list:
        await answer_query(update)
    await handler(update, context, *numbers)


# ----- what the dispatcher sends --------------------------------------------------------------


async def delivery(conn, context: JinroContext, row, user):
    """One recipient's copy, checked when it is sent: while the broadcast is scheduled or
    sending it goes as the author wrote it; paused, it waits (held); cancelled or gone, it
    is skipped."""
    found = await store.for_delivery(conn, row.broadcast_id) if row.broadcast_id else None
    if found is None or found.status not in ("scheduled", "sending", "paused"):
        return None
    if found.status == "paused":
        return outbox.HOLD

    async def send(context: JinroContext, chat_id: int):
        return await send_copy(context, chat_id, found, paced=True)

    return outbox.Copy(send, urgent=found.urgent)


# The outbox kinds this area sends (handlers.reminders.add_kinds picks them up).
REMINDERS = {store.KIND: delivery}


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("broadcast", broadcast_command),
        CommandHandler("broadcasts", list_command),
        CallbackQueryHandler(on_draft_button, pattern=r"^bc:"),
        CallbackQueryHandler(on_steer_button, pattern=r"^bl:"),
    ]
