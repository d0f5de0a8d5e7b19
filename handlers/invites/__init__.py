"""Invites: staff make invite links in the chat (/invite, create.py), with a QR code for
letters (qr.py), and see or stop the links that still work (/invites, listing.py)."""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler

from handlers.invites.create import start_invite
from handlers.invites.listing import invites_command


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("invite", start_invite),
        CommandHandler("invites", invites_command),
    ]
