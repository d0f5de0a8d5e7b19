"""Writing the message: /broadcast, the text or media becomes the draft, its preview; and
from the panel, the preview again, a new text or the draft discarded."""

from __future__ import annotations

import html

from telegram import Update
from telegram.error import BadRequest

from bot.context import JinroContext
from handlers.broadcasts.buttons import CHANGE_TEXT, DISCARD, PREVIEW, may_broadcast
from handlers.broadcasts.common import log
from handlers.broadcasts.panel import _gone, _pressed_on_draft, show_panel
from handlers.common import (
    answer_query,
    file_step,
    reply,
    requires,
    send,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.lengths import MESSAGE_MAX, shown_length, telegram_length
from handlers.common.shorten import ask_to_shorten, send_back
from storage import broadcasts as store
from storage import users as users_store

TEXT_LIMIT = 4096  # Telegram's limits on what a bot sends
CAPTION_LIMIT = 1024


@requires(*store.AUTHORS)
async def broadcast_command(update: Update, context: JinroContext) -> None:
    if not may_broadcast(context.user):
        await reply(update, context, "common/not_allowed")
        return
    await set_flow(context, "bc.text", {})
    await reply(update, context, "broadcasts/ask_text", role=context.user.role, changing=False)


@text_step("bc.text")
async def text_typed(update: Update, context: JinroContext) -> None:
    message = update.message
    length = telegram_length(message.text)
    if length > TEXT_LIMIT:  # Telegram splits longer ones; be sure
        written = authored_html(message.text_html, message.entities)
        await _too_long(update, context, length, TEXT_LIMIT, written)
        return
    await _take(update, context, authored_html(message.text_html, message.entities), None, None)


@file_step("bc.text")
async def media_sent(update: Update, context: JinroContext) -> None:
    """A photo or a file, with its caption; any other media is refused, friendly."""
    message = update.message
    if message.photo:
        kind, file_id = "photo", message.photo[-1].file_id
    elif message.document:
        kind, file_id = "document", message.document.file_id
    else:
        await reply(update, context, "broadcasts/not_media")
        return
    caption = message.caption or ""
    length = telegram_length(caption)
    if length > CAPTION_LIMIT:  # Premium users may write longer ones
        written = authored_html(message.caption_html, message.caption_entities)
        await _too_long(update, context, length, CAPTION_LIMIT, written)
        return
    text = authored_html(message.caption_html, message.caption_entities) if caption else ""
    await _take(update, context, text, kind, file_id)


def authored_html(text_html: str, entities) -> str:
    """The author's message as HTML. python-telegram-bot writes a link's address into href
    as it is; Telegram wants its & and " escaped there (an address with "&lt" would turn
    into another one), so each link's opening tag is written again, escaped."""
    for entity in entities or ():
        if entity.url:
            as_written = f'<a href="{entity.url}">'
            text_html = text_html.replace(as_written, f'<a href="{html.escape(entity.url)}">')
    return text_html


async def _too_long(update, context, length: int, limit: int, written: str) -> None:
    """Over Telegram's limit: the text comes back whole to be shortened. Formatted (bold, a
    link under words), it comes back as written, in a message of its own, since a copy of
    the plain text would lose the formatting and the links' addresses; else tap-to-copy."""
    if "<" not in written or shown_length(written) > MESSAGE_MAX:  # no tags: no formatting
        await ask_to_shorten(update, context, length, limit)
        return
    await reply(update, context, "broadcasts/too_long", length=length, limit=limit)
    try:
        await send(context, update.effective_chat.id, written)
    except BadRequest as error:  # formatting Telegram will not take back: the plain text
        log.info("a broadcast text could not be given back formatted: %s", error)
        await send_back(update, context)


async def _take(update, context, text: str, kind: str | None, file_id: str | None) -> None:
    """The message becomes the draft (a new one, or the current draft's new text); then the
    preview and the panel."""
    if not may_broadcast(context.user):  # the role changed while writing
        await _gone(update, context)
        return
    user, current = context.user, context.user.flow_data.get("b")
    values = {"text": text, "media_kind": kind, "media_file_id": file_id}
    async with context.db.write() as conn:
        if current and await store.draft(conn, current, user) is not None:
            await store.update_draft(conn, current, user, **values)
            broadcast_id = current
        else:
            broadcast_id = await store.start_draft(conn, user, now=context.now, **values)
        context.user = await users_store.set_flow(conn, user.id, "bc.panel", {"b": broadcast_id})
    if await _preview(update, context, broadcast_id):
        await show_panel(update, context, broadcast_id, edit=False)


async def _preview(update: Update, context: JinroContext, broadcast_id: int) -> bool:
    """The broadcast as recipients will see it. A message Telegram will not take back (a
    file it no longer knows) is refused here, before anyone else gets it."""
    async with context.db.read() as conn:
        found = await store.for_delivery(conn, broadcast_id)
    try:
        await send_copy(context, update.effective_chat.id, found)
    except BadRequest as error:
        log.info("a broadcast preview was refused: %s", error)
        await set_flow(context, "bc.text", {"b": broadcast_id})
        await reply(update, context, "broadcasts/unusable")
        return False
    return True


async def send_copy(context: JinroContext, chat_id: int, broadcast, *, paced: bool = False):
    """Send `broadcast` (store.for_delivery) to one chat exactly as every recipient gets it:
    the author's HTML as the text or the caption, the photo or file by its file_id. The
    preview uses this, and so should the dispatcher. `paced`: a send slot was waited for."""
    limit = {"rate_limit_args": {"paced": True}} if paced else {}
    if broadcast.media_kind == "photo":
        return await context.bot.send_photo(
            chat_id, broadcast.media_file_id, caption=broadcast.text or None, **limit
        )
    if broadcast.media_kind == "document":
        return await context.bot.send_document(
            chat_id, broadcast.media_file_id, caption=broadcast.text or None, **limit
        )
    return await context.bot.send_message(chat_id, broadcast.text, **limit)


@PREVIEW.handles
async def preview_pressed(update, context, broadcast_id: int) -> None:
    if not await _pressed_on_draft(update, context, broadcast_id):
        return
    if await _preview(update, context, broadcast_id):
        await show_panel(update, context, broadcast_id, edit=False)


@CHANGE_TEXT.handles
async def change_text(update, context, broadcast_id: int) -> None:
    if not await _pressed_on_draft(update, context, broadcast_id):
        return
    await set_flow(context, "bc.text", {"b": broadcast_id})
    await reply(update, context, "broadcasts/ask_text", role=context.user.role, changing=True)


@DISCARD.handles
async def discard(update, context, broadcast_id: int) -> None:
    async with context.db.write() as conn:
        gone = await store.discard(conn, broadcast_id, context.user)
        if gone:
            context.user = await users_store.set_flow(conn, context.user.id, None)
    if not gone:
        await stale_button(update, context)
        return
    await answer_query(update)
    await reply(update, context, "broadcasts/discarded", edit=True)
