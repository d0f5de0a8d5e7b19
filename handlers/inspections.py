"""Site safety inspections in the chat (storage/inspections.py). Staff follow the year's
progress and give sites to parent monitors (/inspections) and keep the checklist
(/checklist); a monitor picks due sites of their district, fills the checklist item by item
(a result each, an optional photo and note) and gives the overall result. Staff, the
inspecting monitor and the site's own people open an inspection's details, photos too.
Also what the outbox sends about inspections (REMINDERS, KEYBOARDS).

Where a monitor is in an inspection is in the database (the items' answers and
users.flow), so /inspections carries on after a restart at the first unanswered item.

Flows (users.flow; data in users.flow_data):
    is.fill {"i", "p"}          filling inspection i at item p: a button is expected (a photo
                                is taken for the item too)
    is.att {"i", "p"}           a photo (with or without a caption) or a note for item p
    is.result {"i"}             every item answered: the overall result's button is expected
    is.note {"i", "r"}          an optional overall note for result r
    is.confirm {"i", "r", "n"}  the last confirm
    is.find                     staff type part of a site's name
    ck.add                      staff type a new checklist item
Callback data: is:h home. Staff: is:ln:P never inspected · is:lx:P running out · is:lo:P
open · is:lr recent · is:fd find a site · is:ps:S monitors for site S · is:as:S:M assign ·
is:c:I cancel? · is:cy:I cancel! Monitors: is:pl:P sites to pick · is:pk:S pick · is:st:I
start or go on · is:a:I:P:R item P's result (pass|fix|fail) · is:n:I:P photo or note ·
is:q:I:P show item P · is:sm:I the summary · is:r:I:R the result (passed|needs_fix|failed) ·
is:nn:I no note · is:f:I confirm. Viewers: is:v:I details · is:ph:I photos. The
checklist: ck:h · ck:t:ID on or off · ck:a add. Ids are never trusted: each press reloads
the inspection and checks who may act on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers import reminders as outbox
from handlers.common import (
    answer_query,
    callback_parts,
    file_step,
    int_part,
    keyboard,
    leave_flow,
    page_count,
    paging_row,
    reply,
    requires,
    set_flow,
    stale_button,
    text_step,
)
from messages import label
from messages.labels import N_
from storage import inspections as store
from storage import monitors as monitors_store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role
from storage.names import first_name

log = logging.getLogger(__name__)

PAGE = 8
MONITOR_BUTTONS = 12  # monitors offered for a site, its district's first
FIND_MAX = 60

# The default checklist's words, by key (storage.inspections.DEFAULT_ITEMS); an item staff
# typed is shown as written.
ITEM_NAMES = {
    "exits": N_("Emergency exits and evacuation plan"),
    "first_aid": N_("First-aid kit"),
    "insurance": N_("Insurance covering participants"),
    "hazards": N_("Hazardous equipment kept apart"),
    "briefing": N_("Safety briefing given to students"),
    "rest_area": N_("Toilets and a rest area"),
    "supervisor": N_("A supervising adult present"),
    "as_described": N_("Programme matches its description"),
}
ITEM_LABELS = {
    "pass": N_("✅ Pass"),
    "fix": N_("🔧 Needs fixing"),
    "fail": N_("❌ Fail"),
}
RESULT_LABELS = {
    "passed": N_("✅ Passed"),
    "needs_fix": N_("🔧 Needs fixing"),
    "failed": N_("❌ Failed"),
}
MARKS = {"passed": "✅", "needs_fix": "🔧", "failed": "❌"}


# ----- small helpers --------------------------------------------------------------------------


def item_name(lang: str, item) -> str:
    if item.key is not None:
        msgid = ITEM_NAMES.get(item.key)
        return label(lang, msgid) if msgid else item.key
    return item.text or ""


@dataclass(frozen=True)
class Line:
    """One checklist item as a message shows it."""

    number: int
    name: str
    result: str | None
    note: str | None
    photo: bool


def lines(lang: str, found) -> list[Line]:
    return [Line(i.position, item_name(lang, i), i.result, i.note, bool(i.photo)) for i in found]


def _today(context: JinroContext):
    return context.now.astimezone(context.tz).date()


async def _leave_flow(context: JinroContext) -> None:
    await leave_flow(context, "is.", "ck.")


def _flow_is(context: JinroContext, flow: str, inspection_id: int) -> bool:
    data = context.user.flow_data or {}
    return context.user.flow == flow and data.get("i") == inspection_id


def _who(row) -> str:
    """The monitor's given name (최은정 → 은정, 은정 → 은정)."""
    return first_name(row.monitor_name) or "?"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----- /inspections ---------------------------------------------------------------------------


@requires(Role.STAFF, Role.MONITOR)
async def inspections_command(update: Update, context: JinroContext) -> None:
    await _leave_flow(context)
    if context.user.role == Role.STAFF:
        await staff_home(update, context)
    else:
        await monitor_home(update, context, resume=True)


async def home_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    if context.user.role == Role.STAFF:
        await staff_home(update, context, edit=True)
    else:
        await monitor_home(update, context, edit=True)


async def staff_home(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        progress = await store.progress(conn, _today(context))
        last = await store.recent(conn, limit=10)
    lang = context.lang
    rows = [
        [(label(lang, "🆕 Never inspected (%(count)s)", count=progress.never), "is:ln:0")],
        [(label(lang, "⏰ Running out (%(count)s)", count=progress.expiring), "is:lx:0")],
        [(label(lang, "📋 Open inspections (%(count)s)", count=progress.open), "is:lo:0")],
        [(label(lang, "📄 Recent results"), "is:lr"), (label(lang, "🔎 Find a site"), "is:fd")],
        [(label(lang, "📝 Checklist"), "ck:h")],
    ]
    recent = [
        {"site": r.site_name, "result": r.result, "who": _who(r), "day": r.checked_on} for r in last
    ]
    await reply(
        update,
        context,
        "inspections/staff_home",
        keyboard(rows),
        edit=edit,
        progress=progress,
        recent=recent,
    )


async def monitor_home(
    update: Update, context: JinroContext, *, edit: bool = False, resume: bool = False
) -> None:
    user = context.user
    async with context.db.read() as conn:
        profile = await monitors_store.get(conn, user.id)
        open_ones, done = await store.monitor_desk(conn, user.id)
        pickable = 0
        if profile is not None:
            _, pickable = await store.to_pick(conn, profile.district, _today(context), limit=0)
    lang = context.lang
    rows = []
    for o in open_ones:
        if o.status == "in_progress":
            text = label(
                lang,
                "▶ Go on: %(site)s (%(done)s/%(total)s)",
                site=_short(o.site_name),
                done=o.answered,
                total=o.total,
            )
        else:
            text = label(lang, "📋 Start: %(site)s", site=_short(o.site_name))
        rows.append([(text, f"is:st:{o.id}")])
    if profile is not None:
        rows.append([(label(lang, "📋 Pick a site (%(count)s)", count=pickable), "is:pl:0")])
    for d in done:
        rows.append([(f"📄 {_short(d.site_name)} · {d.checked_on:%m/%d}", f"is:v:{d.id}")])
    await reply(
        update,
        context,
        "inspections/monitor_home",
        keyboard(rows),
        edit=edit,
        district=profile.district if profile else None,
        open_ones=[
            {"site": o.site_name, "status": o.status, "done": o.answered, "total": o.total}
            for o in open_ones
        ],
        pickable=pickable,
    )
    going = next((o for o in open_ones if o.status == "in_progress"), None)
    if resume and going is not None:
        await _go_on(update, context, going.id)


# ----- staff: lists, assigning, cancelling ----------------------------------------------------


async def _site_list(
    update: Update, context: JinroContext, which: str, page: int, *, answered: bool = False
) -> None:
    """never | expiring (staff: press a site to pick its monitor) | pick (a monitor's
    district: press to take it)."""
    today, lang = _today(context), context.lang
    district = None
    async with context.db.read() as conn:
        if which == "pick":
            profile = await monitors_store.get(conn, context.user.id)
            district = profile.district if profile is not None else None
        if which != "pick" or district is not None:
            found, total = await _sites(conn, which, district, today, page)
            pages = page_count(total, PAGE)
            if page >= pages:  # the list got shorter: its last page
                page = pages - 1
                found, total = await _sites(conn, which, district, today, page)
    if which == "pick" and district is None:
        await stale_button(update, context)
        return
    if not answered:
        await answer_query(update)
    prefix = {"pick": "is:pl", "never": "is:ln", "expiring": "is:lx"}[which]
    press = "is:pk" if which == "pick" else "is:ps"
    rows = []
    for site in found:
        text = f"{_short(site.name)} ({site.district})"
        if site.open_monitor is not None:
            text = f"📋 {text}"
        rows.append([(text, f"{press}:{site.id}")])
    rows.append(paging_row(lang, prefix, page, pages))
    rows.append([(label(lang, "◀ Inspections"), "is:h")])
    await reply(
        update,
        context,
        "inspections/sites",
        keyboard(rows),
        edit=True,
        which=which,
        sites=found,
        total=total,
        page=page + 1,
        pages=pages,
        district=district,
        today=today,
    )


async def _sites(conn, which: str, district: str | None, today, page: int):
    offset = page * PAGE
    if which == "pick":
        return await store.to_pick(conn, district, today, offset=offset, limit=PAGE)
    if which == "never":
        return await store.never_inspected(conn, offset=offset, limit=PAGE)
    return await store.expiring(conn, today, offset=offset, limit=PAGE)


async def never_list(update: Update, context: JinroContext, page: int) -> None:
    await _site_list(update, context, "never", page)


async def expiring_list(update: Update, context: JinroContext, page: int) -> None:
    await _site_list(update, context, "expiring", page)


async def pick_list(update: Update, context: JinroContext, page: int) -> None:
    await _leave_flow(context)
    await _site_list(update, context, "pick", page)


async def open_page(update: Update, context: JinroContext, page: int) -> None:
    async with context.db.read() as conn:
        found, total = await store.open_list(conn, offset=page * PAGE, limit=PAGE)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            (
                f"{_short(o.site_name, 30)} · {_who(o)} · {o.answered}/{o.total}"
                if o.status == "in_progress"
                else f"{_short(o.site_name, 30)} · {_who(o)}",
                f"is:v:{o.id}",
            )
        ]
        for o in found
    ]
    pages = page_count(total, PAGE)
    rows.append(paging_row(lang, "is:lo", page, pages))
    rows.append([(label(lang, "◀ Inspections"), "is:h")])
    await reply(
        update,
        context,
        "inspections/open",
        keyboard(rows),
        edit=True,
        inspections=[
            {
                "site": o.site_name,
                "who": _who(o),
                "status": o.status,
                "done": o.answered,
                "total": o.total,
            }
            for o in found
        ],
        total=total,
        page=page + 1,
        pages=pages,
    )


async def recent_list(update: Update, context: JinroContext) -> None:
    async with context.db.read() as conn:
        found = await store.recent(conn, limit=10)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            (
                f"{MARKS.get(r.result, '')} {_short(r.site_name, 30)} · "
                f"{r.checked_on:%m/%d} · {_who(r)}",
                f"is:v:{r.id}",
            )
        ]
        for r in found
    ]
    rows.append([(label(lang, "◀ Inspections"), "is:h")])
    await reply(update, context, "inspections/recent", keyboard(rows), edit=True, count=len(found))


async def ask_find(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "is.find")
    rows = [[(label(context.lang, "◀ Inspections"), "is:h")]]
    await reply(update, context, "inspections/ask_find", keyboard(rows), problem=None, typed=None)


@text_step("is.find")
async def find_typed(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())[:FIND_MAX]
    async with context.db.read() as conn:
        found = await users_store.find_sites(conn, text) if text else []
    lang = context.lang
    rows = [[(f"{_short(s.name)} ({s.district})", f"is:ps:{s.id}")] for s in found]
    rows.append([(label(lang, "◀ Inspections"), "is:h")])
    await reply(
        update,
        context,
        "inspections/ask_find",
        keyboard(rows),
        problem=None if found else "none",
        typed=text,
    )


async def choose_monitor(
    update: Update, context: JinroContext, site_id: int, *, answered: bool = False
) -> None:
    async with context.db.read() as conn:
        site, people = await store.monitors_for(conn, site_id)
        current = await store.open_of_site(conn, site_id) if site is not None else None
    if site is None:
        await stale_button(update, context)
        return
    if not answered:
        await answer_query(update)
    await _leave_flow(context)
    lang = context.lang
    rows = []
    if current is None:
        rows = [
            [(f"{p.name} ({p.district})", f"is:as:{site_id}:{p.id}")]
            for p in people[:MONITOR_BUTTONS]
        ]
    else:
        rows.append([(label(lang, "📄 The open inspection"), f"is:v:{current.id}")])
    rows.append([(label(lang, "◀ Inspections"), "is:h")])
    await reply(
        update,
        context,
        "inspections/choose_monitor",
        keyboard(rows),
        edit=update.callback_query is not None,
        site=site,
        current={"who": current.monitor_name, "status": current.status} if current else None,
        count=len(people),
    )


async def assign_pressed(update: Update, context: JinroContext, site_id: int, monitor_id: int):
    try:
        async with context.db.write() as conn:
            inspection_id = await store.assign(
                conn, site_id, monitor_id, context.user.id, now=context.now
            )
            found = await store.view(conn, inspection_id)
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused:
        await answer_query(
            update, label(context.lang, "This site already has an open inspection."), alert=True
        )
        await choose_monitor(update, context, site_id, answered=True)
        return
    await answer_query(update)
    outbox.kick(context)  # the monitor hears of it
    rows = [
        [(label(context.lang, "🆕 Never inspected"), "is:ln:0")],
        [(label(context.lang, "◀ Inspections"), "is:h")],
    ]
    await reply(
        update,
        context,
        "inspections/assigned",
        keyboard(rows),
        edit=True,
        site=found.site_name,
        who=found.monitor_name,
    )


async def ask_cancel(update: Update, context: JinroContext, inspection_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.view(conn, inspection_id)
    if found is None or found.status not in store.OPEN:
        await stale_button(update, context)
        return
    await answer_query(update)
    lang = context.lang
    rows = [
        [(label(lang, "✖ Yes, cancel it"), f"is:cy:{inspection_id}")],
        [(label(lang, "◀ No, keep the inspection"), f"is:v:{inspection_id}")],
    ]
    await reply(
        update, context, "inspections/ask_cancel", keyboard(rows), edit=True, inspection=found
    )


async def cancel_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.cancel(conn, inspection_id, context.user.id, now=context.now)
            found = await store.view(conn, inspection_id)
    except (NotFound, AlreadyHandled):
        await stale_button(update, context)
        return
    await answer_query(update)
    outbox.kick(context)  # the monitor hears
    rows = [[(label(context.lang, "◀ Inspections"), "is:h")]]
    await reply(
        update, context, "inspections/cancelled", keyboard(rows), edit=True, inspection=found
    )


# ----- monitors: picking, starting, filling ---------------------------------------------------


async def pick_pressed(update: Update, context: JinroContext, site_id: int) -> None:
    lang = context.lang
    try:
        async with context.db.write() as conn:
            inspection_id = await store.pick(conn, site_id, context.user.id, now=context.now)
            found = await store.view(conn, inspection_id)
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused as refused:
        text = (
            N_("Another monitor has just taken this site.")
            if refused.reason == "open"
            else N_("This site does not need an inspection now.")
        )
        await answer_query(update, label(lang, text), alert=True)
        await _site_list(update, context, "pick", 0, answered=True)
        return
    await answer_query(update)
    rows = [
        [(label(lang, "▶ Start the inspection"), f"is:st:{inspection_id}")],
        [(label(lang, "◀ My inspections"), "is:h")],
    ]
    await reply(
        update, context, "inspections/picked", keyboard(rows), edit=True, site=found.site_name
    )


async def start_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.start(conn, inspection_id, context.user.id, now=context.now)
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused:
        await answer_query(update)
        await reply(update, context, "inspections/empty")
        return
    await answer_query(update)
    await _go_on(update, context, inspection_id)


async def _go_on(update: Update, context: JinroContext, inspection_id: int) -> None:
    """The first unanswered item as a new message, or the summary when all are answered."""
    async with context.db.read() as conn:
        position = await store.next_position(conn, inspection_id)
    if position is None:
        await show_summary(update, context, inspection_id)
    else:
        await show_item(update, context, inspection_id, position)


async def show_item(
    update: Update,
    context: JinroContext,
    inspection_id: int,
    position: int,
    *,
    edit: bool = False,
    saved: str | None = None,
    flow: str = "is.fill",
) -> None:
    """One item with its three results, 📎 photo or note, and ◀ back; the monitor is then
    in `flow` on it (is.att after an attachment: more may follow)."""
    async with context.db.read() as conn:
        found = await store.view(conn, inspection_id)
        all_items = await store.inspection_items(conn, inspection_id)
    item = next((i for i in all_items if i.position == position), None)
    if found is None or item is None:
        await reply(update, context, "inspections/gone")
        return
    await set_flow(context, flow, {"i": inspection_id, "p": position})
    lang = context.lang
    rows = [
        [
            (label(lang, ITEM_LABELS[code]), f"is:a:{inspection_id}:{position}:{code}")
            for code in store.ITEM_RESULTS
        ],
        [(label(lang, "📎 Photo or note"), f"is:n:{inspection_id}:{position}")],
    ]
    moves = []
    if position > 1:
        moves.append((label(lang, "◀ Previous item"), f"is:q:{inspection_id}:{position - 1}"))
    if all(i.result is not None for i in all_items):
        moves.append((label(lang, "📋 Summary"), f"is:sm:{inspection_id}"))
    rows.append(moves)
    await reply(
        update,
        context,
        "inspections/item",
        keyboard(rows),
        edit=edit,
        site=found.site_name,
        item=lines(lang, [item])[0],
        count=len(all_items),
        saved=saved,
    )


async def answer_pressed(
    update: Update, context: JinroContext, inspection_id: int, position: int, result: str
) -> None:
    try:
        async with context.db.write() as conn:
            following = await store.answer(conn, inspection_id, context.user.id, position, result)
            all_items = await store.inspection_items(conn, inspection_id)
            found = await store.view(conn, inspection_id)
    except NotFound:
        await stale_button(update, context)
        return
    item = next(i for i in all_items if i.position == position)
    # The item's message keeps what was answered, without buttons; the next comes below.
    await reply(
        update,
        context,
        "inspections/item_done",
        edit=True,
        site=found.site_name,
        item=lines(context.lang, [item])[0],
        count=len(all_items),
    )
    if following is None:
        await show_summary(update, context, inspection_id)
    else:
        await show_item(update, context, inspection_id, following)
    # Answered last: whoever waits for the answer (a person, a test) sees the next item.
    await answer_query(update)


async def _still_filling(context: JinroContext, inspection_id: int, position: int | None = None):
    """The inspection while this monitor fills it (and the item exists), else None."""
    async with context.db.read() as conn:
        try:
            found = await store.mine(conn, inspection_id, context.user.id, ("in_progress",))
        except NotFound:
            return None
        if position is not None:
            positions = {i.position for i in await store.inspection_items(conn, inspection_id)}
            if position not in positions:
                return None
    return found


async def attach_pressed(
    update: Update, context: JinroContext, inspection_id: int, position: int
) -> None:
    if await _still_filling(context, inspection_id, position) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, "is.att", {"i": inspection_id, "p": position})
    rows = [[(label(context.lang, "◀ Back to the item"), f"is:q:{inspection_id}:{position}")]]
    await reply(
        update,
        context,
        "inspections/ask_attachment",
        keyboard(rows),
        limit=store.NOTE_MAX,
        problem=None,
    )


async def back_pressed(
    update: Update, context: JinroContext, inspection_id: int, position: int
) -> None:
    if await _still_filling(context, inspection_id, position) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await show_item(update, context, inspection_id, position, edit=True)


@text_step("is.att")
async def note_typed(update: Update, context: JinroContext) -> None:
    note = " ".join(update.message.text.split())
    if len(note) > store.NOTE_MAX:
        await reply(
            update,
            context,
            "inspections/ask_attachment",
            limit=store.NOTE_MAX,
            problem="too_long",
            length=len(note),
        )
        return
    await _attach(update, context, note=note)


@file_step("is.att", "is.fill")
async def photo_sent(update: Update, context: JinroContext) -> None:
    """A photo for the item at hand (its caption becomes the note); other files are not
    photos, and are refused kindly."""
    message = update.message
    if not message.photo and context.user.flow == "is.fill":
        # A sticker or a file while the item's buttons are shown: as for typed words there.
        await fill_expecting_button(update, context)
        return
    if not message.photo:
        await reply(
            update,
            context,
            "inspections/ask_attachment",
            limit=store.NOTE_MAX,
            problem="photo_only",
        )
        return
    caption = " ".join((message.caption or "").split())
    if len(caption) > store.NOTE_MAX:
        await reply(
            update,
            context,
            "inspections/ask_attachment",
            limit=store.NOTE_MAX,
            problem="too_long",
            length=len(caption),
        )
        return
    await _attach(update, context, note=caption or None, photo=message.photo[-1].file_id)


async def _attach(update: Update, context: JinroContext, *, note=None, photo=None) -> None:
    data = context.user.flow_data or {}
    inspection_id, position = data.get("i"), data.get("p")
    try:
        async with context.db.write() as conn:
            await store.attach(
                conn, inspection_id or 0, context.user.id, position or 0, note=note, photo=photo
            )
    except NotFound:
        await set_flow(context, None)
        await reply(update, context, "inspections/gone")
        return
    saved = "photo" if photo else "note"
    await show_item(update, context, inspection_id, position, saved=saved, flow="is.att")


@text_step("is.fill")
async def fill_expecting_button(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data or {}
    await reply(update, context, "common/press_button")
    if await _still_filling(context, data.get("i") or 0, data.get("p") or 0) is None:
        await set_flow(context, None)
        return
    await show_item(update, context, data["i"], data["p"])


# ----- the overall result ---------------------------------------------------------------------


async def show_summary(
    update: Update, context: JinroContext, inspection_id: int, *, edit: bool = False
) -> None:
    """Every item with its mark and note, the result they suggest, and the three results
    to choose from (all three always: the monitor decides)."""
    async with context.db.read() as conn:
        found = await store.view(conn, inspection_id)
        all_items = await store.inspection_items(conn, inspection_id)
    if found is None or found.status != "in_progress":
        await reply(update, context, "inspections/gone")
        return
    await set_flow(context, "is.result", {"i": inspection_id})
    lang = context.lang
    rows = [
        [(label(lang, RESULT_LABELS[code]), f"is:r:{inspection_id}:{code}")]
        for code in store.RESULTS
    ]
    rows.append([(label(lang, "◀ Change an item"), f"is:q:{inspection_id}:{len(all_items) or 1}")])
    await reply(
        update,
        context,
        "inspections/summary",
        keyboard(rows),
        edit=edit,
        site=found.site_name,
        items=lines(lang, all_items),
        suggestion=store.suggested([i.result for i in all_items]),
    )


async def summary_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    if await _still_filling(context, inspection_id) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    async with context.db.read() as conn:
        position = await store.next_position(conn, inspection_id)
    if position is not None:
        await show_item(update, context, inspection_id, position, edit=True)
        return
    await show_summary(update, context, inspection_id, edit=True)


async def result_pressed(
    update: Update, context: JinroContext, inspection_id: int, result: str
) -> None:
    if await _still_filling(context, inspection_id) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    async with context.db.read() as conn:
        position = await store.next_position(conn, inspection_id)
    if position is not None:  # an item was left (an old summary): answer it first
        await show_item(update, context, inspection_id, position)
        return
    await set_flow(context, "is.note", {"i": inspection_id, "r": result})
    lang = context.lang
    rows = [
        [(label(lang, "Without a note"), f"is:nn:{inspection_id}")],
        [(label(lang, "◀ Choose again"), f"is:sm:{inspection_id}")],
    ]
    await reply(
        update,
        context,
        "inspections/ask_note",
        keyboard(rows),
        result=result,
        limit=store.NOTE_MAX,
        length=None,
    )


@text_step("is.note")
async def overall_note_typed(update: Update, context: JinroContext) -> None:
    note = " ".join(update.message.text.split())
    data = context.user.flow_data or {}
    if len(note) > store.NOTE_MAX:
        await reply(
            update,
            context,
            "inspections/ask_note",
            result=data.get("r"),
            limit=store.NOTE_MAX,
            length=len(note),
        )
        return
    await show_confirm(update, context, data.get("i") or 0, data.get("r"), note)


async def no_note(update: Update, context: JinroContext, inspection_id: int) -> None:
    if not _flow_is(context, "is.note", inspection_id):
        await stale_button(update, context)
        return
    await answer_query(update)
    await show_confirm(update, context, inspection_id, context.user.flow_data.get("r"), None)


async def show_confirm(
    update: Update, context: JinroContext, inspection_id: int, result, note: str | None
) -> None:
    if result not in store.RESULTS or await _still_filling(context, inspection_id) is None:
        await set_flow(context, None)
        await reply(update, context, "inspections/gone")
        return
    async with context.db.read() as conn:
        found = await store.view(conn, inspection_id)
        all_items = await store.inspection_items(conn, inspection_id)
    await set_flow(context, "is.confirm", {"i": inspection_id, "r": result, "n": note})
    lang = context.lang
    rows = [
        [(label(lang, "✅ Confirm the result"), f"is:f:{inspection_id}")],
        [(label(lang, "◀ Choose again"), f"is:sm:{inspection_id}")],
    ]
    await reply(
        update,
        context,
        "inspections/confirm",
        keyboard(rows),
        edit=update.callback_query is not None,
        site=found.site_name,
        result=result,
        note=note,
        suggestion=store.suggested([i.result for i in all_items]),
        items=lines(lang, all_items),
        days=context.settings.safety_valid_days,
    )


@text_step("is.result", "is.confirm")
async def result_expecting_button(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data or {}
    await reply(update, context, "common/press_button")
    if context.user.flow == "is.confirm":
        await show_confirm(update, context, data.get("i") or 0, data.get("r"), data.get("n"))
    elif await _still_filling(context, data.get("i") or 0) is not None:
        await show_summary(update, context, data["i"])
    else:
        await set_flow(context, None)


async def confirm_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    if not _flow_is(context, "is.confirm", inspection_id):
        await stale_button(update, context)
        return
    data = context.user.flow_data
    await answer_query(update)  # first: the rest is one transaction
    try:
        async with context.db.write() as conn:
            finished = await store.finish(
                conn,
                inspection_id,
                context.user.id,
                data.get("r"),
                data.get("n"),
                context.now,
                context.settings.safety_valid_days,
                tz=context.tz,
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except (NotFound, AlreadyHandled):
        await set_flow(context, None)
        await reply(update, context, "inspections/gone")
        return
    except store.Refused:  # an item without its answer: back to it
        await _go_on(update, context, inspection_id)
        return
    outbox.kick(context)  # the site, and for a failure staff and teachers, at once
    lang = context.lang
    rows = [
        [(label(lang, "📄 See the result"), f"is:v:{inspection_id}")],
        [(label(lang, "◀ My inspections"), "is:h")],
    ]
    await reply(
        update,
        context,
        "inspections/finished",
        keyboard(rows),
        edit=True,
        inspection=finished.inspection,
        told=finished.told,
    )


# ----- details and photos ---------------------------------------------------------------------


async def detail(update: Update, context: JinroContext, inspection_id: int) -> None:
    try:
        async with context.db.read() as conn:
            found = await store.for_viewer(conn, inspection_id, context.user)
            all_items = await store.inspection_items(conn, inspection_id)
    except NotFound:
        await stale_button(update, context)
        return
    await answer_query(update)
    lang, role = context.lang, context.user.role
    rows = []
    photos = sum(1 for i in all_items if i.photo)
    if photos:
        rows.append(
            [(label(lang, "📷 Photos (%(count)s)", count=photos), f"is:ph:{inspection_id}")]
        )
    if role == Role.STAFF and found.status in store.OPEN:
        rows.append([(label(lang, "✖ Cancel the inspection"), f"is:c:{inspection_id}")])
    if role == Role.MONITOR and found.status in store.OPEN:
        rows.append([(label(lang, "▶ Go on"), f"is:st:{inspection_id}")])
    if role in (Role.STAFF, Role.MONITOR):
        rows.append([(label(lang, "◀ Inspections"), "is:h")])
    await reply(
        update,
        context,
        "inspections/detail",
        keyboard(rows),
        inspection=found,
        who=_who(found),
        items=lines(lang, all_items),
    )


async def photos_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    """Each item's photo again, by its file_id (never downloaded), with the item's words."""
    try:
        async with context.db.read() as conn:
            await store.for_viewer(conn, inspection_id, context.user)
            all_items = await store.inspection_items(conn, inspection_id)
    except NotFound:
        await stale_button(update, context)
        return
    await answer_query(update)
    shown = [i for i in all_items if i.photo]
    lang = context.lang
    for line, item in zip(lines(lang, shown), shown, strict=True):
        caption = f"{line.number}/{len(all_items)} {line.name}"
        if line.note:
            caption += f"\n{line.note}"
        try:
            await context.bot.send_photo(
                update.effective_chat.id, item.photo, caption=caption[:1024], parse_mode=None
            )
        except BadRequest as error:  # Telegram no longer has it
            log.info("an inspection photo could not be sent: %s", type(error).__name__)
    if not shown:
        await reply(update, context, "inspections/gone")


# ----- /checklist -----------------------------------------------------------------------------


@requires(Role.STAFF)
async def checklist_command(update: Update, context: JinroContext) -> None:
    await _leave_flow(context)
    await show_checklist(update, context)


async def show_checklist(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        found = await store.checklist_items(conn)
    lang = context.lang
    rows = [
        [(("✅ " if i.active else "⬜ ") + _short(item_name(lang, i), 50), f"ck:t:{i.id}")]
        for i in found
    ]
    rows.append([(label(lang, "➕ Add an item"), "ck:a")])
    rows.append([(label(lang, "◀ Inspections"), "is:h")])
    await reply(
        update,
        context,
        "inspections/checklist",
        keyboard(rows),
        edit=edit,
        items=[{"name": item_name(lang, i), "active": i.active} for i in found],
    )


async def toggle_pressed(update: Update, context: JinroContext, item_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.toggle_item(conn, item_id, context.user.id, now=context.now)
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused:
        await answer_query(
            update, label(context.lang, "Keep at least one item on the checklist."), alert=True
        )
        return
    await answer_query(update)
    await show_checklist(update, context, edit=True)


async def add_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "ck.add")
    rows = [[(label(context.lang, "◀ Checklist"), "ck:h")]]
    await reply(
        update,
        context,
        "inspections/ask_item",
        keyboard(rows),
        limit=store.ITEM_TEXT_MAX,
        length=None,
    )


@text_step("ck.add")
async def item_typed(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())
    if not 2 <= len(text) <= store.ITEM_TEXT_MAX:
        await reply(
            update, context, "inspections/ask_item", limit=store.ITEM_TEXT_MAX, length=len(text)
        )
        return
    async with context.db.write() as conn:
        await store.add_item(conn, text, context.user.id, now=context.now)
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await show_checklist(update, context)


async def checklist_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_checklist(update, context, edit=True)


# ----- routing --------------------------------------------------------------------------------

# action -> (handler, how many integer parts follow it, roles that may press it)
STAFF, MONITOR, VIEWERS = (Role.STAFF,), (Role.MONITOR,), (Role.STAFF, Role.MONITOR, Role.SITE)
BUTTONS = {
    "h": (home_pressed, 0, (Role.STAFF, Role.MONITOR)),
    "ln": (never_list, 1, STAFF),
    "lx": (expiring_list, 1, STAFF),
    "lo": (open_page, 1, STAFF),
    "lr": (recent_list, 0, STAFF),
    "fd": (ask_find, 0, STAFF),
    "ps": (choose_monitor, 1, STAFF),
    "as": (assign_pressed, 2, STAFF),
    "c": (ask_cancel, 1, STAFF),
    "cy": (cancel_pressed, 1, STAFF),
    "pl": (pick_list, 1, MONITOR),
    "pk": (pick_pressed, 1, MONITOR),
    "st": (start_pressed, 1, MONITOR),
    "n": (attach_pressed, 2, MONITOR),
    "q": (back_pressed, 2, MONITOR),
    "sm": (summary_pressed, 1, MONITOR),
    "nn": (no_note, 1, MONITOR),
    "f": (confirm_pressed, 1, MONITOR),
    "v": (detail, 1, VIEWERS),
    "ph": (photos_pressed, 1, VIEWERS),
}
# Actions whose last part is a word: (how many integer parts before it, the words, roles).
WORD_BUTTONS = {
    "a": (answer_pressed, 2, store.ITEM_RESULTS, MONITOR),
    "r": (result_pressed, 1, store.RESULTS, MONITOR),
}


async def on_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    role = context.user.role if context.user is not None else None
    if action in WORD_BUTTONS:
        handler, count, words, roles = WORD_BUTTONS[action]
        numbers = [int_part(parts, 2 + n) for n in range(count)]
        if (
            len(parts) != 3 + count
            or None in numbers
            or parts[-1] not in words
            or role not in roles
        ):
            await stale_button(update, context)
            return
        await handler(update, context, *numbers, parts[-1])
        return
    handler, count, roles = BUTTONS.get(action, (None, 0, ()))
    numbers = [int_part(parts, 2 + n) for n in range(count)]
    if handler is None or len(parts) != 2 + count or None in numbers or role not in roles:
        await stale_button(update, context)
        return
    await handler(update, context, *numbers)


@requires(Role.STAFF)
async def on_checklist_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if parts == ["ck", "h"]:
        await checklist_pressed(update, context)
    elif parts == ["ck", "a"]:
        await add_pressed(update, context)
    elif len(parts) == 3 and parts[1] == "t" and int_part(parts, 2) is not None:
        await toggle_pressed(update, context, int_part(parts, 2))
    else:
        await stale_button(update, context)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("inspections", inspections_command),
        CommandHandler("checklist", checklist_command),
        CallbackQueryHandler(on_button, pattern=r"^is:"),
        CallbackQueryHandler(on_checklist_button, pattern=r"^ck:"),
    ]


# ----- what the outbox says (handlers/reminders.py composes each row by its kind) -------------


async def _inspection(conn, row, *statuses):
    found = await store.view(conn, row.inspection_id) if row.inspection_id else None
    return found if found is not None and found.status in statuses else None


def _problems(lang: str, all_items) -> list[Line]:
    """The items that need fixing or failed, as lines."""
    return [line for line in lines(lang, all_items) if line.result in ("fix", "fail")]


async def _assigned(conn, context, row, user):
    found = await _inspection(conn, row, "assigned")
    if found is None or found.monitor_id != user.id:
        return None  # started, or called off, meanwhile
    return "inspections/news", {"news": "assigned", "inspection": found, "items": [], "who": ""}


async def _cancelled(conn, context, row, user):
    found = await _inspection(conn, row, "cancelled")
    if found is None or found.monitor_id != user.id:
        return None
    return "inspections/news", {"news": "cancelled", "inspection": found, "items": [], "who": ""}


async def _result(conn, context, row, user):
    """The site's people: their result, with what to fix."""
    found = await _inspection(conn, row, "done")
    if found is None or user.role != Role.SITE or user.site_id != found.site_id:
        return None
    problems = _problems(user.lang, await store.inspection_items(conn, found.id))
    return "inspections/news", {
        "news": "result",
        "inspection": found,
        "items": problems,
        "who": _who(found),
    }


async def _failed_staff(conn, context, row, user):
    found = await _inspection(conn, row, "done")
    if found is None or found.result != "failed" or user.role != Role.STAFF:
        return None
    problems = _problems(user.lang, await store.inspection_items(conn, found.id))
    booked = await store.upcoming_bookings(conn, found.site_id, context.now)
    return "inspections/news", {
        "news": "failed_staff",
        "inspection": found,
        "items": problems,
        "count": booked,
        "who": _who(found),
    }


async def _failed_teacher(conn, context, row, user):
    """A teacher whose students are booked at the site: the sessions, so they can decide."""
    found = await _inspection(conn, row, "done")
    if found is None or found.result != "failed" or user.role != Role.TEACHER:
        return None
    booked = await store.teacher_sessions(conn, found.site_id, user.id, context.now)
    if not booked:
        return None  # their students' bookings there are over
    return "inspections/news", {
        "news": "failed_teacher",
        "inspection": found,
        "items": [],
        "who": _who(found),
        "sessions": [{"session": s, "count": n} for s, n in booked],
    }


def _follow_up(news: str, *roles: Role):
    async def compose(conn, context, row, user):
        found = await _inspection(conn, row, "done")
        if found is None or user.role not in roles or await store.superseded(conn, found):
            return None  # inspected again since, or the status changed
        if user.role == Role.SITE and user.site_id != found.site_id:
            return None
        if user.role == Role.MONITOR and found.monitor_id != user.id:
            return None
        return "inspections/news", {
            "news": news,
            "inspection": found,
            "items": [],
            "who": _who(found),
        }

    return compose


REMINDERS = {
    "inspection_assigned": _assigned,
    "inspection_cancelled": _cancelled,
    "inspection_result": _result,
    "inspection_failed_staff": _failed_staff,
    "inspection_failed_teacher": _failed_teacher,
    "inspection_recheck": _follow_up("recheck", Role.MONITOR),
    "inspection_recheck_staff": _follow_up("recheck_staff", Role.STAFF),
    "inspection_expiry": _follow_up("expiry", Role.SITE),
    "inspection_expiry_staff": _follow_up("expiry_staff", Role.STAFF),
}


def _site_button(text: str, action: str):
    def build(row, lang: str):
        if not (row.detail or "").isdigit():
            return None
        return keyboard([[(label(lang, text), f"is:{action}:{row.detail}")]])

    return build


def _see(row, lang: str):
    return keyboard([[(label(lang, "📄 See the result"), f"is:v:{row.inspection_id}")]])


KEYBOARDS = {
    "inspection_assigned": lambda row, lang: keyboard(
        [[(label(lang, "▶ Start the inspection"), f"is:st:{row.inspection_id}")]]
    ),
    "inspection_result": _see,
    "inspection_failed_staff": _see,
    "inspection_recheck": _site_button("📋 Take the re-inspection", "pk"),
    "inspection_recheck_staff": _site_button("👤 Assign a monitor", "ps"),
    "inspection_expiry": _see,
    "inspection_expiry_staff": _site_button("👤 Assign a monitor", "ps"),
}
