"""Joining: /start, students pick school, grade and name; invited roles join by deep link.

Students: role -> school (typed, then picked) -> grade -> name -> age check.
What a student types is kept in the flow data and written to their row in one
step at the end, so a student who stops halfway leaves nothing half-written.
Invited roles: the invite is used when the link is opened (that is what gives
the role), then they give their name (teachers also pick grades; mentors
without a profile give kind and field).
Buttons: handlers/onboarding/buttons.py.
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler

from handlers.onboarding.common import ask_name, telegram_name
from handlers.onboarding.invited import accept_invite
from handlers.onboarding.students import age_cutoff
from handlers.onboarding.welcome import ask_role, start

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
    return [CommandHandler("start", start)]
