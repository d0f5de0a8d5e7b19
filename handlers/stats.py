"""/stats for city staff: how booking, attendance and satisfaction are going, broken down by
school, district, programme, field and month, and all of it as a spreadsheet (figures only:
no person is named in any of it)."""

from __future__ import annotations

from dataclasses import replace

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply, requires
from handlers.common.buttons import Buttons, choice
from messages import label
from messages.labels import N_
from messages.vocabulary import district_name, field_name
from storage import stats
from storage.models import Role
from storage.spreadsheet import xlsx_book

SHOWN = 15  # lines of a breakdown in the chat; the spreadsheet has them all
DIMENSION_LABELS = {
    "school": N_("By school"),
    "district": N_("By district"),
    "program": N_("By programme"),
    "field": N_("By field"),
    "month": N_("By month"),
}
HEADERS = (
    N_("Name"),
    N_("Applications"),
    N_("Confirmed"),
    N_("Attended"),
    N_("Absent"),
    N_("Survey answers"),
    N_("Average of 5"),
)
STATS = Buttons("stat", roles=(Role.STAFF,))
BY = STATS.action("by", choice(*stats.DIMENSIONS))
SPREADSHEET = STATS.action("xlsx")


def _buttons(lang: str):
    dimensions = [BY(label(lang, DIMENSION_LABELS[d]), d) for d in stats.DIMENSIONS]
    return keyboard(
        [dimensions[:3], dimensions[3:], [SPREADSHEET(label(lang, "📊 All as a spreadsheet"))]]
    )


@requires(Role.STAFF)
async def stats_command(update: Update, context: JinroContext) -> None:
    async with context.db.read() as conn:
        figures = await stats.figures(conn)
    await reply(update, context, "stats/figures", _buttons(context.lang), figures=figures)


@BY.handles
async def on_breakdown(update: Update, context: JinroContext, by: str) -> None:
    await answer_query(update)
    async with context.db.read() as conn:
        lines = await stats.breakdown(conn, by, tz=context.tz)
    await reply(
        update,
        context,
        "stats/breakdown",
        _buttons(context.lang),
        edit=True,
        title=label(context.lang, DIMENSION_LABELS[by]),
        lines=[_named(context.lang, by, line) for line in lines[:SHOWN]],
        more=max(0, len(lines) - SHOWN),
    )


@SPREADSHEET.handles
async def on_spreadsheet(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    lang = context.lang
    headers = [label(lang, msgid) for msgid in HEADERS]
    sheets = []
    async with context.db.read() as conn:
        for by in stats.DIMENSIONS:
            lines = await stats.breakdown(conn, by, tz=context.tz)
            rows = [_cells(_named(lang, by, line)) for line in lines]
            sheets.append((label(lang, DIMENSION_LABELS[by]), headers, rows))
    await update.effective_chat.send_document(
        InputFile(xlsx_book(sheets), filename=f"jinro-figures-{context.today:%Y%m%d}.xlsx"),
        caption=label(lang, "Programme figures by school, district, programme, field and month"),
    )


def _named(lang: str, by: str, line: stats.Line) -> stats.Line:
    """A district's or a field's line under its name in the reader's language."""
    words = {"district": district_name, "field": field_name}.get(by)
    return replace(line, name=words(lang, line.name)) if words else line


def _cells(line: stats.Line) -> list:
    return [
        line.name,
        line.applied,
        line.confirmed,
        line.attended,
        line.no_show,
        line.answers,
        line.average,
    ]


def handlers() -> list[BaseHandler]:
    return [CommandHandler("stats", stats_command)]
