"""A mentor who has just joined is asked for their free times at once, with the button into
/slots: a request reaches a mentor only at a free time, so a mentor without one would wait for
requests that never come."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import keyboard, reply
from handlers.mentors.buttons import ADD_SLOT
from messages import label
from storage import mentors as mentors_store
from storage.models import Role


async def ask_for_free_times(update: Update, context: JinroContext) -> None:
    """After a mentor's profile is done: ask for free times when they have none to come."""
    user = context.user
    if user.role != Role.MENTOR or user.mentor_id is None:
        return
    async with context.db.read() as conn:
        free = await mentors_store.free_openings(
            conn, user.mentor_id, now=context.now, tz=context.tz
        )
    if free:
        return
    markup = keyboard([[ADD_SLOT(label(context.lang, "➕ Add a free time"))]])
    await reply(update, context, "onboarding/ask_free_times", markup)
