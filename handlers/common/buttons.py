"""Buttons: declared once, packed and matched by one codec, routed by one router.

Each area declares its buttons in its own `buttons.py`:

    SESSIONS = Buttons("ss", roles=(Role.SITE,))
    OPEN = SESSIONS.action("s", ID, PAGE)         # "ss:s:<session>:<page>"

a view packs one with `OPEN("🗓 label", session.id, page)` (a (label, data) pair for
`keyboard()`), and the handler that answers it says so where it is defined:

    @OPEN.handles
    async def open_session(update, context, session_id: int, page: int): ...

One CallbackQueryHandler (`router()`) takes every press: it matches the data against the
declarations (unknown prefix or action, a wrong count of fields, a field that is not one of
its values: the stale-button answer), checks the button's roles and guard, runs the handler
and turns the domain errors it raises into the user's answer (`Answers`); every refused press
is audited (`audit_refusal`). `check()` runs at start-up: every declared button has exactly
one handler and fits Telegram's 64 bytes.

Why typed fields: callback data comes from the user's client and may be forged. Numbers are
canonical ASCII digits within their bounds (`"²".isdigit()` is true in Python, and an id
beyond PostgreSQL's integer would fail in the database), so a handler only ever sees values
it can use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import JinroContext
from messages import label
from messages.labels import N_
from storage import audit
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.models import Role

log = logging.getLogger(__name__)

MAX_DATA = 64  # bytes of callback data Telegram accepts
SEPARATOR = ":"
INT_MAX = 2**31 - 1  # PostgreSQL's integer: every id column


# ----- fields ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A whole number from `low` to `high`, written in canonical ASCII digits."""

    low: int = 0
    high: int = INT_MAX

    @property
    def width(self) -> int:
        return len(str(self.high))

    def pack(self, value: int) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"a button number must be an int, not {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(f"{value} is outside {self.low}..{self.high}")
        return str(value)

    def match(self, text: str) -> int | None:
        # Only "0" or digits without a leading zero: one number has one spelling, and
        # Unicode digits ("²", "١") or signs never reach int().
        if not text or len(text) > self.width or not (text.isascii() and text.isdigit()):
            return None
        if text != "0" and text.startswith("0"):
            return None
        value = int(text)
        return value if self.low <= value <= self.high else None


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of short ASCII words (a role, a language, a result)."""

    values: tuple[str, ...]

    def __post_init__(self) -> None:
        for value in self.values:
            if not value or not value.isascii() or SEPARATOR in value:
                raise ValueError(f"a button choice must be a short ASCII word: {value!r}")

    @property
    def width(self) -> int:
        return max(len(value) for value in self.values)

    def pack(self, value: str) -> str:
        if value not in self.values:
            raise ValueError(f"{value!r} is not one of {self.values}")
        return value

    def match(self, text: str) -> str | None:
        return text if text in self.values else None


def choice(*values: str) -> Choice:
    return Choice(tuple(values))


@dataclass(frozen=True)
class Token:
    """A short ASCII word of a known form (a consent token, a digest), as a regex."""

    pattern: str
    width: int

    def pack(self, value: str) -> str:
        if self.match(value) is None:
            raise ValueError(f"{value!r} does not match {self.pattern}")
        return value

    def match(self, text: str) -> str | None:
        ok = text.isascii() and SEPARATOR not in text and re.fullmatch(self.pattern, text)
        return text if ok else None


@dataclass(frozen=True)
class Maybe:
    """A last field that may be left off (a button sent before the field existed, or one
    packed where it means nothing): the handler then gets None."""

    field: Number | Choice | Token

    @property
    def width(self) -> int:
        return self.field.width

    def pack(self, value) -> str:
        return self.field.pack(value)

    def match(self, text: str):
        return self.field.match(text)


JOINED = tuple(Role)  # roles: anyone who has finished joining

ID = Number(1)  # a row of the database
PAGE = Number(0, 9999)  # a page of a list, from 0
# A person picked from a list shown: their place in it and a check number, never their id
# (storage.cases.party_tag); a list that changed since gives the stale answer.
PLACE = Number(0, 99)  # a keyboard holds 100 buttons
TAG = Number(0, 0xFFFFF)  # five hex digits
Field = Number | Choice | Token | Maybe


# ----- answers to domain errors ----------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """What a press is answered with when its handler raises a domain error: NotFound is an
    old or forged button (the stale answer); AlreadyHandled and Refused(reason) get the
    area's labels (msgids, translated for the user), shown as an alert. A `taken` the area
    names says what became of the message's object (an offer ended, a meeting logged): its
    buttons no longer work, so the message also loses them and says so
    (handlers/common/handled.py)."""

    taken: str | None = None
    refused: Mapping[str, str] = field(default_factory=dict)


# ----- declarations ----------------------------------------------------------------------------

Guard = Callable[[JinroContext, tuple], bool]
PressHandler = Callable[..., Awaitable[None]]


@dataclass(eq=False)
class Button:
    """One declared button: its family, action and fields; its handler once bound."""

    family: Buttons
    action: str
    fields: tuple[Field, ...]
    roles: tuple[str, ...] | None
    guard: Guard | None
    answers: Answers | None
    handler: PressHandler | None = None

    @property
    def name(self) -> str:
        return SEPARATOR.join(p for p in (self.family.prefix, self.action) if p)

    @property
    def width(self) -> int:
        """The longest data this button can pack, in bytes (everything is ASCII)."""
        return len(self.name) + sum(1 + f.width for f in self.fields)

    @property
    def required(self) -> int:
        """How many fields a press must carry (the trailing Maybe fields may be left off)."""
        count = len(self.fields)
        while count and isinstance(self.fields[count - 1], Maybe):
            count -= 1
        return count

    def pack(self, *values) -> str:
        while len(values) > self.required and values[-1] is None:
            values = values[:-1]  # a Maybe field left off
        if not self.required <= len(values) <= len(self.fields):
            raise TypeError(f"{self.name} takes {len(self.fields)} values, got {len(values)}")
        packed = (f.pack(v) for f, v in zip(self.fields, values, strict=False))
        return SEPARATOR.join([self.name, *packed])

    def __call__(self, text: str, *values) -> tuple[str, str]:
        """A (label, data) pair for `keyboard()`."""
        return text, self.pack(*values)

    def match(self, data: str) -> tuple | None:
        """The values packed in `data` if it is this button's, else None."""
        parts = data.split(SEPARATOR)
        head = len(self.name.split(SEPARATOR))
        given = parts[head:]
        if SEPARATOR.join(parts[:head]) != self.name:
            return None
        if not self.required <= len(given) <= len(self.fields):
            return None
        values = tuple(f.match(p) for f, p in zip(self.fields, given, strict=False))
        if None in values:
            return None
        return values + (None,) * (len(self.fields) - len(given))

    def handles(self, handler: PressHandler) -> PressHandler:
        """Bind the handler that answers this button; it is called with the fields' values."""
        if self.handler is not None:
            raise RuntimeError(f"{self.name} already has a handler: {self.handler.__name__}")
        self.handler = handler
        return handler


FAMILIES: dict[str, Buttons] = {}


class Buttons:
    """An area's buttons under one prefix. `roles` (None: anyone who has joined or not) and
    `guard` apply to each of its buttons unless the button names its own."""

    def __init__(
        self,
        prefix: str,
        *,
        roles: tuple[str, ...] | None = None,
        guard: Guard | None = None,
        answers: Answers = Answers(),
    ) -> None:
        if not prefix.isascii() or not prefix.isalpha():
            raise ValueError(f"a button prefix is a short ASCII word: {prefix!r}")
        if prefix in FAMILIES:
            raise RuntimeError(f"two areas declare buttons under {prefix!r}")
        self.prefix = prefix
        self.roles = roles
        self.guard = guard
        self.answers = answers
        self.buttons: dict[str, Button] = {}
        FAMILIES[prefix] = self

    def action(
        self,
        action: str,
        *fields: Field,
        roles: tuple[str, ...] | None = None,
        guard: Guard | None = None,
        answers: Answers | None = None,
    ) -> Button:
        """Declare a button. The empty action ("lang:<language>") is a family's only one."""
        if action in self.buttons or (self.buttons and "" in (action, *self.buttons)):
            raise RuntimeError(
                f"{self.prefix}: action {action!r} clashes with {list(self.buttons)}"
            )
        if action and (not action.isascii() or not action.isalpha()):
            raise ValueError(f"a button action is a short ASCII word: {action!r}")
        button = Button(self, action, fields, roles, guard, answers)
        if any(isinstance(f, Maybe) for f in fields[: button.required]):
            raise ValueError(f"{self.prefix}:{action}: only the last fields may be Maybe")
        self.buttons[action] = button
        return button

    def find(self, data: str) -> tuple[Button, tuple] | None:
        """The declared button `data` presses and its values, or None (old or forged)."""
        parts = data.split(SEPARATOR)
        button = self.buttons.get("") or self.buttons.get(parts[1] if len(parts) > 1 else "")
        if button is None:
            return None
        values = button.match(data)
        return None if values is None else (button, values)


def find(data: str) -> tuple[Button, tuple] | None:
    family = FAMILIES.get(data.split(SEPARATOR, 1)[0])
    return None if family is None else family.find(data)


def check() -> None:
    """Start-up: every declared button has a handler and fits Telegram's limit."""
    problems = []
    for family in FAMILIES.values():
        for button in family.buttons.values():
            if button.handler is None:
                problems.append(f"{button.name} has no handler")
            if button.width > MAX_DATA:
                problems.append(f"{button.name} may pack {button.width} bytes (> {MAX_DATA})")
    if problems:
        raise RuntimeError("buttons: " + "; ".join(problems))


# ----- the router --------------------------------------------------------------------------------


async def pressed(update: Update, context: JinroContext, *, typed: bool = False) -> None:
    """Every button press: match, guard, run, and answer a domain error. Each refusal is
    audited: who, which button, its first id, and the answer (never the data as sent).

    `typed`: the words typed at a question named one of its buttons (handlers/common/
    questions.py): what an alert would say is said in the chat, and a question that held
    typed words before the press holds them no more (unless the press asked it again)."""
    # Imported here: handlers.common imports this module for its names.
    from handlers.common import count_answers
    from handlers.common.questions import QUESTION, released_after_press

    count_answers(typed=typed)
    before = (context.user.flow_data or {}).get(QUESTION) if context.user is not None else None
    try:
        await _run(update, context)
    finally:
        await released_after_press(context, before)


async def _run(update: Update, context: JinroContext) -> None:
    from handlers.common import answer_query, stale_button
    from handlers.common.handled import settle_pressed

    found = find(update.callback_query.data or "")
    _PRESS.set(found)
    if found is None:
        await stale_button(update, context)
        return
    button, values = found
    family = button.family
    roles = button.roles if button.roles is not None else family.roles
    guard = button.guard or family.guard
    user = context.user
    if (roles is not None and (user is None or user.role not in roles)) or (
        guard is not None and not guard(context, values)
    ):
        await stale_button(update, context)
        return
    answers = button.answers or family.answers
    try:
        await button.handler(update, context, *values)
    except NotFound:
        await stale_button(update, context)
    except AlreadyHandled:
        text = answers.taken or already_handled(context)
        await answer_query(update, label(context.lang, text), alert=True)
        if answers.taken is not None:
            await settle_pressed(update, context, label(context.lang, text))
        await audit_refusal(context, "already_handled")
    except Refused as refused:
        text = answers.refused.get(refused.reason)
        if text is None:
            raise  # a reason the area never names is a bug, not a user's mistake
        await answer_query(update, label(context.lang, text), alert=True)
        await audit_refusal(context, refused.reason)


# The press being handled (its button and values; None when the data matched no button),
# so that whoever refuses it, the router or a handler's stale answer, can audit it.
_PRESS: ContextVar[tuple[Button, tuple] | None] = ContextVar("press", default=None)


async def audit_refusal(context: JinroContext, answer: str) -> None:
    """One audit entry for a refused press: who, which button, its first id, the answer;
    never the data as sent. A forged id and an old button look alike to the presser, not to
    whoever reads the log."""
    button, values = _PRESS.get() or (None, ())
    first_id = next((v for v in values if isinstance(v, int)), None)
    async with context.db.write() as conn:
        await audit.record(
            conn,
            context.user.id if context.user is not None else None,
            "button.refused",
            (button.name if button is not None else "unknown")[:20],  # object_type is 20 wide
            first_id,
            now=context.now,
            answer=answer[:40],
        )


def already_handled(context: JinroContext) -> str:
    """The answer to a press someone (or an earlier press) already dealt with, where the
    area declares none: in the adults' formal register or the students' polite one."""
    from handlers.common import speaks_formally

    if speaks_formally(context.user):
        return N_("This has already been handled.")
    return N_("This has already been taken care of.")


def router() -> CallbackQueryHandler:
    """The one handler of every press (an unknown or malformed one gets the stale answer)."""
    return CallbackQueryHandler(pressed)
