"""The mentor's commands and buttons: /profile, /slots, mn:* (the profile and slots) and mr:*
(a request).

Flows (users.flow; data in users.flow_data):
    mn.title, mn.bio        typing the job title (or major), the introduction
    mn.slot                 typing a free time
    mn.decline {"r"}        an optional reason for declining
    mn.link {"r", "t"}      the online link of the meeting at time t (ISO)
    mn.place {"r", "t"}     the place of a school visit
    mn.cancel {"r"}         why the meeting is off
    mn.note {"r"}           a note after logging
Callback data: mn:* the profile and slots (mn:f:P fields page · mn:ft:I:P:TAG toggle a field ·
mn:t title · mn:b introduction · mn:m:MODE · mn:d:I district · mn:x limit · mn:xo:N ·
mn:p:1|0 pause/resume · mn:s slots · mn:sa add · mn:sd:ID delete · mn:pr the profile);
mr:* a request (mr:v:R view · mr:a:R accept · mr:d:R decline? · mr:dn:R without a reason ·
mr:k:R keep it · mr:tm:R times · mr:t:R:MINUTES a time (Unix minutes) · mr:pl:R at the
school · mr:c:R cancel the meeting? · mr:h:R:MIN held · mr:hm:R other length · mr:nh:R
not held · mr:ns skip the note · mr:b the desk). R is a request id, always checked against
the pressing mentor.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import callback_parts, requires, route_button, stale_button
from handlers.mentors.answers import (
    accept_pressed,
    ask_time,
    at_school,
    decline_now,
    decline_pressed,
    keep_pressed,
    time_chosen,
)
from handlers.mentors.common import _mentor_id
from handlers.mentors.desk import board_pressed, view_request
from handlers.mentors.meetings import (
    cancel_pressed,
    held_pressed,
    not_held_pressed,
    other_length,
    skip_note,
)
from handlers.mentors.profile import (
    ask_bio,
    ask_limit,
    ask_title,
    back_to_profile,
    fields_page,
    limit_chosen,
    pause,
    profile_command,
    toggle_district,
    toggle_field,
    toggle_mode,
)
from handlers.mentors.slots import add_slot_pressed, delete_slot, slots_command, slots_pressed
from storage import mentors as store
from storage.models import Role

# action -> (handler, how many integer parts follow it)
PROFILE_BUTTONS = {
    "pr": (back_to_profile, 0),
    "f": (fields_page, 1),
    "ft": (toggle_field, 3),
    "t": (ask_title, 0),
    "b": (ask_bio, 0),
    "d": (toggle_district, 1),
    "x": (ask_limit, 0),
    "xo": (limit_chosen, 1),
    "p": (pause, 1),
    "s": (slots_pressed, 0),
    "sa": (add_slot_pressed, 0),
    "sd": (delete_slot, 1),
}
REQUEST_BUTTONS = {
    "b": (board_pressed, 0),
    "v": (view_request, 1),
    "a": (accept_pressed, 1),
    "d": (decline_pressed, 1),
    "dn": (decline_now, 1),
    "k": (keep_pressed, 1),
    "tm": (ask_time, 1),
    "t": (time_chosen, 2),
    "pl": (at_school, 1),
    "c": (cancel_pressed, 1),
    "h": (held_pressed, 2),
    "hm": (other_length, 1),
    "nh": (not_held_pressed, 1),
    "ns": (skip_note, 0),
}


async def _route(update: Update, context: JinroContext, buttons: dict) -> None:
    parts = callback_parts(update)
    if parts[:2] == ["mn", "m"] and len(parts) == 3 and parts[2] in store.MODES:
        await toggle_mode(update, context, parts[2])
        return
    if _mentor_id(context) is None:
        await stale_button(update, context)
        return
    await route_button(update, context, buttons)


@requires(Role.MENTOR)
async def on_profile_button(update: Update, context: JinroContext) -> None:
    await _route(update, context, PROFILE_BUTTONS)


@requires(Role.MENTOR)
async def on_request_button(update: Update, context: JinroContext) -> None:
    await _route(update, context, REQUEST_BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("profile", profile_command),
        CommandHandler("slots", slots_command),
        CallbackQueryHandler(on_profile_button, pattern=r"^mn:"),
        CallbackQueryHandler(on_request_button, pattern=r"^mr:"),
    ]
