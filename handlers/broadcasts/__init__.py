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
Callback data, B the draft's id (a press is honoured only for the user's current draft):
    bc:p:B panel · bc:r:B roles · bc:rt:B:I role I · bc:s:B:P schools page P ·
    bc:st:B:SCHOOL:P school · bc:d:B districts · bc:dt:B:I district I · bc:g:B grades ·
    bc:gt:B:G grade G · bc:k:B site kinds · bc:kt:B:I kind I · bc:f:B programme ·
    bc:fp:B:PROGRAMME its sessions · bc:fa:B:PROGRAMME all of it · bc:fs:B:SESSION one
    session · bc:fx:B no programme · bc:e:B everyone · bc:u:B urgent · bc:v:B preview ·
    bc:t:B change the message · bc:n:B send now · bc:w:B schedule · bc:y:B confirm ·
    bc:x:B discard
Steering a confirmed broadcast (staff any, others their own):
    bl:pg:P list page · bl:o:B:P open · bl:ps:B pause · bl:rs:B resume · bl:cx:B cancel? ·
    bl:cy:B cancel! · bl:ck:B keep it · bl:csv:B the undelivered as CSV
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

# The text and file steps (bc.text, bc.find, bc.when, bc.panel/bc.sure) register themselves
# when compose, pickers and confirm are imported; routing imports all three.
from handlers.broadcasts.compose import broadcast_command, send_copy
from handlers.broadcasts.dispatch import OUTGOING, REMINDERS, delivery
from handlers.broadcasts.listing import list_command, on_steer_button
from handlers.broadcasts.progress import broadcast_tick, refresh_progress
from handlers.broadcasts.routing import on_draft_button

__all__ = [
    "OUTGOING",
    "REMINDERS",
    "broadcast_command",
    "broadcast_tick",
    "delivery",
    "handlers",
    "list_command",
    "on_draft_button",
    "on_steer_button",
    "refresh_progress",
    "send_copy",
]


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("broadcast", broadcast_command),
        CommandHandler("broadcasts", list_command),
        CallbackQueryHandler(on_draft_button, pattern=r"^bc:"),
        CallbackQueryHandler(on_steer_button, pattern=r"^bl:"),
    ]
