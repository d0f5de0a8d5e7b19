"""An inspection's details and photos, for staff, the inspecting monitor and the site's
own people."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply
from handlers.inspections.buttons import CANCEL, DETAIL, HOME, PHOTOS, START
from handlers.inspections.common import _who, lines
from messages import label
from storage import inspections as store
from storage.models import Role

# The area's logger, named as before the split, so its log lines read the same.
log = logging.getLogger(__package__)


@DETAIL.handles
async def detail(update: Update, context: JinroContext, inspection_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.for_viewer(conn, inspection_id, context.user)  # NotFound: not theirs
        all_items = await store.inspection_items(conn, inspection_id)
    await answer_query(update)
    lang, role = context.lang, context.user.role
    rows = []
    photos = sum(1 for i in all_items if i.photo)
    if photos:
        rows.append([PHOTOS(label(lang, "📷 Photos (%(count)s)", count=photos), inspection_id)])
    if role == Role.STAFF and found.status in store.OPEN:
        rows.append([CANCEL(label(lang, "✖ Cancel the inspection"), inspection_id)])
    if role == Role.MONITOR and found.status in store.OPEN:
        rows.append([START(label(lang, "▶ Go on"), inspection_id)])
    if role in (Role.STAFF, Role.MONITOR):
        rows.append([HOME(label(lang, "◀ Inspections"))])
    await reply(
        update,
        context,
        "inspections/detail",
        keyboard(rows),
        inspection=found,
        who=_who(found),
        items=lines(lang, all_items),
        recheck=store.RECHECK_AFTER,
    )


@PHOTOS.handles
async def photos_pressed(update: Update, context: JinroContext, inspection_id: int) -> None:
    """Each item's photo again, by its file_id (never downloaded), with the item's words."""
    async with context.db.read() as conn:
        await store.for_viewer(conn, inspection_id, context.user)  # NotFound: not theirs
        all_items = await store.inspection_items(conn, inspection_id)
    await answer_query(update)
    shown = [i for i in all_items if i.photo]
    lang = context.lang
    for line, item in zip(lines(lang, shown), shown, strict=True):
        caption = f"{line.number}/{len(all_items)} {line.name}"
        if line.note:
            caption += f"\n{line.note}"
        try:
            await context.bot.send_photo(
                update.effective_chat.id, item.photo, caption=caption[:1024], parse_mode=None
            )
        except BadRequest as error:  # Telegram no longer has it
            log.info("an inspection photo could not be sent: %s", type(error).__name__)
    if not shown:
        await reply(update, context, "inspections/gone")
