"""An audit trail on screen, ten entries a page, newest first, with ◀ ▶, the periods to switch
to, and its XLSX file. Every page and the file are themselves staff reads of personal data,
audited (storage/audit_trail.py: the opening, each page, the file; ids and counts only)."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update

from bot.context import JinroContext
from handlers.audit.buttons import AGAIN, EXPORT, SWITCH, TRAIL
from handlers.audit.details import PERIOD_NAMES
from handlers.audit.labels import Described, Found, describe, found
from handlers.common import Page, answer_query, fetch_page, reply_page
from messages import label, render
from messages.labels import N_
from storage import audit_trail as store
from storage.errors import NotFound
from storage.spreadsheet import xlsx_file

# Ten entries of at most about 200 characters each: a page stays far below Telegram's 4096.
PAGE_SIZE = 10
# The file's columns, in the language of the staff member who asks for it (Korean: the
# headers the city's files use).
HEADERS = (
    N_("Date and time"),
    N_("Who"),
    N_("Role"),
    N_("Action"),
    N_("Kind of record"),
    N_("Record"),
    N_("Details"),
)
SHEET = N_("Audit trail")


async def open_trail(
    update: Update, context: JinroContext, person_id: int | None, period: str, *, edit: bool
) -> None:
    """Open a trail now: its first page, recorded; the entry of that record is its handle."""
    wanted = store.trail(person_id, period, end=context.now, tz=context.tz)
    async with context.db.read() as conn:
        shown = await fetch_page(store.lines, conn, wanted, index=0, size=PAGE_SIZE)
        person = await _person(conn, wanted, context.lang)
    async with context.db.write() as conn:
        opened = await store.opened(
            conn, context.user.id, wanted, rows=len(shown.items), total=shown.total
        )
    await _show(update, context, opened, shown, person, edit=edit)


async def _person(conn, trail: store.Trail, lang: str) -> Found | None:
    if trail.person_id is None:
        return None
    row = await store.person(conn, trail.person_id, until=trail.end)
    return None if row is None else found(row, lang)


async def _reopened(context: JinroContext, handle: int) -> store.Trail:
    """The trail a button names, if this staff member opened it; else an old or forged
    button (NotFound: the stale answer, audited by the router)."""
    async with context.db.read() as conn:
        opened = await store.reopen(conn, handle, context.user.id, context.tz)
    if opened is None:
        raise NotFound(handle)
    return opened


@TRAIL.handles
async def trail_page(update: Update, context: JinroContext, handle: int, page: int) -> None:
    opened = await _reopened(context, handle)
    async with context.db.read() as conn:
        shown = await fetch_page(store.lines, conn, opened, index=page, size=PAGE_SIZE)
        if shown.beyond:  # entries removed since (the log's retention): the last page
            last = shown.pages - 1
            shown = await fetch_page(store.lines, conn, opened, index=last, size=PAGE_SIZE)
        person = await _person(conn, opened, context.lang)
    async with context.db.write() as conn:
        await store.paged(
            conn,
            context.user.id,
            opened,
            now=context.now,
            page=shown.index,
            rows=len(shown.items),
        )
    await answer_query(update)
    await _show(update, context, opened, shown, person, edit=True)


@SWITCH.handles
async def switch_period(update: Update, context: JinroContext, handle: int, period: str) -> None:
    """The same person (or everything) over another period, from now; the current period's
    button opens it anew, with what came since."""
    opened = await _reopened(context, handle)
    await answer_query(update)
    await open_trail(update, context, opened.person_id, period, edit=True)


async def _show(
    update: Update, context: JinroContext, opened: store.Trail, shown: Page, person, *, edit: bool
) -> None:
    lang, tz = context.lang, context.tz
    lines: list[Described] = [describe(line, lang, tz) for line in shown.items]
    periods = [
        SWITCH(
            ("• " if p == opened.period else "") + label(lang, PERIOD_NAMES[p]), opened.handle, p
        )
        for p in store.PERIODS
    ]
    tools = [AGAIN(label(lang, "🔎 Someone else"))]
    if shown.total:
        tools.insert(0, EXPORT(label(lang, "📥 XLSX file"), opened.handle))
    await reply_page(
        update,
        context,
        "audit/trail",
        shown,
        shown.markup(lang, [], TRAIL, opened.handle, below=[periods, tools]),
        edit=edit,
        lines=lines,
        person=person,
        every=opened.person_id is None,
        kind=opened.period,
        start=opened.start.astimezone(tz).date(),
        end=opened.end.astimezone(tz).date(),
    )


@EXPORT.handles
async def export_pressed(update: Update, context: JinroContext, handle: int) -> None:
    """The whole trail (its newest EXPORT_MAX entries) as an XLSX file."""
    opened = await _reopened(context, handle)
    await answer_query(update)
    async with context.db.read() as conn:
        found, total = await store.every_line(conn, opened)
    lang = context.lang
    rows = [_row(describe(line, lang, context.tz)) for line in found]
    headers = [label(lang, header) for header in HEADERS]
    # A year of everything is thousands of rows: built off the event loop.
    content = await asyncio.to_thread(xlsx_file, label(lang, SHEET), headers, rows)
    async with context.db.write() as conn:
        await store.exported(
            conn, context.user.id, opened, now=context.now, rows=len(found), total=total
        )
    caption = render("audit/exported", context.lang, count=len(found), total=total)
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(content, filename=f"jinro-audit-{context.today:%Y%m%d}.xlsx"),
        caption=caption,
    )


def _row(line: Described) -> list:
    # Excel has no time zones: the city's time, as a date-time cell.
    at = line.at.replace(tzinfo=None, microsecond=0)
    return [at, line.who, line.role, line.what, line.kind, line.object, line.detail]
