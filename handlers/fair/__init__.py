"""Fair opening of popular sessions (staff): a per-school cap, an opening time, a lottery.

Staff reach it from a programme card ("⚖️ Fair opening" under each session). Callback
data: fo:s:SESSION show · fo:c:SESSION:K cap (0 = none) · fo:o:SESSION / fo:l:SESSION ask
for the opening time / lottery deadline (typed) · fo:x:SESSION:o|l clear one.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    callback_parts,
    days,
    int_part,
    keyboard,
    reply,
    requires,
    stale_button,
    text_step,
)
from handlers.fair.buttons import SETTINGS
from messages import label
from storage import bookings as store
from storage import users as users_store
from storage.errors import NotFound
from storage.models import Role

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
        (("• " if session.school_cap == k else "") + str(k), f"fo:c:{session_id}:{k}") for k in CAPS
    ]
    rows = [
        [*caps, (label(lang, "no cap"), f"fo:c:{session_id}:0")],
        [
            (label(lang, "🕘 Set opening time"), f"fo:o:{session_id}"),
            (label(lang, "✕ none"), f"fo:x:{session_id}:o"),
        ],
    ]
    if session.lottery_seed is None:
        rows.append(
            [
                (label(lang, "🎲 Set lottery deadline"), f"fo:l:{session_id}"),
                (label(lang, "✕ none"), f"fo:x:{session_id}:l"),
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
    try:
        async with context.db.write() as conn:
            await store.set_fair_opening(
                conn, session_id, context.user.id, now=context.now, **values
            )
    except NotFound:
        await stale_button(update, context)
        return
    await answer_query(update, label(context.lang, "Saved."))
    await show(update, context, session_id, edit=update.callback_query is not None)


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
        moment = days.parse_moment(text, context.now.astimezone(tz).date(), tz)
    except days.NotADay:
        moment = None
    if moment is None:
        await reply(update, context, "fair/bad_moment", text=text[:40])
        return
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await change(update, context, data["session"], **{ASKED[data["what"]]: moment})


@requires(Role.STAFF)
async def on_fair_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    action, session_id = (parts[1] if len(parts) > 1 else ""), int_part(parts, 2)
    if session_id is None:
        await stale_button(update, context)
    elif action == "c" and int_part(parts, 3) is not None and int_part(parts, 3) <= 100:
        await change(update, context, session_id, school_cap=int_part(parts, 3) or None)
    elif action in ASKED and len(parts) == 3:
        await ask_moment(update, context, session_id, action)
    elif action == "x" and len(parts) == 4 and parts[3] in ASKED:
        await change(update, context, session_id, **{ASKED[parts[3]]: None})
    else:
        await stale_button(update, context)


def handlers() -> list[BaseHandler]:
    return [CallbackQueryHandler(on_fair_button, pattern=r"^fo:")]
