"""/inspections and ◀ Inspections: staff's home (the year's progress, the lists) or a
monitor's (their inspections, sites to pick), carrying on an inspection begun."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply, requires
from handlers.common.days import short
from handlers.inspections.buttons import (
    CHECKLIST_HOME,
    DETAIL,
    EXPIRING,
    FIND,
    HOME,
    NEVER,
    OPEN,
    RECENT,
    START,
    TO_PICK,
)
from handlers.inspections.common import _leave_flow, _short, _today, _who
from handlers.inspections.walk import _go_on
from messages import label
from storage import inspections as store
from storage import monitors as monitors_store
from storage.models import Role


@requires(Role.STAFF, Role.MONITOR)
async def inspections_command(update: Update, context: JinroContext) -> None:
    await _leave_flow(context)
    if context.user.role == Role.STAFF:
        await staff_home(update, context)
    else:
        await monitor_home(update, context, resume=True)


@HOME.handles
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
        [NEVER(label(lang, "🆕 Never inspected (%(count)s)", count=progress.never), 0)],
        [EXPIRING(label(lang, "⏰ Running out (%(count)s)", count=progress.expiring), 0)],
        [OPEN(label(lang, "📋 Open inspections (%(count)s)", count=progress.open), 0)],
        [RECENT(label(lang, "📄 Recent results")), FIND(label(lang, "🔎 Find a site"))],
        [CHECKLIST_HOME(label(lang, "📝 Checklist"))],
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
        rows.append([START(text, o.id)])
    if profile is not None:
        rows.append([TO_PICK(label(lang, "📋 Pick a site (%(count)s)", count=pickable), 0)])
    for d in done:
        rows.append([DETAIL(f"📄 {_short(d.site_name)} · {short(lang, d.checked_on)}", d.id)])
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
