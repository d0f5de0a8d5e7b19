"""What the outbox can send: each area declares its kinds beside its handlers (a name, how
to compose it, the buttons under it, whether it reaches a student in quiet hours), and
bot/app.py registers them all at start-up. Nothing is discovered by looking around."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from bot.context import JinroContext

# compose(conn, context, row, user) -> (template, values), a Copy, HOLD, or None to skip
# (its moment passed, or it no longer applies). keyboard(row, lang) -> markup or None.
Compose = Callable[..., Awaitable[object]]
Keyboard = Callable[..., object]


@dataclass(frozen=True)
class Kind:
    name: str
    compose: Compose
    keyboard: Keyboard | None = None
    urgent: bool = False  # reaches a student in quiet hours too


KINDS: dict[str, Kind] = {}


def register(kinds: Iterable[Kind]) -> None:
    """Add the kinds the outbox may send; a second, different kind of the same name is a
    mistake in bot/app.py, not something to overwrite silently."""
    for kind in kinds:
        known = KINDS.get(kind.name)
        if known is not None and known != kind:
            raise ValueError(f"two outbox kinds are called {kind.name!r}")
        KINDS[kind.name] = kind


@dataclass(frozen=True)
class Copy:
    """A message an area composes itself instead of from a template (a broadcast's copy,
    photo and all): `send(context, chat_id)` sends it, its send slot already taken."""

    send: Callable[[JinroContext, int], Awaitable]
    urgent: bool = False  # reaches a student in quiet hours


HOLD = object()  # a compose result: not now, and not by the clock (a paused broadcast)


# Kinds whose message asks a question only its buttons answer (a new mentor request, a
# meeting's log, a score after a session or a meeting, an offered seat, a student's request
# to a teacher): sent to someone in no step, it holds their typed words, so that "수락" or "5"
# presses its button and other words are asked to press one, never searched
# (handlers/common/questions.py). Whether it is still open is its compose() asked again.
ASKS = frozenset(
    {
        "mentor_offer",
        "mentor_offer_nudge",
        "mentor_log",
        "mentor_rate",
        "student_survey",
        "student_offer",
        "teacher_request",
        "teacher_expiring",
    }
)
