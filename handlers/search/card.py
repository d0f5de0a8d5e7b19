"""A programme's detail card, with its session buttons by role, and /start p_<id>: a card
someone shared opened in the bot."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.bookings import buttons as bookings
from handlers.classbook import buttons as classbook
from handlers.common import (
    answer_query,
    keyboard,
    reply,
    speaks_formally,
    stale_button,
    start_link,
)
from handlers.common.buttons import ID
from handlers.common.cards import card_painter
from handlers.common.days import short
from handlers.common.maps import map_rows
from handlers.fair import buttons as fair
from handlers.search.buttons import CARD, LIST, PANEL, SHOW
from handlers.search.common import _save, takes_bookings
from messages import label, render
from storage import discover
from storage import inspections as inspections_store
from storage import search as search_store
from storage import users as users_store
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
    await _show(update, context, found, await _card_keyboard(context, found, page))


@SHOW.handles
async def show_pressed(update: Update, context: JinroContext, program_id: int) -> None:
    """A programme's card as a new message, from a button elsewhere (a booking that did not
    work out, a mentor request's suggestions): the message pressed stays as it was."""
    async with context.db.read() as conn:
        found = await search_store.card(conn, program_id, now=context.now)
    if found is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _keep_searching(context)
    await _show(update, context, found, await _card_keyboard(context, found, None), edit=False)


async def _show(update: Update, context: JinroContext, found, markup, *, edit=None) -> None:
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
        edit=update.callback_query is not None if edit is None else edit,
        **_card_values(context, found),
    )


def _card_values(context: JinroContext, found) -> dict:
    return {
        "card": found,
        "bookable": takes_bookings(context, found.site),
        "now": context.now,
        "tz": context.tz,
        "guest": context.user.role is None,
        "recheck": inspections_store.RECHECK_AFTER,
        "unchecked_ok": context.settings.unchecked_sites_bookable,
    }


@card_painter
async def paint_card(
    context: JinroContext, chat_id: int, message_id: int, program_id: int, page: int | None
) -> None:
    """The card drawn again in its message (after a seat was taken or given back), its seats
    and buttons as they are now; `page`: where its "back" button returns (None: no list)."""
    async with context.db.read() as conn:
        found = await search_store.card(conn, program_id, now=context.now)
    if found is None:
        return
    text = render(
        "search/card",
        context.lang,
        formal=speaks_formally(context.user),
        **_card_values(context, found),
    )
    await context.bot.edit_message_text(
        text,
        chat_id=chat_id,
        message_id=message_id,
        reply_markup=await _card_keyboard(context, found, page),
    )


async def _card_keyboard(context: JinroContext, found, page: int | None):
    """The session buttons, the site on the maps, then back to the results at `page`, or
    (None: a shared card, with no list to go back to) to the search panel."""
    rows = _session_buttons(context, found)
    rows += await _map_rows(context, found)
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
    if not takes_bookings(context, found.site):
        return []
    rows = []
    for s in found.sessions:
        when = short(lang, s.starts_at, tz, clock=True)
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


async def _map_rows(context: JinroContext, found) -> list:
    """The site's address on Kakao Map and Naver Map, and the way from the user's school
    (a student's or a teacher's) when it is known; none for an online programme."""
    if found.program.online or not found.site.address:
        return []
    async with context.db.read() as conn:
        school = await users_store.school(conn, context.user.school_id)
    start = (school.address or school.name) if school is not None else None
    return map_rows(context.lang, found.site.address, school=start)


async def _keep_searching(context: JinroContext) -> None:
    """A card opened from outside a search: a new, empty search, so that the card's
    "🔎 Search programmes" button works (a search under way is kept)."""
    if context.user.flow not in ("sr", "sr.day"):
        await _save(context, {"q": "", "f": {}, "fy": False})


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
    if registered:
        await _keep_searching(context)
    await _show(
        update, context, found, await _card_keyboard(context, found, None) if registered else None
    )
