"""The experience site's side of booking: /sessions lists the site's sessions with seats and
the roster (and prints it: an XLSX of the session, or of one class booking with its teacher);
the site adds a session, changes a capacity, cancels a session (everyone booked
and their teachers are told) and takes attendance on the day (the teachers are told).

A site user acts only on sessions of its own site's programmes: every button and typed step
reloads the session with the site's id, and another site's session gets the same answer as
a missing one.

Flows (users.flow; data in users.flow_data):
    ss.start → ss.end → ss.cap → ss.place → ss.deadline → ss.confirm   adding a session,
        {"p": programme, "s": start, "e": end (ISO, UTC), "c": capacity, "pl": place, "u": link,
         "wk": the start was typed as weekly (one session is added; the site is told)}
    ss.size {"s": session}              typing a new capacity
    ss.why {"s": session} → ss.sure {"s": session, "r": reason}   cancelling a session
Buttons: handlers/sessions/buttons.py.
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler

# Imported for their buttons' handlers (each binds itself with @BUTTON.handles).
from handlers.sessions import adding, attendance, changes, rosters  # noqa: F401
from handlers.sessions.listing import sessions_command
from handlers.sessions.news import OUTGOING as OUTGOING  # the outbox kinds this area sends


def handlers() -> list[BaseHandler]:
    return [CommandHandler("sessions", sessions_command)]
