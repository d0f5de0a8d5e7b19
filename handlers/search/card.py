"""A programme's detail card, with its session buttons by role, and /start p_<id>: a card
someone shared opened in the bot."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.bookings import buttons as bookings
from handlers.classbook import buttons as classbook
from handlers.common import answer_query, keyboard, reply, stale_button, start_link
from handlers.common.buttons import ID
from handlers.fair import buttons as fair
from handlers.search.buttons import CARD, LIST, PANEL
from handlers.search.common import _save
from messages import label
from storage import discover
from storage import inspections as inspections_store
from storage import search as search_store
from storage.bookings import bookable_site
from storage.models import Role

# ----- the detail card ------------------------------------------------------------------------


@CARD.handles
async def show_card(update: Update, context: JinroContext, program_id: int, page: int) -> None:
    """A programme's card from a page of results (`page`: the one to go back to)."""
    async with context.db.read() as conn:
        found = await search_store.card(conn, program_id, now=context.now)
    if found is None:  # deleted since the list was shown, or forged
        await stale_button(update, context)
        return
    await answer_query(update)
    await _show(update, context, found, _card_keyboard(context, found, page))


async def _show(update: Update, context: JinroContext, found, markup) -> None:
    """The card (in place of the pressed list, or anew from a shared link); a student looking
    at it is noted as interested in its field, for /foryou."""
    if context.user.role == Role.STUDENT:
        async with context.db.write() as conn:
            await discover.note_interest(conn, context.user.id, found.program.field)
    await reply(
        update,
        context,
        "search/card",
        markup,
        edit=update.callback_query is not None,
        card=found,
        now=context.now,
        tz=context.tz,
        guest=context.user.role is None,
        recheck=inspections_store.RECHECK_AFTER,
    )


def _card_keyboard(context: JinroContext, found, page: int | None):
    """The session buttons, then back to the results at `page`, or (None: a shared card,
    with no list to go back to) to the search panel."""
    rows = _session_buttons(context, found)
    lang = context.lang
    if page is None:
        rows.append([PANEL(label(lang, "🔎 Search programmes"))])
    else:
        rows.append([LIST(label(lang, "◀ Back to the list"), page)])
    return keyboard(rows)


def _session_buttons(context: JinroContext, found) -> list[list[tuple[str, str]]]:
    """One button per upcoming session, by role: students apply (or join the line), teachers
    book for a class, staff set a fair opening. None at a site that failed its check or
    whose check has run out (one that needs fixing stays bookable)."""
    lang, tz, role = context.lang, context.tz, context.user.role
    if not bookable_site(found.site, context.now.astimezone(tz).date()):
        return []
    rows = []
    for s in found.sessions:
        when = s.starts_at.astimezone(tz).strftime("%m/%d %H:%M")
        free = s.booked < s.capacity
        if role == Role.STUDENT and (free or s.lottery_until):
            rows.append([bookings.APPLY(label(lang, "Apply: %(when)s", when=when), s.id)])
        elif role == Role.STUDENT:
            rows.append(
                [bookings.APPLY(label(lang, "Join the waiting list: %(when)s", when=when), s.id)]
            )
        elif role == Role.TEACHER and free:
            rows.append(
                [classbook.NEW(label(lang, "📚 Book for my class: %(when)s", when=when), s.id)]
            )
        elif role == Role.STAFF:
            rows.append([fair.SETTINGS(label(lang, "⚖️ Fair opening: %(when)s", when=when), s.id)])
    return rows


@start_link("p_")
async def open_shared(update: Update, context: JinroContext, parameter: str) -> None:
    """/start p_<id>: a programme card someone shared (inline mode) opened in the bot."""
    program_id = ID.match(parameter[2:])  # typed or forged links: ASCII digits in range only
    async with context.db.read() as conn:
        found = await search_store.card(conn, program_id, now=context.now) if program_id else None
    if found is None:
        await reply(update, context, "search/gone")
        return
    registered = context.user.role is not None
    if registered and context.user.flow not in ("sr", "sr.day"):
        await _save(context, {"q": "", "f": {}, "fy": False})
    await _show(
        update, context, found, _card_keyboard(context, found, None) if registered else None
    )
