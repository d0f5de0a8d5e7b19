"""/start: deep links (invites, guardian consent, shared programmes), and the role choice of
someone new."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply, start_link_for, text_step
from handlers.onboarding.buttons import ROLE, SWITCH_LANGUAGE
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
            [ROLE(label(lang, "I'm a student"), "student")],
            [
                ROLE(
                    label(lang, "I have an invite (teacher, site, mentor, parent team, staff)"),
                    "invite",
                )
            ],
            [SWITCH_LANGUAGE(label(lang, "Switch language"))],
        ]
    )
    await reply(update, context, "onboarding/welcome", markup, edit=edit, unknown_link=unknown_link)


@ROLE.handles
async def on_role(update: Update, context: JinroContext, role: str) -> None:
    await answer_query(update)
    if role == "student":
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, "ob.school")
        await reply(update, context, "onboarding/ask_school", edit=True)
    else:  # an invite: its code is typed (or the link opened)
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, "ob.code")
        await reply(update, context, "onboarding/ask_code", edit=True)


@SWITCH_LANGUAGE.handles
async def toggle_language(update: Update, context: JinroContext) -> None:
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
