"""Routing the draft's buttons (bc:…): only the user's current draft answers, and only with
the choices their role has."""

from __future__ import annotations

import functools

from telegram import Update

from bot.context import JinroContext
from handlers.broadcasts.common import _may_broadcast
from handlers.broadcasts.compose import change_text, discard, preview_pressed
from handlers.broadcasts.confirm import ask_when, confirm_pressed, panel_pressed, send_now
from handlers.broadcasts.pickers import (
    CHOICES,
    pick_choice,
    pick_program,
    pick_schools,
    program_chosen,
    program_picked,
    programme_cleared,
    session_chosen,
    toggle_choice,
    toggle_everyone,
    toggle_school,
    toggle_urgent,
)
from handlers.common import (
    callback_parts,
    int_part,
    requires,
    stale_button,
)
from storage import broadcasts as store
from storage.models import Role

STAFF_ONLY = {"r", "rt", "s", "st", "d", "dt", "k", "kt", "e", "u"}
NOT_TEACHER = {"f", "fp", "fa", "fs", "fx"}  # programme choices: staff and sites
NOT_SITE = {"g", "gt"}


# action -> (handler, how many integer parts follow the draft's id)
DRAFT_BUTTONS = {
    "p": (panel_pressed, 0),
    "r": (functools.partial(pick_choice, choices=CHOICES["roles"]), 0),
    "rt": (functools.partial(toggle_choice, choices=CHOICES["roles"]), 1),
    "s": (pick_schools, 1),
    "st": (toggle_school, 2),
    "d": (functools.partial(pick_choice, choices=CHOICES["districts"]), 0),
    "dt": (functools.partial(toggle_choice, choices=CHOICES["districts"]), 1),
    "g": (functools.partial(pick_choice, choices=CHOICES["grades"]), 0),
    "gt": (functools.partial(toggle_choice, choices=CHOICES["grades"]), 1),
    "k": (functools.partial(pick_choice, choices=CHOICES["site_kinds"]), 0),
    "kt": (functools.partial(toggle_choice, choices=CHOICES["site_kinds"]), 1),
    "f": (pick_program, 0),
    "fp": (program_picked, 1),
    "fa": (program_chosen, 1),
    "fs": (session_chosen, 1),
    "fx": (programme_cleared, 0),
    "e": (toggle_everyone, 0),
    "u": (toggle_urgent, 0),
    "v": (preview_pressed, 0),
    "t": (change_text, 0),
    "n": (send_now, 0),
    "w": (ask_when, 0),
    "y": (confirm_pressed, 0),
    "x": (discard, 0),
}


def _allowed_action(action: str, role: str) -> bool:
    if action in STAFF_ONLY:
        return role == Role.STAFF
    if action in NOT_TEACHER:
        return role != Role.TEACHER
    if action in NOT_SITE:
        return role != Role.SITE
    return True


@requires(*store.AUTHORS)
async def on_draft_button(update: Update, context: JinroContext) -> None:
    """Only the user's current draft answers, and only the choices their role has."""
    parts = callback_parts(update)
    action = parts[1] if len(parts) > 1 else ""
    handler, count = DRAFT_BUTTONS.get(action, (None, 0))
    numbers = [int_part(parts, 2 + n) for n in range(count + 1)]
    user = context.user
    current = (user.flow or "").startswith("bc.") and user.flow_data.get("b") == numbers[0]
    if (
        handler is None
        or len(parts) != 3 + count
        or None in numbers
        or not current
        or not _may_broadcast(user)
        or not _allowed_action(action, user.role)
    ):
        await stale_button(update, context)
        return
    await handler(update, context, *numbers)
