"""Cases (중재) in the chat: opening one about a booking, the thread relayed between its
student, teacher and site and the parent monitor who mediates, proposals and their answers,
bringing the student's teacher or the site in, escalation to staff, closing; /cases lists a
person's open cases. Also what the outbox says about cases (REMINDERS) and the clock's step
that keeps the service levels (clock_tick).

Nobody sees another person's Telegram account: every message is composed anew by the bot
with its sender's role and first name ("[학생] 민지"), never forwarded or copied, and no
button carries another person's user id (the mediator picks a party by its place in the
case's list and a check number, storage.cases.party_tag).

Flows (users.flow; data in users.flow_data):
    case.pick                   choosing the booking (buttons)
    case.kind {"b"}             choosing the kind (buttons)
    case.text {"b", "k"}        the first message: a text, or a photo with a caption
    case.confirm {"b", "k", "t", "p"}   the summary, to send or drop (buttons)
    case.reply {"c"}            a message to everyone in case c (a text or a photo)
    case.private {"c", "u"}     the mediator's private message to party u
    case.proposal {"c"}         the mediator's proposed resolution (a text)
    case.note {"c", "o"}        the closing note for outcome o (optional)
A message answering a relayed one with Telegram's reply (it carries the case's REPLY
button, cs:re:C) goes to case C when the person is in no other flow.
Buttons: handlers/cases/buttons.py. Every id is checked against the presser: a case they
may not read gets the same answer as a missing one.

The package: buttons (every button of the area), common (pages, refusals, small helpers),
viewing (/cases, one case), opening, writing (posts, replies, answers to proposals, typed
text and files), mediating (escalate, close, assign, take), joining (the mediator brings
the student's teacher or the site's people in), composers (the outbox's texts,
the clock); here the commands, the text steps and Telegram's replies. Each button's
handler binds itself where it is defined (@BUTTON.handles); importing the modules here
binds them all.
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from handlers.cases import joining  # noqa: F401  (binds its buttons)
from handlers.cases.common import FLOWS_WITH_PHOTOS
from handlers.cases.composers import OUTGOING, REMINDERS, clock_tick
from handlers.cases.mediating import note_typed
from handlers.cases.opening import first_message, kind_typed
from handlers.cases.viewing import cases_command, show_case, show_list
from handlers.cases.writing import (
    _AnswersACase,
    button_expected,
    file_sent,
    post_typed,
    telegram_reply,
)
from handlers.common import file_step, text_step

__all__ = [
    "OUTGOING",
    "REMINDERS",
    "clock_tick",
    "handlers",
    "show_case",
    "show_list",
]


# What typed text and photos do in each flow of this area (handlers/fallback.py routes them).
text_step("case.text")(first_message)
text_step("case.reply", "case.private", "case.proposal")(post_typed)
text_step("case.note")(note_typed)
text_step("case.kind")(kind_typed)
text_step("case.pick", "case.confirm")(button_expected)
file_step(
    *FLOWS_WITH_PHOTOS, "case.proposal", "case.note", "case.pick", "case.kind", "case.confirm"
)(file_sent)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("cases", cases_command),
        MessageHandler(
            _AnswersACase() & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO),
            telegram_reply,
        ),
    ]
