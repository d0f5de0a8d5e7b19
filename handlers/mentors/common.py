"""What the mentor's side shares: text limits, weekday names, a moment's short label, a
field's tag, leaving a mn.* flow."""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.context import JinroContext
from handlers.common import leave_flow
from handlers.common.days import short

TITLE_MAX, BIO_MAX, REASON_MAX, NOTE_MAX = 120, 500, 200, 500
WEEKDAY_NAMES = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


# ----- small helpers --------------------------------------------------------------------------


def _now_and_window(context: JinroContext) -> dict:
    return {"now": context.now, "window": context.settings.mentor_answer, "tz": context.tz}


async def _leave_flow(context: JinroContext) -> None:
    await leave_flow(context, "mn.")


def when_label(lang: str, moment: datetime, tz) -> str:
    """A short button label for a moment: "12/03 (화) 16:00"."""
    local = moment.astimezone(tz)
    weekday = WEEKDAY_NAMES["ko" if lang == "ko" else "en"][local.weekday()]
    return f"{short(lang, local)} ({weekday}) {local:%H:%M}"


def _mentor_id(context: JinroContext) -> int | None:
    return context.user.mentor_id


def field_tag(name: str) -> int:
    """A short number for a field's name, carried in a button beside its place in the list:
    a list that changed since the button was shown (a new field imported) is caught
    instead of toggling the field now at that place."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:6], 16)
