"""Site safety inspections in the chat (storage/inspections/). Staff follow the year's
progress and give sites to parent monitors (/inspections) and keep the checklist
(/checklist); a monitor picks due sites of their district, fills the checklist item by item
(a result each, an optional photo and note) and gives the overall result. Staff, the
inspecting monitor and the site's own people open an inspection's details, photos too.
Also what the outbox sends about inspections (REMINDERS, KEYBOARDS).

The routes are here; the screens are in home (/inspections), sites (lists of sites,
picking), staff (assigning, cancelling), walk (the checklist item by item), result,
details, checklist (/checklist) and news (the outbox).

Where a monitor is in an inspection is in the database (the items' answers and
users.flow), so /inspections carries on after a restart at the first unanswered item.

Flows (users.flow; data in users.flow_data):
    is.fill {"i", "p"}          filling inspection i at item p: a button is expected (a photo
                                is taken for the item too)
    is.att {"i", "p"}           a photo (with or without a caption) or a note for item p
    is.result {"i"}             every item answered: the overall result's button is expected
    is.note {"i", "r"}          an optional overall note for result r
    is.confirm {"i", "r", "n"}  the last confirm
    is.find                     staff type part of a site's name
    ck.add                      staff type a new checklist item
Callback data: is:h home. Staff: is:ln:P never inspected · is:lx:P running out · is:lo:P
open · is:lr recent · is:fd find a site · is:ps:S monitors for site S · is:as:S:M assign ·
is:c:I cancel? · is:cy:I cancel! Monitors: is:pl:P sites to pick · is:pk:S pick · is:st:I
start or go on · is:a:I:P:R item P's result (pass|fix|fail) · is:n:I:P photo or note ·
is:q:I:P show item P · is:sm:I the summary · is:r:I:R the result (passed|needs_fix|failed) ·
is:nn:I no note · is:f:I confirm. Viewers: is:v:I details · is:ph:I photos. The
checklist: ck:h · ck:t:ID on or off · ck:a add. Ids are never trusted: each press reloads
the inspection and checks who may act on it.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import callback_parts, int_part, requires, stale_button
from handlers.inspections.checklist import (
    add_pressed,
    checklist_command,
    checklist_pressed,
    toggle_pressed,
)
from handlers.inspections.details import detail, photos_pressed
from handlers.inspections.home import home_pressed, inspections_command
from handlers.inspections.news import KEYBOARDS, OUTGOING, REMINDERS
from handlers.inspections.result import confirm_pressed, no_note, result_pressed, summary_pressed
from handlers.inspections.sites import expiring_list, never_list, pick_list, pick_pressed
from handlers.inspections.staff import (
    ask_cancel,
    ask_find,
    assign_pressed,
    cancel_pressed,
    choose_monitor,
    open_page,
    recent_list,
)
from handlers.inspections.walk import answer_pressed, attach_pressed, back_pressed, start_pressed
from storage import inspections as store
from storage.models import Role

# bot/app.py registers handlers() and the outbox kinds (OUTGOING).
__all__ = ["KEYBOARDS", "OUTGOING", "REMINDERS", "handlers"]

# action -> (handler, how many integer parts follow it, roles that may press it)
STAFF, MONITOR, VIEWERS = (Role.STAFF,), (Role.MONITOR,), (Role.STAFF, Role.MONITOR, Role.SITE)
BUTTONS = {
    "h": (home_pressed, 0, (Role.STAFF, Role.MONITOR)),
    "ln": (never_list, 1, STAFF),
    "lx": (expiring_list, 1, STAFF),
    "lo": (open_page, 1, STAFF),
    "lr": (recent_list, 0, STAFF),
    "fd": (ask_find, 0, STAFF),
    "ps": (choose_monitor, 1, STAFF),
    "as": (assign_pressed, 2, STAFF),
    "c": (ask_cancel, 1, STAFF),
    "cy": (cancel_pressed, 1, STAFF),
    "pl": (pick_list, 1, MONITOR),
    "pk": (pick_pressed, 1, MONITOR),
    "st": (start_pressed, 1, MONITOR),
    "n": (attach_pressed, 2, MONITOR),
    "q": (back_pressed, 2, MONITOR),
    "sm": (summary_pressed, 1, MONITOR),
    "nn": (no_note, 1, MONITOR),
    "f": (confirm_pressed, 1, MONITOR),
    "v": (detail, 1, VIEWERS),
    "ph": (photos_pressed, 1, VIEWERS),
}
# Actions whose last part is a word: (how many integer parts before it, the words, roles).
WORD_BUTTONS = {
    "a": (answer_pressed, 2, store.ITEM_RESULTS, MONITOR),
    "r": (result_pressed, 1, store.RESULTS, MONITOR),
}


async def on_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    role = context.user.role if context.user is not None else None
    if action in WORD_BUTTONS:
        handler, count, words, roles = WORD_BUTTONS[action]
        numbers = [int_part(parts, 2 + n) for n in range(count)]
        if (
            len(parts) != 3 + count
            or None in numbers
            or parts[-1] not in words
            or role not in roles
        ):
            await stale_button(update, context)
            return
        await handler(update, context, *numbers, parts[-1])
        return
    handler, count, roles = BUTTONS.get(action, (None, 0, ()))
    numbers = [int_part(parts, 2 + n) for n in range(count)]
    if handler is None or len(parts) != 2 + count or None in numbers or role not in roles:
        await stale_button(update, context)
        return
    await handler(update, context, *numbers)


@requires(Role.STAFF)
async def on_checklist_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if parts == ["ck", "h"]:
        await checklist_pressed(update, context)
    elif parts == ["ck", "a"]:
        await add_pressed(update, context)
    elif len(parts) == 3 and parts[1] == "t" and int_part(parts, 2) is not None:
        await toggle_pressed(update, context, int_part(parts, 2))
    else:
        await stale_button(update, context)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("inspections", inspections_command),
        CommandHandler("checklist", checklist_command),
        CallbackQueryHandler(on_button, pattern=r"^is:"),
        CallbackQueryHandler(on_checklist_button, pattern=r"^ck:"),
    ]
