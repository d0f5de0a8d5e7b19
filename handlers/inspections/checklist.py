"""/checklist: staff turn the checklist's items on and off and add their own."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply, requires, set_flow, text_step
from handlers.common.handled import asked
from handlers.common.shorten import ask_to_shorten
from handlers.inspections.buttons import ADD_ITEM, CHECKLIST_HOME, HOME, TOGGLE
from handlers.inspections.common import _leave_flow, _short, item_name
from messages import label
from storage import inspections as store
from storage import users as users_store
from storage.models import Role


@requires(Role.STAFF)
async def checklist_command(update: Update, context: JinroContext) -> None:
    await _leave_flow(context)
    await show_checklist(update, context)


async def show_checklist(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        found = await store.checklist_items(conn)
    lang = context.lang
    rows = [
        [TOGGLE(("✅ " if i.active else "⬜ ") + _short(item_name(lang, i), 50), i.id)]
        for i in found
    ]
    rows.append([ADD_ITEM(label(lang, "➕ Add an item"))])
    rows.append([HOME(label(lang, "◀ Inspections"))])
    await reply(
        update,
        context,
        "inspections/checklist",
        keyboard(rows),
        edit=edit,
        items=[{"name": item_name(lang, i), "active": i.active} for i in found],
    )


@TOGGLE.handles
async def toggle_pressed(update: Update, context: JinroContext, item_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.toggle_item(conn, item_id, context.user.id, now=context.now)
    except store.Refused:
        await answer_query(
            update, label(context.lang, "Keep at least one item on the checklist."), alert=True
        )
        return
    await answer_query(update)
    await show_checklist(update, context, edit=True)


@ADD_ITEM.handles
async def add_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await set_flow(context, "ck.add")
    rows = [[CHECKLIST_HOME(label(context.lang, "◀ Checklist"))]]
    shown = await reply(
        update,
        context,
        "inspections/ask_item",
        keyboard(rows),
        limit=store.ITEM_TEXT_MAX,
        length=None,
    )
    await asked(context, shown)  # the item typed: the checklist comes below, its "◀" goes


@text_step("ck.add")
async def item_typed(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())
    if len(text) > store.ITEM_TEXT_MAX:
        await ask_to_shorten(update, context, len(text), store.ITEM_TEXT_MAX)
        return
    if len(text) < 2:
        await reply(
            update, context, "inspections/ask_item", limit=store.ITEM_TEXT_MAX, length=len(text)
        )
        return
    async with context.db.write() as conn:
        await store.add_item(conn, text, context.user.id, now=context.now)
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await show_checklist(update, context)


@CHECKLIST_HOME.handles
async def checklist_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_checklist(update, context, edit=True)
