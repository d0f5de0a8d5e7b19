"""Staff load programmes from a spreadsheet (/import, or just send the file) and get them back
as one (/export): the file is checked, a summary shown, and written only when confirmed.

Flows (users.flow): imp.file (a file is expected), imp.confirm {"file_id", "message_id": the
file's message} (the preview's buttons only). Buttons (imp:…, declared below): staff only,
and only the preview of the file they sent last answers."""

from __future__ import annotations

import asyncio
import logging

from telegram import Document, InputFile, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    file_step_for,
    keyboard,
    reply,
    requires,
    set_flow,
    text_step,
)
from handlers.common.buttons import ID, Buttons
from handlers.common.handled import asked, settle_prompt
from handlers.common.questions import expect_buttons
from messages import label, render
from messages.imports import problem_text
from storage import audit, exporter, importer
from storage import users as users_store
from storage.models import Role
from storage.spreadsheet import MAX_BYTES

log = logging.getLogger(__name__)


def _confirming(context: JinroContext, values: tuple) -> bool:
    return context.user.flow == "imp.confirm"


def _this_file(context: JinroContext, values: tuple) -> bool:
    """The preview pressed is the one of the file sent last (its message's id)."""
    return _confirming(context, values) and context.user.flow_data.get("message_id") == values[0]


IMPORTS = Buttons("imp", roles=(Role.STAFF,), guard=_confirming)
GO = IMPORTS.action("go", ID, guard=_this_file)  # import the file of that message
DROP = IMPORTS.action("no")  # cancel the import

# Problems listed in one message; the rest are counted, so the text stays under 4096.
SHOWN_PROBLEMS = 20


@requires(Role.STAFF)
async def start_import(update: Update, context: JinroContext) -> None:
    await set_flow(context, "imp.file")
    await reply(update, context, "imports/ask_file")


@text_step("imp.file")
async def expecting_file(update: Update, context: JinroContext) -> None:
    await reply(update, context, "imports/send_as_file")


@text_step("imp.confirm")
async def expecting_button(update: Update, context: JinroContext) -> None:
    await expect_buttons(update, context)


async def on_document(update: Update, context: JinroContext) -> None:
    """Any file staff send is an import, unless their flow asks for a file (a broadcast's
    attachment); anyone else gets the usual "text only" answer."""
    step = file_step_for(context)
    if step is not None:
        await step(update, context)
        return
    if context.user is None or context.user.role != Role.STAFF:
        await reply(update, context, "common/not_text")
        return
    # A file previewed before is replaced by this one: its Import and Cancel go.
    await settle_prompt(context, context.user.flow_data)
    document = update.message.document
    sheet = await _read(update, context, document)
    if sheet is None:
        return
    try:
        async with context.db.read() as conn:
            summary = await importer.preview(conn, sheet, now=context.now)
    except importer.ImportRejected as rejected:
        await _show_problems(update, context, rejected.problems)
        return
    name = document.file_name or "file"
    if not summary.changes:
        await _set_flow(context, None)
        await reply(update, context, "imports/unchanged", summary=summary, file_name=name)
        return
    # The file stays at Telegram: the confirmation downloads it again by its file_id, so the
    # flow state is small and any bot process can finish it.
    message_id = update.message.message_id
    data = {"file_id": document.file_id, "message_id": message_id}
    await _set_flow(context, "imp.confirm", data)
    lang = context.lang
    markup = keyboard([[GO(label(lang, "Import"), message_id), DROP(label(lang, "Cancel"))]])
    shown = await reply(update, context, "imports/preview", markup, summary=summary, file_name=name)
    await asked(context, shown)


@GO.handles
async def on_confirm(update: Update, context: JinroContext, message_id: int) -> None:
    """Write the previewed file (GO's guard checked `message_id` is the file sent last)."""
    data = context.user.flow_data
    await answer_query(update)
    sheet = await _read(update, context, data["file_id"])
    if sheet is None:
        return
    try:
        async with context.db.write() as conn:
            summary = await importer.apply(conn, sheet, actor_id=context.user.id, now=context.now)
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except importer.ImportRejected as rejected:  # the database changed since the preview
        await _show_problems(update, context, rejected.problems)
        return
    log.info("import by staff written: %s", summary.line())
    await reply(update, context, "imports/done", edit=True, summary=summary)


@DROP.handles
async def on_cancel(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _set_flow(context, None)
    await reply(update, context, "imports/cancelled", edit=True)


async def _read(
    update: Update, context: JinroContext, document: Document | str
) -> importer.Sheet | None:
    """Download and check the file; None after telling the user what is wrong with it."""
    if isinstance(document, Document) and (document.file_size or 0) > MAX_BYTES:
        problem = importer.Problem(None, None, "too_big", {"limit_mb": MAX_BYTES // 2**20})
        await _show_problems(update, context, [problem])
        return None
    file_id = document.file_id if isinstance(document, Document) else document
    telegram_file = await context.bot.get_file(file_id)
    content = bytes(await telegram_file.download_as_bytearray())
    try:
        # Parsing a large XLSX takes a while; the other users' updates go on meanwhile.
        return await asyncio.to_thread(importer.read, content, today=context.today, tz=context.tz)
    except importer.ImportRejected as rejected:
        await _show_problems(update, context, rejected.problems)
        return None


async def _show_problems(update: Update, context: JinroContext, problems: list) -> None:
    await _set_flow(context, None)
    lines = [problem_text(context.lang, problem) for problem in problems[:SHOWN_PROBLEMS]]
    more = len(problems) - len(lines)
    await reply(
        update, context, "imports/problems", edit=True, lines=lines, more=more, total=len(problems)
    )


async def _set_flow(context: JinroContext, flow: str | None, data: dict | None = None) -> None:
    if context.user.flow == flow and not data:
        return
    await set_flow(context, flow, data)


@requires(Role.STAFF)
async def export(update: Update, context: JinroContext) -> None:
    async with context.db.read() as conn:
        exported = await exporter.export_programs(conn, tz=context.tz, now=context.now)
    async with context.db.write() as conn:
        detail = {"programs": exported.programs, "sessions": exported.sessions}
        await audit.record(
            conn, context.user.id, "programs.export", "file", None, **detail, now=context.now
        )
    today = context.today
    name = f"jinro-programmes-{today:%Y%m%d}.xlsx"
    caption = render(
        "imports/exported", context.lang, programs=exported.programs, sessions=exported.sessions
    )
    await context.bot.send_document(
        update.effective_chat.id, InputFile(exported.content, filename=name), caption=caption
    )


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("import", start_import),
        CommandHandler("export", export),
        MessageHandler(filters.Document.ALL, on_document),
    ]
