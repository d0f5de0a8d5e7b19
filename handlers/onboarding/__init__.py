"""Joining: /start, students pick school, grade and name; invited roles join by deep link.

Students: role -> school (typed, then picked) -> grade -> name -> age check.
What a student types is kept in the flow data and written to their row in one
step at the end, so a student who stops halfway leaves nothing half-written.
Invited roles: the invite is used when the link is opened (that is what gives
the role), then they give their name (teachers also pick grades; mentors
without a profile give kind and field).
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from handlers.onboarding.common import ask_name, telegram_name
from handlers.onboarding.invited import (
    accept_invite,
    on_grades,
    on_mentor_kind,
    on_monitor_district,
    on_profile_telegram_name,
)
from handlers.onboarding.students import age_cutoff, on_age, on_grade, on_school, on_telegram_name
from handlers.onboarding.welcome import ask_role, on_role, start, toggle_language

__all__ = [
    "accept_invite",
    "age_cutoff",
    "ask_name",
    "ask_role",
    "handlers",
    "start",
    "telegram_name",
]


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("start", start),
        CallbackQueryHandler(on_role, pattern=r"^ob:role:"),
        CallbackQueryHandler(toggle_language, pattern=r"^ob:lang$"),
        CallbackQueryHandler(on_school, pattern=r"^ob:sc:"),
        CallbackQueryHandler(on_grade, pattern=r"^ob:gr:"),
        CallbackQueryHandler(on_telegram_name, pattern=r"^ob:nm$"),
        CallbackQueryHandler(on_age, pattern=r"^ob:age:"),
        CallbackQueryHandler(on_profile_telegram_name, pattern=r"^pf:nm$"),
        CallbackQueryHandler(on_grades, pattern=r"^pf:gr:"),
        CallbackQueryHandler(on_mentor_kind, pattern=r"^pf:kind:"),
        CallbackQueryHandler(on_monitor_district, pattern=r"^pf:dist:"),
    ]
