"""The CSV of the undelivered: who did not get a broadcast and why, never a name or phone."""

from __future__ import annotations

import csv
import io

from telegram import InputFile

from handlers.broadcasts.buttons import CSV
from handlers.broadcasts.common import ROLE_NAMES
from handlers.common import (
    answer_query,
    stale_button,
)
from handlers.common.filenames import file_name
from messages import label, render
from messages.labels import N_
from storage import broadcasts as store


@CSV.handles
async def csv_pressed(update, context, broadcast_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.owned(conn, broadcast_id, context.user)
        rows = await store.undelivered(conn, broadcast_id) if found else []
    if found is None:
        await stale_button(update, context)
        return
    if not rows:
        text = label(context.lang, "Everyone got it: nobody to list.")
        await answer_query(update, text, alert=True)
        return
    await answer_query(update)
    async with context.db.write() as conn:
        await store.record_export(conn, broadcast_id, context.user, len(rows), now=context.now)
    content = undelivered_csv(context.lang, rows)
    sent = (found.confirmed_at or found.created_at).astimezone(context.tz)
    what = label(context.lang, "Announcement of %(day)s: not delivered", day=f"{sent:%Y-%m-%d}")
    name = file_name(what, ext="csv")
    caption = render("broadcasts/csv_caption", context.lang, broadcast=found, count=len(rows))
    await context.bot.send_document(
        update.effective_chat.id, InputFile(content, filename=name), caption=caption
    )


# The reasons a delivery fails (last_error: the dispatcher's words) in the user's language.
REASONS = {
    "Forbidden": N_("blocked the bot"),
    "BadRequest": N_("chat not found or message refused"),
    "chat not found": N_("chat not found"),
    "user is deactivated": N_("account deleted"),
    "wrong file identifier": N_("the photo or file is no longer at Telegram"),
    "can't parse entities": N_("formatting Telegram cannot read"),
    "message is too long": N_("message too long"),
    "cancelled": N_("cancelled before sending"),
}


def undelivered_csv(lang: str, rows) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Korean right."""
    out = io.StringIO()
    writer = csv.writer(out)
    headers = (N_("user id"), N_("role"), N_("school"), N_("reason"))
    writer.writerow([label(lang, h) for h in headers])
    for row in rows:
        reason = row.reason or row.status
        shown = label(lang, REASONS[reason]) if reason in REASONS else reason
        role = label(lang, ROLE_NAMES[row.role]) if row.role in ROLE_NAMES else row.role
        writer.writerow([row.user_id, role, row.school or "", shown])
    return out.getvalue().encode("utf-8-sig")
