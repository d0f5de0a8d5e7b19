"""Commands every role has: /help, /cancel and /settings (language, optional reminders)."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CommandHandler

from bot import commands
from bot.context import JinroContext
from handlers.common import answer_query, is_guardian, keyboard, reply, set_flow
from handlers.common.buttons import Buttons, choice
from handlers.common.handled import settle_prompt
from handlers.common.questions import held, release
from messages import LANGUAGES, label
from messages.labels import LANGUAGE_NAMES, N_
from storage import users as users_store


def _own_reminder(context: JinroContext, values: tuple) -> bool:
    """One of the optional reminders of the user's role (each role has its own)."""
    return values[0] in users_store.OPTIONAL_REMINDERS.get(context.user.role, ())


# /settings' buttons: "lang:<language>" (anyone, joined or not) and "rm:<reminder kind>",
# an optional reminder turned on or off.
LANGUAGE = Buttons("lang").action("", choice(*LANGUAGES))
REMINDER = Buttons("rm", guard=_own_reminder).action(
    "", choice(*(kind for kinds in users_store.OPTIONAL_REMINDERS.values() for kind in kinds))
)


async def show_help(update: Update, context: JinroContext) -> None:
    user = context.user
    if is_guardian(user):  # a guest who answered a consent request: what a guardian can do
        await reply(update, context, "help/guardian", user=user)
        return
    await reply(update, context, f"help/{user.role or 'guest'}", user=user)


# Flows that only remember what the user is looking at (search results, a card, the filter
# panel), or a first question not yet answered (a newcomer's "who are you?"): nothing is in
# progress there, so /cancel has nothing to stop and must not say it threw something away
# (a child reads "취소했어요" as a cancelled booking).
VIEWING = ("sr", "sr.day", "ob.role")


async def cancel(update: Update, context: JinroContext) -> None:
    if held(context) is not None:  # a question only buttons answer: it stays, words are free
        await release(context)
        await reply(update, context, "common/question_left")
        return
    # The step's question loses its buttons: they would answer a step no longer open.
    await settle_prompt(context, context.user.flow_data)
    if context.user.flow is None or context.user.flow in VIEWING:
        if context.user.flow is not None:  # typed words later start a search afresh
            await set_flow(context, None)
        await reply(update, context, "common/nothing_to_cancel")
        return
    await set_flow(context, None)
    # A step may have shown a reply keyboard (a guardian's share-contact button): gone too.
    await reply(update, context, "common/cancelled", ReplyKeyboardRemove())


# What each optional reminder is called on its /settings button.
REMINDER_NAMES = {
    "student_survey": N_("Survey after a programme"),
    "teacher_digest": N_("Morning list of pending requests"),
    "teacher_expiring": N_("Requests about to expire"),
    "site_roster_day_before": N_("Roster the day before"),
    "site_roster_morning": N_("Roster on the morning"),
    "site_change": N_("Bookings and cancellations within 24 hours"),
    "staff_dead": N_("Daily list of undelivered reminders"),
}


def settings_keyboard(context: JinroContext, off: set[str]):
    lang = context.lang
    rows = [[LANGUAGE(LANGUAGE_NAMES[code], code) for code in LANGUAGES]]
    for kind in users_store.OPTIONAL_REMINDERS.get(context.user.role, ()):
        mark = "🔕" if kind in off else "🔔"
        rows.append([REMINDER(f"{mark} {label(lang, REMINDER_NAMES[kind])}", kind)])
    return keyboard(rows)


async def settings(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        off = await users_store.reminders_off(conn, context.user.id)
    await reply(
        update,
        context,
        "common/settings",
        settings_keyboard(context, off),
        edit=edit,
        role=context.user.role,
        optional=bool(users_store.OPTIONAL_REMINDERS.get(context.user.role)),
    )


@REMINDER.handles
async def toggle_reminder(update: Update, context: JinroContext, kind: str) -> None:
    async with context.db.write() as conn:
        off = await users_store.reminders_off(conn, context.user.id)
        await users_store.set_reminder(conn, context.user, kind, on=kind in off)
    lang = context.lang
    await answer_query(
        update, label(lang, "Turned on.") if kind in off else label(lang, "Turned off.")
    )
    await settings(update, context, edit=True)


@LANGUAGE.handles
async def choose_language(update: Update, context: JinroContext, lang: str) -> None:
    await answer_query(update)
    if lang == context.lang:  # already so: nothing to change, nothing to send again
        return
    async with context.db.write(idempotent=True) as conn:  # the same language if made again
        context.user = await users_store.change(conn, context.user.id, lang=lang)
    await reply(update, context, "common/language_set", edit=True)
    await commands.set_for_user(context, context.user)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("help", show_help),
        CommandHandler("cancel", cancel),
        CommandHandler("settings", settings),
    ]
