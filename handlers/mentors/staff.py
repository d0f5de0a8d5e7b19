"""/mentors for city staff: the pool by kind and field, requests open and unanswered, meetings
held this term, ratings; the requests still waiting for a mentor, where staff mark the
pilot's priority; and the mid-term evaluation per mentor as an XLSX file.

Callback data: sm:f the figures · sm:l:P the waiting requests · sm:p:R:P priority on/off ·
sm:x the evaluation file.
"""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    keyboard,
    page_count,
    paging_row,
    reply,
    requires,
    route_button,
    stale_button,
)
from messages import label, render
from storage import audit
from storage import mentors as store
from storage.errors import NotFound
from storage.mentors import reports
from storage.models import Role

PAGE = 8


@requires(Role.STAFF)
async def mentors_command(update: Update, context: JinroContext) -> None:
    await show_figures(update, context)


async def show_figures(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        figures = await reports.figures(conn, now=context.now, tz=context.tz)
    lang = context.lang
    waiting = figures.by_status.get("waiting", 0) + figures.by_status.get("offered", 0)
    rows = [
        [(label(lang, "📋 Requests waiting for a mentor (%(count)s)", count=waiting), "sm:l:0")],
        [(label(lang, "📥 Mid-term evaluation (XLSX)"), "sm:x")],
    ]
    await reply(update, context, "mentors/figures", keyboard(rows), edit=edit, figures=figures)


async def figures_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await show_figures(update, context, edit=True)


async def waiting_page(update: Update, context: JinroContext, page: int) -> None:
    async with context.db.read() as conn:
        found, total = await store.open_for_staff(conn, offset=page * PAGE, limit=PAGE)
    pages = page_count(total, PAGE)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            (
                ("⭐ " if r.priority else "☆ ")
                + f"{store.first_name(r.requester_name)} · {r.school} · {r.field}"[:55],
                f"sm:p:{r.id}:{page}",
            )
        ]
        for r in found
    ]
    rows.append(paging_row(lang, "sm:l", page, pages))
    rows.append([(label(lang, "◀ Mentoring figures"), "sm:f")])
    await reply(
        update,
        context,
        "mentors/waiting",
        keyboard(rows),
        edit=True,
        requests=found,
        total=total,
        page=page + 1,
        pages=pages,
        first_name=store.first_name,
        tz=context.tz,
    )


async def priority_pressed(update: Update, context: JinroContext, request_id: int, page: int):
    if await toggle_priority(update, context, request_id):
        await waiting_page(update, context, page)


async def toggle_priority(update: Update, context: JinroContext, request_id: int) -> bool:
    """Mark the request priority or take the mark off (staff, or the student's teacher: the
    storage checks which); False, after saying so, when it is not theirs to mark."""
    try:
        async with context.db.write() as conn:
            found = await store.get(conn, request_id)
            if found is None:
                raise NotFound
            await store.set_priority(
                conn, request_id, context.user, not found.priority, now=context.now
            )
    except NotFound:
        await stale_button(update, context)
        return False
    return True


async def export_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    async with context.db.read() as conn:
        made = await reports.evaluation(conn, now=context.now, tz=context.tz)
    async with context.db.write() as conn:
        await audit.record(
            conn,
            context.user.id,
            "mentors.export",
            "file",
            None,
            mentors=made.mentors,
            now=context.now,
        )
    today = context.today
    caption = render("mentors/exported", context.lang, count=made.mentors, since=made.since)
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(made.content, filename=f"jinro-mentors-{today:%Y%m%d}.xlsx"),
        caption=caption,
    )


BUTTONS = {
    "f": (figures_pressed, 0),
    "l": (waiting_page, 1),
    "p": (priority_pressed, 2),
    "x": (export_pressed, 0),
}


@requires(Role.STAFF)
async def on_button(update: Update, context: JinroContext) -> None:
    await route_button(update, context, BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("mentors", mentors_command),
        CallbackQueryHandler(on_button, pattern=r"^sm:"),
    ]
