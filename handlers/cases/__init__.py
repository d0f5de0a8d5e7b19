"""Cases (중재) in the chat: opening one about a booking, the thread relayed between its
student, teacher and site and the parent monitor who mediates, proposals and their answers,
escalation to staff, closing; /cases lists a person's open cases. Also what the outbox says
about cases (REMINDERS) and the clock's step that keeps the service levels (clock_tick).

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
A message answering a relayed one with Telegram's reply (it carries cs:re:C) goes to case C
when the person is in no other flow.
Callback data: cs:l:P list page · cs:v:C:P case C, P pages of its thread back (0: the
latest) · cs:o:C case C as a new message (under relayed ones) · cs:re:C write to everyone ·
cs:n / cs:nb:P bookings to open a case about · cs:ns:S a session's bookings (a site's
roster) · cs:new:B booking B · cs:k:B:K kind K · cs:go send · cs:x drop · cs:pp:C whom
privately? · cs:pv:C:N:TAG the N-th party · cs:pr:C propose · cs:ok:C:M / cs:no:C:M accept
or reject proposal M · cs:up:C / cs:upy:C escalate? / ! · cs:cl:C outcome? · cs:co:C:O
outcome O, note? · cs:cz:C:O close without a note · cs:as:C:A monitors to assign (A 0: the
district's free ones, 1: all) · cs:am:C:A:N:TAG assign the N-th of that list · cs:tk:C a
monitor takes a case nobody mediates · cs:pa:1|0 a monitor pauses or resumes. Every id is
checked against the presser: a case they may not read gets the same answer as a missing
one.

The package: common (pages, buttons, refusals, small helpers), viewing (/cases, one case),
opening, writing (posts, replies, answers to proposals, typed text and files), mediating
(escalate, close, assign, take), composers (the outbox's texts, the clock); here the routing.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import JinroContext
from handlers.cases.common import FLOWS_WITH_PHOTOS, PEOPLE
from handlers.cases.composers import OUTGOING, REMINDERS, clock_tick
from handlers.cases.mediating import (
    ask_outcome,
    close_without_note,
    escalate_now,
    escalate_pressed,
    monitor_chosen,
    note_typed,
    outcome_chosen,
    pick_monitor,
    take_pressed,
)
from handlers.cases.opening import (
    drop_pressed,
    first_message,
    kind_chosen,
    kind_typed,
    new_pressed,
    pick_booking,
    send_case,
)
from handlers.cases.viewing import (
    cases_command,
    list_page,
    open_case_pressed,
    pause_pressed,
    show_case,
    show_list,
    view_case,
)
from handlers.cases.writing import (
    _AnswersACase,
    answer_pressed,
    button_expected,
    file_sent,
    party_chosen,
    pick_party,
    post_typed,
    propose_pressed,
    reply_pressed,
    telegram_reply,
)
from handlers.common import file_step, requires, route_button, text_step

__all__ = [
    "BUTTONS",
    "OUTGOING",
    "REMINDERS",
    "clock_tick",
    "handlers",
    "on_button",
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


# ----- routing --------------------------------------------------------------------------------

# action -> (handler, how many integer parts follow it)
BUTTONS = {
    "l": (list_page, 1),
    "v": (view_case, 2),
    "o": (open_case_pressed, 1),
    "re": (reply_pressed, 1),
    "n": (new_pressed, 0),
    "nb": (pick_booking, 1),
    "k": (kind_chosen, 2),
    "go": (send_case, 0),
    "x": (drop_pressed, 0),
    "pp": (pick_party, 1),
    "pv": (party_chosen, 3),
    "pr": (propose_pressed, 1),
    "ok": (answer_pressed, 2),
    "no": (answer_pressed, 2),
    "up": (escalate_pressed, 1),
    "upy": (escalate_now, 1),
    "cl": (ask_outcome, 1),
    "co": (outcome_chosen, 2),
    "cz": (close_without_note, 2),
    "as": (pick_monitor, 2),
    "am": (monitor_chosen, 4),
    "tk": (take_pressed, 1),
    "pa": (pause_pressed, 1),
}


@requires(*PEOPLE)
async def on_button(update: Update, context: JinroContext) -> None:
    await route_button(update, context, BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("cases", cases_command),
        CallbackQueryHandler(on_button, pattern=r"^cs:"),
        MessageHandler(
            _AnswersACase() & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO),
            telegram_reply,
        ),
    ]
