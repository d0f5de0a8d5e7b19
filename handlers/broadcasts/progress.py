"""Progress and the report: the confirm's message edited as deliveries go (broadcast_tick,
the clock's step), then the final report; the pause, resume and cancel buttons on it."""

from __future__ import annotations

import asyncio
import collections
import math
from datetime import datetime

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import JinroContext
from handlers.broadcasts.buttons import CANCEL, CSV, PAUSE, RESUME
from handlers.broadcasts.common import log
from handlers.common import keyboard
from messages import label, render
from storage import broadcasts as store


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
        rows.append([PAUSE(label(lang, "⏸ Pause"), b), CANCEL(label(lang, "✖ Cancel"), b)])
    elif status == "paused":
        rows.append([RESUME(label(lang, "▶ Resume"), b), CANCEL(label(lang, "✖ Cancel"), b)])
    if figures.undelivered and status in ("done", "cancelled"):
        rows.append([CSV(label(lang, "📄 CSV of the undelivered"), b)])
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
