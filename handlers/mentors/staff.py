"""/mentors for city staff: the pool by kind and field, requests open and unanswered, meetings
held this term, ratings; the requests still waiting for a mentor, where staff mark the
pilot's priority; and the mid-term evaluation per mentor as an XLSX file.

Buttons: handlers/mentors/buttons.py (sm:…).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy.engine import Row
from telegram import InputFile, Update

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    audit_read,
    fetch_page,
    keyboard,
    reply,
    reply_page,
    requires,
)
from handlers.common.buttons import Button
from handlers.mentors.buttons import EXPORT, FIGURES, PRIORITY, WAITING
from messages import label, render
from messages.labels import N_
from messages.vocabulary import field_name
from storage import audit
from storage import mentors as store
from storage.errors import NotFound
from storage.mentors import reports
from storage.models import Role

PAGE = 8


def waiting_label(lang: str, waiting: int) -> str:
    if not waiting:  # "(0)" reads as a fault
        return label(lang, "📋 Requests waiting for a mentor")
    return label(lang, "📋 Requests waiting for a mentor (%(count)s)", count=waiting)


@requires(Role.STAFF)
async def mentors_command(update: Update, context: JinroContext) -> None:
    await show_figures(update, context)


async def show_figures(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        figures = await reports.figures(conn, now=context.now, tz=context.tz)
    lang = context.lang
    waiting = figures.by_status.get("waiting", 0) + figures.by_status.get("offered", 0)
    rows = [
        [WAITING(waiting_label(lang, waiting), 0)],
        [EXPORT(label(lang, "📥 Mid-term evaluation (XLSX)"))],
    ]
    await reply(update, context, "mentors/figures", keyboard(rows), edit=edit, figures=figures)


@FIGURES.handles
async def figures_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await show_figures(update, context, edit=True)


@WAITING.handles
async def waiting_page(update: Update, context: JinroContext, page: int) -> None:
    async with context.db.read() as conn:
        shown = await fetch_page(store.open_for_staff, conn, index=page, size=PAGE)
    await answer_query(update)
    # What is read: the students' first names and schools.
    await audit_read(context, "mentor_requests", None, page=page, rows=len(shown.items))
    lang = context.lang
    rows = priority_rows(
        shown.items,
        PRIORITY,
        page,
        lambda r: (
            f"{store.first_name(r.requester_name)} · {r.school} · {field_name(lang, r.field)}"[:55]
        ),
    )
    await reply_page(
        update,
        context,
        "mentors/waiting",
        shown,
        shown.markup(lang, rows, WAITING, below=[[FIGURES(label(lang, "◀ Mentoring figures"))]]),
        edit=True,
        requests=shown.items,
        first_name=store.first_name,
        tz=context.tz,
    )


def priority_rows(requests, button: Button, page: int, line: Callable[[Row], str]) -> list:
    """A row a request, ⭐ when it is marked priority (☆ when not) before `line(request)`:
    pressing it toggles the mark and shows `page` again (staff's and teachers' lists)."""
    return [[button(("⭐ " if r.priority else "☆ ") + line(r), r.id, page)] for r in requests]


@PRIORITY.handles
async def priority_pressed(update: Update, context: JinroContext, request_id: int, page: int):
    await toggle_priority(context, request_id)
    await waiting_page(update, context, page)


async def toggle_priority(context: JinroContext, request_id: int) -> None:
    """Mark the request priority or take the mark off (staff, or the student's teacher: the
    storage checks which); NotFound when it is not theirs to mark (the router answers it as
    a missing request)."""
    async with context.db.write() as conn:
        found = await store.get(conn, request_id)
        if found is None:
            raise NotFound
        await store.set_priority(
            conn, request_id, context.user, not found.priority, now=context.now
        )


# The evaluation file's columns (storage.mentors.reports.HEADERS), in the reader's language.
FILE_HEADERS = (
    N_("Name"),
    N_("Kind"),
    N_("Field"),
    N_("Organisation"),
    N_("Job title or major"),
    N_("Requests received"),
    N_("Accepted"),
    N_("Declined"),
    N_("No answer"),
    N_("Meetings held"),
    N_("Meeting time (minutes)"),
    N_("Average rating"),
    N_("Ratings"),
    N_("Average answer time (hours)"),
)
FILE_KINDS = {"professional": N_("Professional"), "university": N_("University student")}


def _file_words(lang: str) -> reports.Words:
    return reports.Words(
        sheet=label(lang, "Mentor mid-term evaluation"),
        headers=tuple(label(lang, header) for header in FILE_HEADERS),
        kinds={kind: label(lang, name) for kind, name in FILE_KINDS.items()},
        field_name=partial(field_name, lang),
    )


@EXPORT.handles
async def export_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    async with context.db.read() as conn:
        made = await reports.evaluation(
            conn, now=context.now, tz=context.tz, words=_file_words(context.lang)
        )
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
