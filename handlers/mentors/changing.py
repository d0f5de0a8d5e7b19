"""Changing a waiting request in one tap, as its screen suggests (storage.mentors.alternatives):
any time instead of the times chosen, a related field, another way of meeting. The question
and the place in line stay; the request is matched again at once, as when it was sent, and
its screen shows it as it is now."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, speaks_formally
from handlers.common.buttons import audit_refusal
from handlers.mentors.buttons import CHANGE_ANY_TIME, CHANGE_FIELD, CHANGE_MODE
from handlers.mentors.common import field_tag
from handlers.mentors.request import show_request
from messages import label
from messages.labels import N_
from storage import mentors as store
from storage.errors import AlreadyHandled, NotFound


@CHANGE_ANY_TIME.handles
async def any_time_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    await _change(update, context, request_id, any_time=True)


@CHANGE_FIELD.handles
async def field_pressed(
    update: Update, context: JinroContext, request_id: int, index: int, tag: int
) -> None:
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
    if index >= len(names) or field_tag(names[index]) != tag:
        raise NotFound  # the fields changed since the button was shown, or a forged one
    await _change(update, context, request_id, field=names[index])


@CHANGE_MODE.handles
async def mode_pressed(update: Update, context: JinroContext, request_id: int, mode: str) -> None:
    await _change(update, context, request_id, mode=mode)


async def _change(update: Update, context: JinroContext, request_id: int, **change) -> None:
    """Someone else's request or a forged choice (NotFound) gets the router's stale answer."""
    formal = speaks_formally(context.user)
    try:
        async with context.db.write() as conn:
            offered = await store.change_request(
                conn,
                request_id,
                context.user,
                now=context.now,
                window=context.settings.mentor_answer,
                tz=context.tz,
                **change,
            )
    except AlreadyHandled:  # taken meanwhile, or changed so already: the request as it is now
        await audit_refusal(context, "already_handled")
        changed = (
            N_("The request's status changed meanwhile.")
            if formal
            else N_("This request has changed meanwhile.")
        )
        await answer_query(update, label(context.lang, changed), alert=True)
        await show_request(update, context, request_id)
        return
    done = N_("The request has been changed.") if formal else N_("Your request is changed.")
    await answer_query(update, label(context.lang, done))
    if offered is not None:
        outbox.kick(context)  # the mentor's offer
    await show_request(update, context, request_id)
