"""Staff: open inspections, recent results, finding a site, giving it to a monitor, and
cancelling an open inspection."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import (
    answer_query,
    fetch_page,
    keyboard,
    reply,
    reply_page,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.days import short
from handlers.inspections.buttons import (
    ASSIGN,
    CANCEL,
    CANCEL_NOW,
    DETAIL,
    FIND,
    HOME,
    NEVER,
    OPEN,
    RECENT,
    SITE,
)
from handlers.inspections.common import PAGE, _leave_flow, _short, _who
from messages import label
from messages.vocabulary import district_name
from storage import inspections as store
from storage import users as users_store
from storage.errors import AlreadyHandled

MONITOR_BUTTONS = 12  # monitors offered for a site, its district's first
FIND_MAX = 60
MARKS = {"passed": "✅", "needs_fix": "🔧", "failed": "❌"}


@OPEN.handles
async def open_page(update: Update, context: JinroContext, page: int) -> None:
    async with context.db.read() as conn:
        shown = await fetch_page(store.open_list, conn, index=page, size=PAGE)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            DETAIL(
                f"{_short(o.site_name, 30)} · {_who(o)} · {o.answered}/{o.total}"
                if o.status == "in_progress"
                else f"{_short(o.site_name, 30)} · {_who(o)}",
                o.id,
            )
        ]
        for o in shown.items
    ]
    await reply_page(
        update,
        context,
        "inspections/open",
        shown,
        shown.markup(lang, rows, OPEN, below=[[HOME(label(lang, "◀ Inspections"))]]),
        edit=True,
        inspections=[
            {
                "site": o.site_name,
                "who": _who(o),
                "status": o.status,
                "done": o.answered,
                "total": o.total,
            }
            for o in shown.items
        ],
    )


@RECENT.handles
async def recent_list(update: Update, context: JinroContext) -> None:
    async with context.db.read() as conn:
        found = await store.recent(conn, limit=10)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            DETAIL(
                f"{MARKS.get(r.result, '')} {_short(r.site_name, 30)} · "
                f"{short(lang, r.checked_on)} · {_who(r)}",
                r.id,
            )
        ]
        for r in found
    ]
    rows.append([HOME(label(lang, "◀ Inspections"))])
    await reply(update, context, "inspections/recent", keyboard(rows), edit=True, count=len(found))


@FIND.handles
async def ask_find(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "is.find")
    rows = [[HOME(label(context.lang, "◀ Inspections"))]]
    await reply(update, context, "inspections/ask_find", keyboard(rows), problem=None, typed=None)


@text_step("is.find")
async def find_typed(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())[:FIND_MAX]
    async with context.db.read() as conn:
        found = await users_store.find_sites(conn, text) if text else []
    lang = context.lang
    rows = [[SITE(f"{_short(s.name)} ({district_name(lang, s.district)})", s.id)] for s in found]
    rows.append([HOME(label(lang, "◀ Inspections"))])
    await reply(
        update,
        context,
        "inspections/ask_find",
        keyboard(rows),
        problem=None if found else "none",
        typed=text,
    )


@SITE.handles
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
            [ASSIGN(f"{p.name} ({district_name(lang, p.district)})", site_id, p.id)]
            for p in people[:MONITOR_BUTTONS]
        ]
    else:
        rows.append([DETAIL(label(lang, "📄 The open inspection"), current.id)])
    rows.append([HOME(label(lang, "◀ Inspections"))])
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


@ASSIGN.handles
async def assign_pressed(update: Update, context: JinroContext, site_id: int, monitor_id: int):
    try:
        async with context.db.write() as conn:
            inspection_id = await store.assign(
                conn, site_id, monitor_id, context.user.id, now=context.now
            )
            found = await store.view(conn, inspection_id)
    except store.Refused:
        await answer_query(
            update, label(context.lang, "This site already has an open inspection."), alert=True
        )
        await choose_monitor(update, context, site_id, answered=True)
        return
    await answer_query(update)
    outbox.kick(context)  # the monitor hears of it
    rows = [
        [NEVER(label(context.lang, "🆕 Never inspected"), 0)],
        [HOME(label(context.lang, "◀ Inspections"))],
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


@CANCEL.handles
async def ask_cancel(update: Update, context: JinroContext, inspection_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.view(conn, inspection_id)
    if found is None or found.status not in store.OPEN:
        await stale_button(update, context)
        return
    await answer_query(update)
    lang = context.lang
    rows = [
        [CANCEL_NOW(label(lang, "✖ Yes, cancel it"), inspection_id)],
        [DETAIL(label(lang, "◀ No, keep the inspection"), inspection_id)],
    ]
    await reply(
        update, context, "inspections/ask_cancel", keyboard(rows), edit=True, inspection=found
    )


@CANCEL_NOW.handles
async def cancel_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.cancel(conn, inspection_id, context.user.id, now=context.now)
            found = await store.view(conn, inspection_id)
    except AlreadyHandled:  # done or cancelled meanwhile: as for a missing one
        await stale_button(update, context)
        return
    await answer_query(update)
    outbox.kick(context)  # the monitor hears
    rows = [[HOME(label(context.lang, "◀ Inspections"))]]
    await reply(
        update, context, "inspections/cancelled", keyboard(rows), edit=True, inspection=found
    )
