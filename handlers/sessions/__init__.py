"""The experience site's side of booking: /sessions lists the site's sessions with seats and
the roster; the site adds a session, changes a capacity, cancels a session (everyone booked
and their teachers are told) and takes attendance on the day (the teachers are told).

A site user acts only on sessions of its own site's programmes: every button and typed step
reloads the session with the site's id, and another site's session gets the same answer as
a missing one.

Flows (users.flow; data in users.flow_data):
    ss.start → ss.end → ss.cap → ss.place → ss.deadline → ss.confirm   adding a session,
        {"p": programme, "s": start, "e": end (ISO, UTC), "c": capacity, "pl": place, "u": link}
    ss.size {"s": session}              typing a new capacity
    ss.why {"s": session} → ss.sure {"s": session, "r": reason}   cancelling a session
Callback data: ss:pg:N list page · ss:s:ID:N a session (N: the list page to go back to) ·
ss:c:ID capacity · ss:x:ID cancel? · ss:xy:ID cancel! · ss:at:ID:P attendance page ·
ss:am:BOOKING:P attended/no-show · ss:aa:ID:P all others attended · ss:ad:ID done, tell the
teachers · ss:n add · ss:np:PROGRAMME · ss:du:MINUTES · ss:dc usual capacity · ss:pl usual
place · ss:dl:DAYS deadline · ss:ok add it · ss:no drop it.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import requires, route_button, stale_button
from handlers.sessions.adding import (
    add_now,
    deadline_pressed,
    drop_add,
    duration_pressed,
    pick_program,
    program_picked,
    usual_place,
    usual_seats,
)
from handlers.sessions.attendance import (
    all_attended,
    attendance,
    report_attendance,
    toggle_attendance,
)
from handlers.sessions.changes import ask_capacity, ask_reason, cancel_now
from handlers.sessions.helpers import _site_id
from handlers.sessions.listing import list_page, open_session, sessions_command
from handlers.sessions.news import OUTGOING as OUTGOING  # the outbox kinds this area sends
from storage.models import Role

# ----- routing --------------------------------------------------------------------------------


# action -> (handler, how many integer parts follow it)
BUTTONS = {
    "pg": (list_page, 1),
    "s": (open_session, 2),
    "c": (ask_capacity, 1),
    "x": (ask_reason, 1),
    "xy": (cancel_now, 1),
    "at": (attendance, 2),
    "am": (toggle_attendance, 2),
    "aa": (all_attended, 2),
    "ad": (report_attendance, 1),
    "n": (pick_program, 0),
    "np": (program_picked, 1),
    "du": (duration_pressed, 1),
    "dc": (usual_seats, 0),
    "pl": (usual_place, 0),
    "dl": (deadline_pressed, 1),
    "ok": (add_now, 0),
    "no": (drop_add, 0),
}


@requires(Role.SITE)
async def on_button(update: Update, context: JinroContext) -> None:
    if _site_id(context) is None:
        await stale_button(update, context)
        return
    await route_button(update, context, BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("sessions", sessions_command),
        CallbackQueryHandler(on_button, pattern=r"^ss:"),
    ]
