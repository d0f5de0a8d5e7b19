"""The command menu (setMyCommands): a default one, and one per role set on each user's chat."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Row
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

from messages import LANGUAGES, label
from messages.labels import N_

log = logging.getLogger(__name__)

# Descriptions are msgids translated through the catalogs.
DESCRIPTIONS = {
    "start": N_("Start or restart"),
    "help": N_("What I can do for you"),
    "settings": N_("Language and settings"),
    "cancel": N_("Stop what you are doing"),
    "consent": N_("Guardian consent status"),
    "consents": N_("Record paper consent forms"),
    "mydata": N_("See the data kept about you"),
    "deleteme": N_("Delete your data"),
    "erase": N_("Delete someone's data on a written request"),
    "invite": N_("Create an invite link"),
    "invites": N_("Invite links that work; stop one"),
    "import": N_("Import programmes from a spreadsheet"),
    "export": N_("Export programmes as a spreadsheet"),
    "search": N_("Find experience programmes"),
    "foryou": N_("Programmes picked for you"),
    "pending": N_("Booking requests to confirm"),
    "classbook": N_("Book seats for a class"),
    "calendar": N_("Your school's bookings by day, and as a spreadsheet"),
    "my": N_("My bookings"),
    "stats": N_("Programme figures"),
    "sessions": N_("Your sessions: seats, roster, attendance"),
    "broadcast": N_("Send an announcement"),
    "broadcasts": N_("Announcements sent and scheduled"),
    "mentor": N_("Ask a mentor, and where your requests stand"),
    "profile": N_("Your mentor profile, modes and pause"),
    "slots": N_("Your free times for meetings"),
    "mentors": N_("Mentoring figures and evaluation"),
    "cases": N_("Cases: ask for help with a booking, and mediation"),
    "inspections": N_("Site safety inspections"),
    "checklist": N_("The safety checklist"),
    "audit": N_("Who read or changed what about a person"),
}
MENUS = {
    None: ["start", "help", "consent", "mydata", "settings"],  # a guardian is a guest: /consent
    "student": [
        "search",
        "foryou",
        "my",
        "help",
        "mentor",
        "cases",
        "consent",
        "mydata",
        "settings",
        "cancel",
    ],
    "teacher": [
        "pending",
        "classbook",
        "calendar",
        "mentor",
        "cases",
        "search",
        "broadcast",
        "help",
        "consents",
        "mydata",
        "settings",
        "cancel",
    ],
    "site": ["sessions", "cases", "search", "broadcast", "help", "mydata", "settings", "cancel"],
    "mentor": ["mentor", "profile", "slots", "search", "help", "mydata", "settings", "cancel"],
    "monitor": ["inspections", "cases", "search", "help", "mydata", "settings", "cancel"],
    "staff": [
        "search",
        "help",
        "broadcast",
        "broadcasts",
        "invite",
        "invites",
        "import",
        "export",
        "stats",
        "mentors",
        "cases",
        "inspections",
        "checklist",
        "audit",
        "erase",
        "mydata",
        "settings",
        "cancel",
    ],
}


def menu(role: str | None, lang: str) -> list[BotCommand]:
    return [BotCommand(name, label(lang, DESCRIPTIONS[name])) for name in MENUS[role]]


async def set_defaults(application: Application) -> None:
    """Set the menu for people who have not joined yet; optional, so failures only warn."""
    try:
        await application.bot.set_my_commands(menu(None, "ko"), scope=BotCommandScopeDefault())
        for lang in LANGUAGES:
            await application.bot.set_my_commands(
                menu(None, lang), scope=BotCommandScopeDefault(), language_code=lang
            )
    except TelegramError as error:
        log.warning("could not set the default command menu (serving anyway): %s", error)


async def set_for_user(context, user: Row) -> None:
    """Give one user the menu of their role in their language; optional as well."""
    try:
        await context.bot.set_my_commands(
            menu(user.role, user.lang), scope=BotCommandScopeChat(user.id)
        )
    except TelegramError as error:
        log.warning("could not set a user's command menu: %s", error)
