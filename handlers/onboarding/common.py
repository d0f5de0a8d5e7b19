"""Asking a joining person's name, with their Telegram name offered as a button, and taking
it, typed or pressed; a button's answer typed instead of pressed (typed_choice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply, stale_button, text_step
from handlers.common.buttons import Button
from handlers.common.handled import asked
from handlers.common.shorten import ask_to_shorten
from messages import LANGUAGES, label
from storage.names import NAME_MAX, name_refused, person_name, valid_name

NameTaker = Callable[[Update, JinroContext, str], Awaitable[None]]


async def ask_name(
    update: Update, context: JinroContext, template: str, button: Button, *, edit: bool = False
) -> None:
    """Ask with `template`; `button` takes the Telegram name instead."""
    suggestion = telegram_name(update)
    markup = None
    if suggestion:
        markup = keyboard([[button(label(context.lang, "Use “%(name)s”", name=suggestion))]])
    await asked(context, await reply(update, context, template, markup, edit=edit))


def telegram_name(update: Update) -> str | None:
    return person_name(update.effective_user.first_name, update.effective_user.last_name)


def name_step(flow: str, button: Button) -> Callable[[NameTaker], NameTaker]:
    """Decorate what a joining step does with a name: it is registered for the name typed in
    `flow` and for `button` (the Telegram name ask_name offered), and called only with a
    valid name; a bad one is answered, a Telegram name no longer usable (or forged) is a
    stale button."""

    def register(take: NameTaker) -> NameTaker:
        async def checked(update: Update, context: JinroContext, name: str) -> None:
            if not valid_name(name):
                refused = name_refused(name)
                await reply(update, context, "onboarding/bad_name", limit=NAME_MAX, refused=refused)
                return
            await take(update, context, name)

        @text_step(flow)
        async def typed(update: Update, context: JinroContext) -> None:
            name = " ".join(update.message.text.split())
            if len(name) > NAME_MAX:  # given back to shorten (a sentence, not just a name)
                await ask_to_shorten(update, context, len(name), NAME_MAX)
                return
            await checked(update, context, name)

        @button.handles
        async def pressed(update: Update, context: JinroContext) -> None:
            if telegram_name(update) is None:  # none usable now (changed since), or forged
                await stale_button(update, context)
                return
            await answer_query(update)
            await checked(update, context, telegram_name(update))

        return take

    return register


def plain(text: str) -> str:
    """Letters and digits only, folded: "2 학년!", "2학년" and "🎒 학생이에요" read alike."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def typed_choice(text: str, choices: dict) -> object | None:
    """The choice whose button someone typed instead of pressing: `choices` maps each value
    to the words that mean it; a button's label in either language always does."""
    typed = plain(text)
    if not typed:
        return None
    for value, words in choices.items():
        if typed in {plain(word) for word in words}:
            return value
    return None


def in_both_languages(msgid: str, **values) -> tuple[str, ...]:
    """A button's label as each language shows it: what a person may type for it."""
    return tuple(label(lang, msgid, **values) for lang in LANGUAGES)
