"""/start: deep links (invites, guardian consent, shared programmes), and the role choice of
someone new."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    callback_parts,
    keyboard,
    reply,
    stale_button,
    start_link_for,
    text_step,
)
from messages import label
from storage import users as users_store

# ----- /start ---------------------------------------------------------------------------------


async def start(update: Update, context: JinroContext) -> None:
    parameter = context.args[0] if context.args else ""
    opens = start_link_for(parameter) if parameter else None
    if opens is not None:
        await opens(update, context, parameter)
    elif context.user.role is not None:
        await reply(update, context, "onboarding/welcome_back", user=context.user)
    else:
        await ask_role(update, context, unknown_link=bool(parameter))


async def ask_role(
    update: Update, context: JinroContext, *, edit: bool = False, unknown_link: bool = False
) -> None:
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, "ob.role")
    lang = context.lang
    markup = keyboard(
        [
            [(label(lang, "I'm a student"), "ob:role:student")],
            [
                (
                    label(lang, "I have an invite (teacher, site, mentor, parent team, staff)"),
                    "ob:role:invite",
                )
            ],
            [(label(lang, "Switch language"), "ob:lang")],
        ]
    )
    await reply(update, context, "onboarding/welcome", markup, edit=edit, unknown_link=unknown_link)


async def on_role(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if context.user.flow != "ob.role" or len(parts) != 3:
        await stale_button(update, context)
        return
    await answer_query(update)
    if parts[2] == "student":
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, "ob.school")
        await reply(update, context, "onboarding/ask_school", edit=True)
    elif parts[2] == "invite":
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, "ob.code")
        await reply(update, context, "onboarding/ask_code", edit=True)
    else:
        await stale_button(update, context)


async def toggle_language(update: Update, context: JinroContext) -> None:
    if context.user.flow != "ob.role":
        await stale_button(update, context)
        return
    await answer_query(update)
    async with context.db.write() as conn:
        context.user = await users_store.change(
            conn, context.user.id, lang="en" if context.lang == "ko" else "ko"
        )
    await ask_role(update, context, edit=True)


@text_step("ob.role")
async def role_text(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")
    await ask_role(update, context)
