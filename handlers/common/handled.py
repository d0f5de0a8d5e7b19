"""Messages whose buttons no longer work: they lose their keyboard and say what happened.

A press that settles something (accept, decline, confirm, reject) leaves the message it was
pressed on with buttons that can only get "already handled" from now on. Rather than leave
them to be pressed, the message is edited: its text stays as it was (the record of what was
decided on) with the outcome as its last line, e.g. "✅ 수락했습니다", and no keyboard. A
prompt answered by typing (a reason, a note) is known only by its id when the answer comes:
it becomes the outcome alone, the question it asked being settled, or keeps its words and
loses its buttons (settle_prompt).

A flow's question with buttons (skip, stop, back, a usual value) keeps its message's id in the
flow's data (PROMPT; the older reasons and notes of pending and mentors keep it as "m"):
pressed_message_id when the question is the pressed message edited, asked() when it is sent
or asked again. Typed words (or a file) that end the flow or move it on take its buttons off
(answering(), around every text and file step), a step may settle it with its outcome
(settle_prompt), and a question asked again below takes the buttons off the one above: no
button is left that can only say "no longer active".
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from html import escape

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden

from bot.context import JinroContext
from handlers.common import set_flow

log = logging.getLogger(__name__)

# The key of a flow's data that keeps the id of the message asking the flow's question, and
# the one that keeps its step and buttons ([flow, rows of [label, data]]): typed, a label
# presses its button (handlers/common/questions.py).
PROMPT = "pm"
PROMPT_BUTTONS = "kb"
# The messages this update already settled or took the buttons from (within answering()):
# one edit each, never a second that Telegram would refuse as "not modified".
_SETTLED: ContextVar[set[int] | None] = ContextVar("settled", default=None)


def _first_time(message_id: int) -> bool:
    """Whether `message_id` is settled for the first time in this update (and note it)."""
    settled = _SETTLED.get()
    if settled is None:
        return True
    if message_id in settled:
        return False
    settled.add(message_id)
    return True


async def settle_pressed(update: Update, context: JinroContext, outcome: str) -> None:
    """The pressed message keeps its text, gets `outcome` (plain text) as its last line and
    loses its buttons. Nothing to do when the press came from no message one can edit."""
    query = update.callback_query
    message = query.message if query is not None else None
    if not isinstance(message, Message):
        return
    line = escape(outcome)
    try:
        if message.text is not None:
            await message.edit_text(f"{message.text_html}\n\n{line}", reply_markup=None)
        elif message.caption is not None:
            await message.edit_caption(f"{message.caption_html}\n\n{line}", reply_markup=None)
        else:
            await message.edit_reply_markup(None)
    except BadRequest as error:
        # Already settled (the same press twice), too long with the line, or gone: at least
        # the buttons go.
        if "not modified" not in str(error).lower():
            await _drop_keyboard(message)
    except Forbidden:
        pass


async def _drop_keyboard(message: Message) -> None:
    try:
        await message.edit_reply_markup(None)
    except (BadRequest, Forbidden) as error:
        log.info("could not take old buttons away: %s", error)


async def drop_buttons(context: JinroContext, message_id: object) -> None:
    """A message of the user's own chat, known by its id, loses its buttons; its words stay."""
    if not isinstance(message_id, int) or context.user is None or not _first_time(message_id):
        return
    try:
        await context.bot.edit_message_reply_markup(
            chat_id=context.user.id, message_id=message_id, reply_markup=None
        )
    except (BadRequest, Forbidden) as error:
        if "not modified" not in str(error).lower():  # none left: nothing to do
            log.info("could not take old buttons away: %s", error)


def pressed_message_id(update: Update) -> int | None:
    """The id of the pressed message: a flow that asks to type something on it keeps it, to
    settle the message when the typed answer comes (settle_message)."""
    query = update.callback_query
    message = query.message if query is not None else None
    return message.message_id if isinstance(message, Message) else None


async def settle_message(context: JinroContext, message_id: object, outcome: str) -> None:
    """A message of the user's own chat whose buttons no longer work, known by its id (kept
    in the flow's data: anything else is ignored): it becomes `outcome`, without buttons."""
    if not isinstance(message_id, int) or context.user is None:
        return
    _first_time(message_id)  # its buttons go with it: answering() leaves it be
    try:
        await context.bot.edit_message_text(
            escape(outcome), chat_id=context.user.id, message_id=message_id, reply_markup=None
        )
    except (BadRequest, Forbidden) as error:
        log.info("could not settle an old message: %s", error)


def live_buttons(message: object) -> list[list[list[str]]]:
    """A message's buttons that answer a press (URL buttons do not), as rows of [label, data]."""
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return []
    rows = [
        [[button.text, button.callback_data] for button in row if button.callback_data]
        for row in markup.inline_keyboard
    ]
    return [row for row in rows if row]


def prompt_of(data: dict | None) -> int | None:
    """The id of the message that asks a flow's question, kept in its data (PROMPT)."""
    value = (data or {}).get(PROMPT)
    return value if isinstance(value, int) else None


async def asked(context: JinroContext, message: object, earlier: object = None) -> None:
    """`message` (what reply() sent or edited) asks the question of the user's flow now: its
    id is kept in the flow's data, so that the answer, typed, settles it (settle_prompt). The
    message that asked before (`earlier`, else the one the flow's data kept) loses its buttons
    when it is another message: the question asked again below, or the next step's."""
    user = context.user
    if user is None or user.flow is None or not isinstance(message, Message):
        return
    data = dict(user.flow_data or {})
    if earlier is None:
        earlier = data.get(PROMPT)
    # Its buttons, and the step they belong to: data carried into the next step
    # ({**data, ...}) does not make them that step's.
    buttons = [user.flow, live_buttons(message)]
    if data.get(PROMPT) != message.message_id or data.get(PROMPT_BUTTONS) != buttons:
        await set_flow(
            context, user.flow, {**data, PROMPT: message.message_id, PROMPT_BUTTONS: buttons}
        )
    if earlier != message.message_id:
        await drop_buttons(context, earlier)


@asynccontextmanager
async def answering(context: JinroContext) -> AsyncIterator[None]:
    """Around what typed words (or a file) do in a flow (handlers.common.route_text): when
    they end the flow or move it to another step, the question it asked (PROMPT) loses its
    buttons, which could only say "no longer active" now. Asked again in the same step, the
    question is asked() below."""
    user = context.user
    flow, prompt = (user.flow, prompt_of(user.flow_data)) if user is not None else (None, None)
    token = _SETTLED.set(set())
    try:
        yield
        if prompt is not None and context.user is not None and context.user.flow != flow:
            await drop_buttons(context, prompt)
    finally:
        _SETTLED.reset(token)


async def settle_prompt(context: JinroContext, data: dict | None, outcome: str | None = None):
    """The question a flow asked (PROMPT in `data`, the flow's data before the typed answer
    ended or moved it on) is answered: it becomes `outcome` (settle_message), or without one
    keeps its words and loses its buttons."""
    if outcome is not None:
        await settle_message(context, prompt_of(data), outcome)
    else:
        await drop_buttons(context, prompt_of(data))
