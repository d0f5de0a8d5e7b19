"""Fair opening of popular sessions (staff): a per-school cap, an opening time, a lottery.

Staff reach it from a programme card ("⚖️ Fair opening" under each session). Buttons:
handlers/fair/buttons.py.
"""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    days,
    keyboard,
    reply,
    set_flow,
    stale_button,
    text_step,
)
from handlers.fair.buttons import ASK_LOTTERY, ASK_OPENING, CLEAR, SET_CAP, SETTINGS
from messages import label
from storage import bookings as store
from storage import moments
from storage import users as users_store
from storage.errors import NotFound

CAPS = (1, 2, 3, 5, 10)
ASKED = {"o": "opens_at", "l": "lottery_until"}


@SETTINGS.handles
async def settings_pressed(update: Update, context: JinroContext, session_id: int) -> None:
    await answer_query(update)
    await show(update, context, session_id)


async def show(update: Update, context: JinroContext, session_id: int, *, edit=True) -> None:
    async with context.db.read() as conn:
        session = await store.session_view(conn, session_id)
    if session is None:
        await stale_button(update, context)
        return
    lang = context.lang
    caps = [
        SET_CAP(("• " if session.school_cap == k else "") + str(k), session_id, k) for k in CAPS
    ]
    rows = [
        [*caps, SET_CAP(label(lang, "no cap"), session_id, 0)],
        [
            ASK_OPENING(label(lang, "🕘 Set opening time"), session_id),
            CLEAR(label(lang, "✕ none"), session_id, "o"),
        ],
    ]
    if session.lottery_seed is None:
        rows.append(
            [
                ASK_LOTTERY(label(lang, "🎲 Set lottery deadline"), session_id),
                CLEAR(label(lang, "✕ none"), session_id, "l"),
            ]
        )
    await reply(
        update,
        context,
        "fair/show",
        keyboard(rows),
        edit=edit,
        session=session,
        tz=context.tz,
    )


async def change(update: Update, context: JinroContext, session_id: int, **values) -> None:
    """Save and show the settings again. A session gone meanwhile (or a drawn lottery's
    deadline) raises NotFound: the router's stale answer to a press."""
    async with context.db.write() as conn:
        await store.set_fair_opening(conn, session_id, context.user.id, now=context.now, **values)
    await answer_query(update, label(context.lang, "Saved."))
    await show(update, context, session_id, edit=update.callback_query is not None)


@SET_CAP.handles
async def cap_pressed(update: Update, context: JinroContext, session_id: int, cap: int) -> None:
    await change(update, context, session_id, school_cap=cap or None)


@CLEAR.handles
async def clear_pressed(update: Update, context: JinroContext, session_id: int, what: str):
    await change(update, context, session_id, **{ASKED[what]: None})


async def ask_moment(update: Update, context: JinroContext, session_id: int, what: str) -> None:
    await answer_query(update)
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(
            conn, context.user.id, "fo.when", {"session": session_id, "what": what}
        )
    await reply(update, context, "fair/ask_moment", edit=True, what=what)


@text_step("fo.when")
async def moment_typed(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data
    text = " ".join(update.message.text.split())
    tz = context.tz
    try:
        # after now: "수요일 10시" typed on a Wednesday afternoon is next week's
        moment = moments.moment(text, context.today, tz, after=context.now)
    except days.NotADay:
        moment = None
    if moment is None:
        await reply(update, context, "fair/bad_moment", text=text[:40])
        return
    await set_flow(context, None)
    try:
        await change(update, context, data["session"], **{ASKED[data["what"]]: moment})
    except NotFound:
        pass  # the session went away (or its lottery was drawn) meanwhile: nothing saved


ASK_OPENING.handles(partial(ask_moment, what="o"))
ASK_LOTTERY.handles(partial(ask_moment, what="l"))


def handlers() -> list[BaseHandler]:
    return []  # no commands: staff come from a programme card, and every press is a button
