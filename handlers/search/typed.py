"""Typed text outside any other step (handlers/common route_text sends it here, flow "sr").

Words search programmes, but a greeting or a request for help ("안녕", "도와주세요", "what
can you do?") gets a short menu instead of "no programme matches": a student the things a
student does, an adult (teacher, site, mentor, monitor, staff) their role's commands, in
합니다체; thanks a short "you're welcome" and what to do next. An adult whose words find
nothing outside the /search panel gets those commands too (they may have meant one), never a
student's search answer.
"""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply, text_step
from handlers.common.small_talk import small_talk
from handlers.search.buttons import GO
from handlers.search.common import QUERY_MAX
from handlers.search.panel import search_command
from handlers.search.results import for_you_command, search_words
from messages import label
from storage.models import Role


@text_step("sr")
async def search_text(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())
    talk = small_talk(text)
    adult = context.user.role != Role.STUDENT
    if talk == "thanks":  # a short "you're welcome" and what to do next, not a search
        await reply(update, context, "common/thanks")
    elif talk and adult:
        await reply(update, context, "general/typed", kind=talk, role=context.user.role, query="")
    elif talk:
        await show_menu(update, context, talk)
    elif adult:
        # An adult's words find programmes too; when they find none, the adult gets what
        # their role can do (they may have meant a command), never the student's hints.
        async def commands(update: Update, context: JinroContext) -> None:
            await reply(
                update,
                context,
                "general/typed",
                kind="other",
                role=context.user.role,
                query=text[:QUERY_MAX],  # what was searched
            )

        await search_words(update, context, text, if_none=commands)
    else:
        await search_words(update, context, text)


async def show_menu(update: Update, context: JinroContext, kind: str) -> None:
    """What a student can do, short: find a programme (or just type a word), picks for
    them, their bookings, a mentor, and /help for the rest (`kind`: "greeting" says hi)."""
    lang = context.lang
    rows = [
        [GO(label(lang, "🔎 Find a programme"), "panel"), GO(label(lang, "✨ Picks for me"), "fy")]
    ]
    await reply(update, context, "general/menu", keyboard(rows), kind=kind, user=context.user)


@GO.handles
async def go_pressed(update: Update, context: JinroContext, where: str) -> None:
    await answer_query(update)
    if where == "fy":
        await for_you_command(update, context)
    else:
        await search_command(update, context)
