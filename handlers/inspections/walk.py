"""The checklist walk: a monitor starts or carries on, answers item by item (a result
each, a photo or note on any), and comes to the summary of every answer.

A photo belongs to the item it was sent for. Choosing a result shows the next item at once,
so a photo sent just after could be meant for either: then the monitor is asked which (the
item just answered, or the one now shown), and the photo waits in the flow until they say.
After 📎 on an item, or on the walk's first item, there is no doubt and it is attached."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    file_step,
    keyboard,
    reply,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.shorten import ask_to_shorten
from handlers.inspections.buttons import (
    ANSWER,
    ATTACH,
    ITEM,
    PHOTO_FOR,
    RESULT_CHOSEN,
    START,
    SUMMARY,
)
from handlers.inspections.common import item_name, lines
from messages import label
from messages.labels import N_
from storage import inspections as store
from storage.errors import NotFound

ITEM_LABELS = {
    "pass": N_("✅ Pass"),
    "fix": N_("🔧 Needs fixing"),
    "fail": N_("❌ Fail"),
}
RESULT_LABELS = {
    "passed": N_("✅ Passed"),
    "needs_fix": N_("🔧 Needs fixing"),
    "failed": N_("❌ Failed"),
}


@START.handles
async def start_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.start(conn, inspection_id, context.user.id, now=context.now)
    except store.Refused:
        await answer_query(update)
        await reply(update, context, "inspections/empty")
        return
    await answer_query(update)
    await _go_on(update, context, inspection_id)


async def _go_on(update: Update, context: JinroContext, inspection_id: int) -> None:
    """The first unanswered item as a new message, or the summary when all are answered."""
    async with context.db.read() as conn:
        position = await store.next_position(conn, inspection_id)
    if position is None:
        await show_summary(update, context, inspection_id)
    else:
        await show_item(update, context, inspection_id, position)


async def show_item(
    update: Update,
    context: JinroContext,
    inspection_id: int,
    position: int,
    *,
    edit: bool = False,
    saved: str | None = None,
    flow: str = "is.fill",
    answered: int | None = None,
) -> None:
    """One item with its three results, 📎 photo or note, and ◀ back; the monitor is then
    in `flow` on it (is.att after an attachment: more may follow). `answered`: the item
    whose result was just chosen, which a photo sent now may be meant for."""
    async with context.db.read() as conn:
        found = await store.view(conn, inspection_id)
        all_items = await store.inspection_items(conn, inspection_id)
    item = next((i for i in all_items if i.position == position), None)
    if found is None or item is None:
        await reply(update, context, "inspections/gone")
        return
    data = {"i": inspection_id, "p": position}
    if answered is not None and answered != position:
        data["a"] = answered
    await set_flow(context, flow, data)
    lang = context.lang
    rows = [
        [
            ANSWER(label(lang, ITEM_LABELS[code]), inspection_id, position, code)
            for code in store.ITEM_RESULTS
        ],
        [ATTACH(label(lang, "📎 Photo or note"), inspection_id, position)],
    ]
    moves = []
    if position > 1:
        moves.append(ITEM(label(lang, "◀ Previous item"), inspection_id, position - 1))
    if all(i.result is not None for i in all_items):
        moves.append(SUMMARY(label(lang, "📋 Summary"), inspection_id))
    rows.append(moves)
    await reply(
        update,
        context,
        "inspections/item",
        keyboard(rows),
        edit=edit,
        site=found.site_name,
        item=lines(lang, [item])[0],
        count=len(all_items),
        saved=saved,
    )


@ANSWER.handles
async def answer_pressed(
    update: Update, context: JinroContext, inspection_id: int, position: int, result: str
) -> None:
    if not await _may_change(context, inspection_id, position):
        await stale_button(update, context)  # an old message's answer: the saved one stays
        return
    async with context.db.write() as conn:
        following = await store.answer(conn, inspection_id, context.user.id, position, result)
        all_items = await store.inspection_items(conn, inspection_id)
        found = await store.view(conn, inspection_id)
    item = next(i for i in all_items if i.position == position)
    # The item's message keeps what was answered, without buttons; the next comes below.
    await reply(
        update,
        context,
        "inspections/item_done",
        edit=True,
        site=found.site_name,
        item=lines(context.lang, [item])[0],
        count=len(all_items),
    )
    if following is None:
        await show_summary(update, context, inspection_id)
    else:
        await show_item(update, context, inspection_id, following, answered=position)
    # Answered last: whoever waits for the answer (a person, a test) sees the next item.
    await answer_query(update)


async def _may_change(context: JinroContext, inspection_id: int, position: int) -> bool:
    """Whether a press may set the item's answer (or its photo and note): an item not yet
    answered, from any of its messages; one answered only from the item's current screen
    (the monitor went back to it with ◀), never from an older message still showing
    buttons (an item shown again after 📎 leaves the first one with them), which would
    replace what was saved behind the monitor's back."""
    data = context.user.flow_data or {}
    if context.user.flow in ("is.fill", "is.att") and (data.get("i"), data.get("p")) == (
        inspection_id,
        position,
    ):
        return True
    async with context.db.read() as conn:
        all_items = await store.inspection_items(conn, inspection_id)
    item = next((i for i in all_items if i.position == position), None)
    return item is not None and item.result is None


async def _still_filling(context: JinroContext, inspection_id: int, position: int | None = None):
    """The inspection while this monitor fills it (and the item exists), else None."""
    async with context.db.read() as conn:
        try:
            found = await store.mine(conn, inspection_id, context.user.id, ("in_progress",))
        except NotFound:
            return None
        if position is not None:
            positions = {i.position for i in await store.inspection_items(conn, inspection_id)}
            if position not in positions:
                return None
    return found


async def _pressed_while_filling(
    update: Update, context: JinroContext, inspection_id: int, position: int | None = None
) -> bool:
    """Whether a press on an inspection's item or summary goes on (the press answered):
    while this monitor fills it (and the item exists); else it is a stale press."""
    if await _still_filling(context, inspection_id, position) is None:
        await stale_button(update, context)
        return False
    await answer_query(update)
    return True


@ATTACH.handles
async def attach_pressed(
    update: Update, context: JinroContext, inspection_id: int, position: int
) -> None:
    if not await _may_change(context, inspection_id, position):
        await stale_button(update, context)  # as for its answer: from the item's screen
        return
    if not await _pressed_while_filling(update, context, inspection_id, position):
        return
    await set_flow(context, "is.att", {"i": inspection_id, "p": position})
    rows = [[ITEM(label(context.lang, "◀ Back to the item"), inspection_id, position)]]
    await reply(
        update,
        context,
        "inspections/ask_attachment",
        keyboard(rows),
        limit=store.NOTE_MAX,
        problem=None,
    )


@ITEM.handles
async def back_pressed(
    update: Update, context: JinroContext, inspection_id: int, position: int
) -> None:
    if await _pressed_while_filling(update, context, inspection_id, position):
        await show_item(update, context, inspection_id, position, edit=True)


@text_step("is.att")
async def note_typed(update: Update, context: JinroContext) -> None:
    note = " ".join(update.message.text.split())
    if await _note_fits(update, context, note):
        await _attach(update, context, note=note)


async def _note_fits(update: Update, context: JinroContext, note: str) -> bool:
    """Whether a typed note fits; if not, the monitor gets it back to shorten (the step
    stays on the item)."""
    if len(note) <= store.NOTE_MAX:
        return True
    await ask_to_shorten(update, context, len(note), store.NOTE_MAX)
    return False


@file_step("is.att", "is.fill", "is.which")
async def photo_sent(update: Update, context: JinroContext) -> None:
    """A photo for the item at hand (its caption becomes the note); other files are not
    photos, and are refused kindly."""
    message = update.message
    if context.user.flow == "is.which":  # the photo before it still waits for its item
        await reply(update, context, "common/press_button")
        return
    if not message.photo and context.user.flow == "is.fill":
        # A sticker or a file while the item's buttons are shown: as for typed words there.
        await fill_expecting_button(update, context)
        return
    if not message.photo:
        await reply(
            update,
            context,
            "inspections/ask_attachment",
            limit=store.NOTE_MAX,
            problem="photo_only",
        )
        return
    data = context.user.flow_data or {}
    photo = message.photo[-1].file_id
    if context.user.flow == "is.fill" and "a" in data:
        await ask_which_item(update, context, {**data, "ph": photo, "c": message.caption or ""})
        return
    await _attach_photo(update, context, data.get("p"), photo, message.caption or "")


async def _attach_photo(update, context, position, photo: str, caption: str, *, edit=False):
    """The photo on the item at `position`, its caption as the item's note when it fits;
    a caption too long is given back to shorten (the photo is kept, the step stays on
    the item, so the shorter note lands there)."""
    caption = " ".join(caption.split())
    fits = len(caption) <= store.NOTE_MAX
    data = {**(context.user.flow_data or {}), "p": position}
    await _attach(
        update,
        context,
        note=(caption or None) if fits else None,
        photo=photo,
        data=data,
        edit=edit,
    )
    if not fits:
        await reply(
            update,
            context,
            "common/too_long",
            typed=caption,
            apart=False,  # a caption, spaces collapsed: fits beside the words, or splits there
            length=len(caption),
            limit=store.NOTE_MAX,
        )


async def ask_which_item(update: Update, context: JinroContext, data: dict) -> None:
    """A photo sent right after a result was chosen: for the item just answered, or the one
    now shown? It waits in the flow (is.which) until the monitor says."""
    inspection_id = data["i"]
    async with context.db.read() as conn:
        all_items = await store.inspection_items(conn, inspection_id)
    by_place = {i.position: i for i in all_items}
    if data["a"] not in by_place or data["p"] not in by_place:
        await set_flow(context, None)
        await reply(update, context, "inspections/gone")
        return
    await set_flow(context, "is.which", data)
    lang = context.lang
    rows = []
    for place, mark in ((data["a"], "◀ "), (data["p"], "")):
        name = item_name(lang, by_place[place])
        rows.append([PHOTO_FOR(f"{mark}{place}. {name}"[:60], inspection_id, place)])
    await reply(update, context, "inspections/which_item", keyboard(rows))


@PHOTO_FOR.handles
async def photo_placed(
    update: Update, context: JinroContext, inspection_id: int, position: int
) -> None:
    data = context.user.flow_data or {}
    asked = context.user.flow == "is.which" and data.get("i") == inspection_id
    if not asked or position not in (data.get("a"), data.get("p")):
        await stale_button(update, context)  # an old question, or forged
        return
    if not await _pressed_while_filling(update, context, inspection_id, position):
        return
    # The question becomes the item the photo went to, open for more (is.att).
    await _attach_photo(update, context, position, data["ph"], data.get("c", ""), edit=True)


@text_step("is.which")
async def which_expected(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")


async def _attach(
    update: Update,
    context: JinroContext,
    *,
    note=None,
    photo=None,
    data: dict | None = None,
    edit: bool = False,
) -> None:
    data = data if data is not None else (context.user.flow_data or {})
    inspection_id, position = data.get("i"), data.get("p")
    try:
        async with context.db.write() as conn:
            await store.attach(
                conn, inspection_id or 0, context.user.id, position or 0, note=note, photo=photo
            )
    except NotFound:
        await set_flow(context, None)
        await reply(update, context, "inspections/gone")
        return
    saved = "photo" if photo else "note"
    await show_item(update, context, inspection_id, position, saved=saved, flow="is.att", edit=edit)


@text_step("is.fill")
async def fill_expecting_button(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data or {}
    await reply(update, context, "common/press_button")
    if await _still_filling(context, data.get("i") or 0, data.get("p") or 0) is None:
        await set_flow(context, None)
        return
    await show_item(update, context, data["i"], data["p"])


async def show_summary(
    update: Update, context: JinroContext, inspection_id: int, *, edit: bool = False
) -> None:
    """Every item with its mark and note, the result they suggest, and the three results
    to choose from (all three always: the monitor decides)."""
    async with context.db.read() as conn:
        found = await store.view(conn, inspection_id)
        all_items = await store.inspection_items(conn, inspection_id)
    if found is None or found.status != "in_progress":
        await reply(update, context, "inspections/gone")
        return
    await set_flow(context, "is.result", {"i": inspection_id})
    lang = context.lang
    rows = [
        [RESULT_CHOSEN(label(lang, RESULT_LABELS[code]), inspection_id, code)]
        for code in store.RESULTS
    ]
    rows.append([ITEM(label(lang, "◀ Change an item"), inspection_id, len(all_items) or 1)])
    await reply(
        update,
        context,
        "inspections/summary",
        keyboard(rows),
        edit=edit,
        site=found.site_name,
        items=lines(lang, all_items),
        suggestion=store.suggested([i.result for i in all_items]),
    )
