"""The overall result: the monitor chooses it from the summary, adds a note or not, and
confirms; the site's status changes and everyone's news goes out."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, keyboard, reply, set_flow, stale_button, text_step
from handlers.common.handled import asked
from handlers.common.shorten import ask_to_shorten
from handlers.common.told import nobody_at_site
from handlers.inspections.buttons import CONFIRM, DETAIL, HOME, NO_NOTE, RESULT_CHOSEN, SUMMARY
from handlers.inspections.common import _flow_is, lines
from handlers.inspections.walk import (
    _go_on,
    _pressed_while_filling,
    _still_filling,
    show_item,
    show_summary,
)
from messages import label
from storage import inspections as store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound


async def _all_answered(update: Update, context: JinroContext, inspection_id: int, *, edit=False):
    """Whether a press on the summary (to see it, or choose the result) goes on: the
    inspection still being filled with every item answered; an item left (an old summary)
    is shown to answer first."""
    if not await _pressed_while_filling(update, context, inspection_id):
        return False
    async with context.db.read() as conn:
        position = await store.next_position(conn, inspection_id)
    if position is not None:
        await show_item(update, context, inspection_id, position, edit=edit)
        return False
    return True


def _choose_again(lang: str, inspection_id: int, button):
    """A step after choosing the result: its `button`, and back to the summary."""
    return keyboard([[button], [SUMMARY(label(lang, "◀ Choose again"), inspection_id)]])


@SUMMARY.handles
async def summary_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    if await _all_answered(update, context, inspection_id, edit=True):
        await show_summary(update, context, inspection_id, edit=True)


@RESULT_CHOSEN.handles
async def result_pressed(
    update: Update, context: JinroContext, inspection_id: int, result: str
) -> None:
    if not await _all_answered(update, context, inspection_id):
        return
    await set_flow(context, "is.note", {"i": inspection_id, "r": result})
    without = NO_NOTE(label(context.lang, "Without a note"), inspection_id)
    shown = await reply(
        update,
        context,
        "inspections/ask_note",
        _choose_again(context.lang, inspection_id, without),
        result=result,
        limit=store.NOTE_MAX,
        length=None,
    )
    await asked(context, shown)  # a note typed takes its "without a note" away


@text_step("is.note")
async def overall_note_typed(update: Update, context: JinroContext) -> None:
    note = " ".join(update.message.text.split())
    data = context.user.flow_data or {}
    if len(note) > store.NOTE_MAX:
        await ask_to_shorten(update, context, len(note), store.NOTE_MAX)
        return
    await show_confirm(update, context, data.get("i") or 0, data.get("r"), note)


@NO_NOTE.handles
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
    confirm = CONFIRM(label(lang, "✅ Confirm the result"), inspection_id)
    await reply(
        update,
        context,
        "inspections/confirm",
        _choose_again(lang, inspection_id, confirm),
        edit=update.callback_query is not None,
        site=found.site_name,
        site_nobody=await nobody_at_site(context, found.site_id),
        result=result,
        note=note,
        suggestion=store.suggested([i.result for i in all_items]),
        items=lines(lang, all_items),
        # The very days `finish` will record: the monitor confirms dates, not a number of days.
        inspection=store.result_dates(
            result, context.now, context.settings.safety_valid_days, context.tz
        ),
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


@CONFIRM.handles
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
        await reply(update, context, "inspections/gone", edit=True)  # its buttons go too
        return
    except store.Refused:  # an item without its answer: back to it
        await _go_on(update, context, inspection_id)
        return
    outbox.kick(context)  # the site, and for a failure staff and teachers, at once
    lang = context.lang
    rows = [
        [DETAIL(label(lang, "📄 See the result"), inspection_id)],
        [HOME(label(lang, "◀ My inspections"))],
    ]
    await reply(
        update,
        context,
        "inspections/finished",
        keyboard(rows),
        edit=True,
        inspection=finished.inspection,
        told=finished.told,
        recheck=store.RECHECK_AFTER,
    )
