"""Broadcasts: staff announce to a chosen audience; a teacher to their school's students, a
site to the students booked on its sessions (same flow, audience limited by role; the limits
are kept in storage/broadcasts/ as well).

/broadcast asks for the message: a text (the author's bold, italic and links kept, as
Telegram's HTML), or a photo or file with a caption (its file_id is kept: it was uploaded
once, every copy reuses it). A draft row is written then; it shows a preview exactly as
recipients will see it, and the audience panel with the recipient count. Send now, or
schedule (a typed day and time), then a last confirm: only that writes the deliveries into
the outbox, which the dispatcher (handlers/outbox/) sends. The confirm message becomes
the progress message that `broadcast_tick` edits every few seconds (figures changed only),
then the final report with the CSV of the undelivered. /broadcasts lists them with figures.

Flows (users.flow; data {"b": the draft's id}):
    bc.text   the message is expected (text, or a photo/file); {} before the first draft
    bc.panel  the audience panel and its pickers (buttons only)
    bc.find   staff type part of a programme title
    bc.when   a day and time is typed
    bc.sure   the last confirm (buttons only)
Buttons: handlers/broadcasts/buttons.py (a draft's buttons answer only while it is the user's
current draft; a confirmed broadcast is steered by staff, or by its own author).
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler

# The text and file steps (bc.text, bc.find, bc.when, bc.panel/bc.sure) and the buttons'
# handlers (each binds itself with @BUTTON.handles) register when these are imported.
from handlers.broadcasts import confirm, export, pickers  # noqa: F401
from handlers.broadcasts.compose import broadcast_command, send_copy
from handlers.broadcasts.dispatch import OUTGOING, REMINDERS, delivery
from handlers.broadcasts.listing import list_command
from handlers.broadcasts.progress import broadcast_tick, refresh_progress

__all__ = [
    "OUTGOING",
    "REMINDERS",
    "broadcast_command",
    "broadcast_tick",
    "delivery",
    "handlers",
    "list_command",
    "refresh_progress",
    "send_copy",
]


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("broadcast", broadcast_command),
        CommandHandler("broadcasts", list_command),
    ]
