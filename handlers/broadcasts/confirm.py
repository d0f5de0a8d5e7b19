"""When, and the last confirm: send now or at a typed moment; the confirm writes the
deliveries and turns its message into the progress message."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.broadcasts.buttons import CONFIRM, PANEL, SCHEDULE, SEND_NOW
from handlers.broadcasts.panel import (
    _draft_in_flow,
    _draft_view,
    _gone,
    _pressed_on_draft,
    back_to_panel,
    show_confirm,
    show_panel,
)
from handlers.broadcasts.progress import refresh_progress
from handlers.common import answer_query, days, keyboard, reply, set_flow, text_step
from handlers.common.handled import asked
from handlers.common.questions import expect_buttons
from messages import label
from messages.labels import N_
from storage import broadcasts as store
from storage import moments
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound

FURTHEST = timedelta(days=90)  # a later moment is surely a typo


@SEND_NOW.handles
async def send_now(update, context, broadcast_id: int) -> None:
    if not await _pressed_on_draft(update, context, broadcast_id, answer=False):
        return  # (the confirm answers the press)
    async with context.db.write() as conn:
        await store.update_draft(conn, broadcast_id, context.user, scheduled_at=None)
    await _ask_confirm(update, context, broadcast_id, edit=True)


@SCHEDULE.handles
async def ask_when(update, context, broadcast_id: int) -> None:
    if not await _pressed_on_draft(update, context, broadcast_id):
        return
    await set_flow(context, "bc.when", {"b": broadcast_id})
    back = [[back_to_panel(context.lang, broadcast_id)]]
    shown = await reply(
        update, context, "broadcasts/ask_when", keyboard(back), edit=True, problem=None
    )
    await asked(context, shown)  # a moment typed: the confirm below, no "◀" above


@text_step("bc.when")
async def when_typed(update: Update, context: JinroContext) -> None:
    broadcast_id = await _draft_in_flow(update, context)
    if broadcast_id is None:
        return
    now, tz = context.now, context.tz
    text = " ".join(update.message.text.split())
    today = now.astimezone(tz).date()
    try:
        moment = moments.moment(text, today, tz, after=now)
    except days.NotADay:
        moment = None
    problem = moments.missing(text, today) if moment is None else None
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
    found, _, counted, _ = view
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
    rows = [[CONFIRM(label(lang, go), broadcast_id)], [back_to_panel(lang, broadcast_id)]]
    await show_confirm(update, context, view, rows, edit=edit)


REFUSALS = {
    "nobody": N_("Nobody is in this audience any more. Choose who gets it."),
    "past": N_("The time you chose has passed. Choose when to send it again."),
}


@CONFIRM.handles  # only from the last confirm (its guard)
async def confirm_pressed(update, context, broadcast_id: int) -> None:
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


@PANEL.handles
async def panel_pressed(update, context, broadcast_id: int) -> None:
    """Back to the panel (from a picker, the programme search, when or confirm)."""
    if not await _pressed_on_draft(update, context, broadcast_id):
        return
    if context.user.flow != "bc.panel":
        await set_flow(context, "bc.panel", {"b": broadcast_id})
    await show_panel(update, context, broadcast_id)


@text_step("bc.panel", "bc.sure")
async def button_expected(update: Update, context: JinroContext) -> None:
    await expect_buttons(update, context)
