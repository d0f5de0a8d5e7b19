"""/start: deep links (invites, guardian consent, shared programmes), and the role choice of
someone new."""

from __future__ import annotations

from functools import cache

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    is_guardian,
    keyboard,
    reply,
    set_flow,
    start_link_for,
    text_step,
)
from handlers.common.handled import asked, prompt_of
from handlers.common.small_talk import small_talk
from handlers.onboarding.buttons import ROLE, SWITCH_LANGUAGE
from handlers.onboarding.common import in_both_languages, typed_choice
from handlers.onboarding.waiting import see_them, waiting_for
from messages import label
from storage import users as users_store

# ----- /start ---------------------------------------------------------------------------------


async def start(update: Update, context: JinroContext) -> None:
    parameter = context.args[0] if context.args else ""
    opens = start_link_for(parameter) if parameter else None
    if opens is not None:
        await opens(update, context, parameter)
    elif context.user.role is not None:
        if context.first_visit:  # a role given before they came (ADMIN_IDS)
            await reply(update, context, "onboarding/welcome_first", user=context.user)
        else:
            waiting = await waiting_for(context)
            await reply(
                update,
                context,
                "onboarding/welcome_back",
                see_them(context, waiting),
                user=context.user,
                waiting=waiting,
            )
    elif is_guardian(context.user):
        # Someone who answered a student's consent request: a guardian, not a newcomer to
        # be asked whether they are a student (an invite still comes as its own link).
        await reply(update, context, "help/guardian", user=context.user)
    else:
        await ask_role(update, context, unknown_link=bool(parameter))


async def ask_role(
    update: Update, context: JinroContext, *, edit: bool = False, unknown_link: bool = False
) -> None:
    earlier = prompt_of(context.user.flow_data)  # the welcome asked before: its buttons go
    await set_flow(context, "ob.role")
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
    shown = await reply(
        update, context, "onboarding/welcome", markup, edit=edit, unknown_link=unknown_link
    )
    await asked(context, shown, earlier)


@ROLE.handles
async def on_role(update: Update, context: JinroContext, role: str) -> None:
    await answer_query(update)
    if role == "student":
        await set_flow(context, "ob.school")
        await reply(update, context, "onboarding/ask_school", edit=True)
    else:  # an invite: its code is typed (or the link opened)
        await set_flow(context, "ob.code")
        await reply(update, context, "onboarding/ask_code", edit=True)


@SWITCH_LANGUAGE.handles
async def toggle_language(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    async with context.db.write() as conn:
        context.user = await users_store.change(
            conn, context.user.id, lang="en" if context.lang == "ko" else "ko"
        )
    await ask_role(update, context, edit=True)


@cache
def roles() -> dict:
    """What a newcomer may type for the two buttons (their labels, the plain words)."""
    invite = "I have an invite (teacher, site, mentor, parent team, staff)"
    return {
        "student": ("학생", "student", *in_both_languages("I'm a student")),
        "invite": ("초대", "invite", *in_both_languages(invite)),
    }


@text_step("ob.role")
async def role_text(update: Update, context: JinroContext) -> None:
    """ "학생" or a button's label typed counts as pressed; a greeting or a call for help gets
    the welcome again (it greets and says what to do); other text: the buttons again."""
    role = typed_choice(update.message.text, roles())
    if role is not None:
        await on_role(update, context, role)
        return
    if small_talk(update.message.text) is None:
        await reply(update, context, "common/press_button")
    await ask_role(update, context)
