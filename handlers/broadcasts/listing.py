"""/broadcasts and one broadcast: the list with figures, the detail, pause, resume, cancel.
The CSV button is answered in export.py."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy.engine import Row
from telegram import Update

from bot.context import JinroContext
from handlers.broadcasts.buttons import (
    CANCEL,
    CANCEL_NOW,
    KEEP,
    LIST,
    OPEN,
    PAUSE,
    RESUME,
    may_broadcast,
)
from handlers.broadcasts.progress import _minutes_left, _steer_rows, refresh_progress
from handlers.common import (
    answer_query,
    fetch_page,
    keyboard,
    reply,
    reply_page,
    requires,
    stale_button,
)
from handlers.common.handled import settle_pressed
from messages import label
from messages.labels import N_
from storage import broadcasts as store
from storage import users as users_store
from storage.broadcasts import Audience
from storage.errors import AlreadyHandled

LIST_PAGE = 5


@requires(*store.AUTHORS)
async def list_command(update: Update, context: JinroContext) -> None:
    if not may_broadcast(context.user):
        await reply(update, context, "common/not_allowed")
        return
    await show_list(update, context, 0, edit=False)


async def show_list(update: Update, context: JinroContext, page: int, *, edit: bool = True):
    now = context.now
    async with context.db.read() as conn:
        shown = await fetch_page(store.listing, conn, context.user, index=page, size=LIST_PAGE)
        figures = await store.figures(conn, [b.id for b in shown.items], now=now)
    if shown.beyond:
        await show_list(update, context, shown.pages - 1, edit=edit)
        return
    rows = [[OPEN(f"#{b.id} {snippet(b.text, 40)}"[:60], b.id, page)] for b in shown.items]
    await reply_page(
        update,
        context,
        "broadcasts/list",
        shown,
        shown.markup(context.lang, rows, LIST),
        edit=edit,
        broadcasts=[Listed(b, figures[b.id], snippet(b.text, 60)) for b in shown.items],
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


@LIST.handles
async def list_page(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await show_list(update, context, page)


@OPEN.handles
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
        if author is not None and author.role == found.author_role and may_broadcast(author):
            audience = store.limited(author, audience)
        names = await store.names(conn, audience, author or context.user)
    if answer:
        await answer_query(update)
    rows = _steer_rows(context.lang, found, figures)
    rows.append([LIST(label(context.lang, "◀ Back to the list"), back)])
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
    """Pause or resume, then show the pressed message (progress or detail) anew. A broadcast
    that is not the user's (NotFound) gets the router's stale answer."""
    try:
        async with context.db.write() as conn:
            await step(conn, broadcast_id, context.user, now=context.now)
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


@PAUSE.handles
async def pause_pressed(update, context, broadcast_id: int) -> None:
    await _steered(update, context, broadcast_id, store.pause, N_("Paused."))


@RESUME.handles
async def resume_pressed(update, context, broadcast_id: int) -> None:
    await _steered(update, context, broadcast_id, store.resume, N_("Sending again."))


@CANCEL.handles
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
        [CANCEL_NOW(label(lang, "✖ Yes, cancel it"), broadcast_id)],
        [KEEP(label(lang, "◀ No, keep it"), broadcast_id)],
    ]
    await reply(
        update, context, "broadcasts/ask_cancel", keyboard(rows), broadcast=found, figures=figures
    )


@CANCEL_NOW.handles
async def cancel_pressed(update, context, broadcast_id: int) -> None:
    try:
        async with context.db.write() as conn:
            dropped = await store.cancel(conn, broadcast_id, context.user, now=context.now)
    except AlreadyHandled:
        changed = label(context.lang, "It has changed meanwhile.")
        await answer_query(update, changed, alert=True)
        await settle_pressed(update, context, changed)
        return
    await answer_query(update)
    await reply(update, context, "broadcasts/cancelled", edit=True, dropped=dropped)
    await refresh_progress(context, broadcast_id)


@KEEP.handles
async def keep_pressed(update, context, broadcast_id: int) -> None:
    await answer_query(update)
    await reply(update, context, "broadcasts/kept", edit=True)
