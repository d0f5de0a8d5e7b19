"""Lists of sites: staff's never inspected and running out (press one to assign it), a
monitor's sites to pick in their district, and picking one."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    Page,
    answer_query,
    fetch_page,
    keyboard,
    reply,
    reply_page,
    stale_button,
)
from handlers.inspections.buttons import EXPIRING, HOME, NEVER, PICK, SITE, START, TO_PICK
from handlers.inspections.common import PAGE, _leave_flow, _short, _today
from messages import label
from messages.labels import N_
from messages.vocabulary import district_name
from storage import inspections as store
from storage import monitors as monitors_store


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
            shown = await _sites(conn, which, district, today, page)
            if shown.index >= shown.pages:  # the list got shorter: its last page
                shown = await _sites(conn, which, district, today, shown.pages - 1)
    if which == "pick" and district is None:
        await stale_button(update, context)
        return
    if not answered:
        await answer_query(update)
    paging = {"pick": TO_PICK, "never": NEVER, "expiring": EXPIRING}[which]
    press = PICK if which == "pick" else SITE
    rows = []
    for site in shown.items:
        text = f"{_short(site.name)} ({district_name(context.lang, site.district)})"
        if site.open_monitor is not None:
            text = f"📋 {text}"
        rows.append([press(text, site.id)])
    await reply_page(
        update,
        context,
        "inspections/sites",
        shown,
        shown.markup(lang, rows, paging, below=[[HOME(label(lang, "◀ Inspections"))]]),
        edit=True,
        which=which,
        sites=shown.items,
        district=district,
        today=today,
        recheck=store.RECHECK_AFTER,
    )


async def _sites(conn, which: str, district: str | None, today, page: int) -> Page:
    if which == "pick":
        return await fetch_page(store.to_pick, conn, district, today, index=page, size=PAGE)
    if which == "never":
        return await fetch_page(store.never_inspected, conn, index=page, size=PAGE)
    return await fetch_page(store.expiring, conn, today, index=page, size=PAGE)


@NEVER.handles
async def never_list(update: Update, context: JinroContext, page: int) -> None:
    await _site_list(update, context, "never", page)


@EXPIRING.handles
async def expiring_list(update: Update, context: JinroContext, page: int) -> None:
    await _site_list(update, context, "expiring", page)


@TO_PICK.handles
async def pick_list(update: Update, context: JinroContext, page: int) -> None:
    await _leave_flow(context)
    await _site_list(update, context, "pick", page)


@PICK.handles
async def pick_pressed(update: Update, context: JinroContext, site_id: int) -> None:
    lang = context.lang
    try:
        async with context.db.write() as conn:
            inspection_id = await store.pick(conn, site_id, context.user.id, now=context.now)
            found = await store.view(conn, inspection_id)
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
        [START(label(lang, "▶ Start the inspection"), inspection_id)],
        [HOME(label(lang, "◀ My inspections"))],
    ]
    await reply(
        update, context, "inspections/picked", keyboard(rows), edit=True, site=found.site_name
    )
