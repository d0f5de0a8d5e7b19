"""Questions only buttons answer, and what typed words do while one waits.

Some questions are answered only by their buttons: a mentor's new request (✅ accept /
❌ decline), the log of a meeting after it, a student's 1–5 score after a session, a
teacher's ✅/❌ on a student's request, "apply anyway?" when a seat could no longer be
cancelled. Such a question *holds* the typed words of the person it asks, so that they are
never taken as a programme search:

- words that are one of its live buttons' labels, in either language, with or without the
  emoji, spaces or a polite ending ("수락", "✅ 수락", "수락할게요", "accept", "5", "5점"),
  count as pressing that button (`typed_press`);
- any other words get a short answer in the reader's register (press one of the buttons)
  and the question again below, its buttons taken off the copy above: one live question.

How long a question holds typed words: from when it is asked (sent by the outbox, or
asked by a press) until the first of
- a press of any button (its own, which answers it, or another: the person moved on),
- /cancel (the question stays above, to answer later, and words search again), or a
  command that starts something of its own (a search, a step: the flow's data starts
  afresh); a command that only shows something (/my, /help) leaves the question holding,
- the question no longer being open (an offer decided or run out, a score given: the
  outbox's own check, `Kind.compose`, is asked again when words come),
- HOLDS (24 hours) without an answer: words typed a day later are a new matter.
It holds them only while the person is in no other step (none, or looking at search
results): a step that asks for words (a reason, a time) takes its own words.

The question is kept in the user's flow data under QUESTION ("ask"), beside whatever the flow
keeps (search results keep their state): its message id "m", its buttons "b" (rows of
[label, data]), its text "x" (to ask again), when it was asked "t", a kind "k" (asked again under
the same kind, the copy above loses its buttons) and, for the outbox's, the row "o".

A button named by typed words acts as its press (the router checks and runs it); what the
press would edit in place is sent below the words instead, the newest thing in the chat,
and a step that keeps the pressed message as its question (to settle it when its words
come) keeps the message sent in its place.

A question of a flow's step (PROMPT, handled.asked) keeps its buttons too ("kb"): a typed
label presses them in that step as well (`typed_press`), which is how "2학년" is taken at
the grade step of joining.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import cache

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.context import JinroContext
from handlers.common import reply, send, sent_for_edit, set_flow
from handlers.common.handled import PROMPT, PROMPT_BUTTONS, asked, drop_buttons, live_buttons
from messages import LANGUAGES, translations

log = logging.getLogger(__name__)

QUESTION = "ask"  # the key of flow data that keeps the question holding typed words
BUTTONS = "kb"  # the key of flow data that keeps the buttons of a step's question (PROMPT)
HOLDS = timedelta(hours=24)
# Flows in which nothing is asked for in words: a question held beside them takes typed words.
IDLE = (None, "sr")
# Ways people finish a button's word when they type it: "수락할게요", "5점", "거절합니다".
ENDINGS = ("할게요", "합니다", "할께요", "해요", "하기", "이요", "점", "요", "please")


def plain(text: str) -> str:
    """Letters and digits only, folded: "2 학년!", "2학년" and "🎒 학생이에요" read alike."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@cache
def _msgids(lang: str) -> dict[str, list[str]]:
    """A label as shown in `lang` (plain) -> the msgids it translates."""
    found: dict[str, list[str]] = {}
    for msgid, text in translations(lang)._catalog.items():
        if isinstance(msgid, str) and isinstance(text, str) and msgid and len(text) <= 40:
            found.setdefault(plain(text), []).append(msgid)
    return found


def _words_for(shown: str) -> set[str]:
    """What a person may type for a button labelled `shown`: its label, and the same
    label in the other language (a Korean reader typing "accept" means ✅ 수락 too)."""
    words = {plain(shown)}
    for lang in LANGUAGES:
        for msgid in _msgids(lang).get(plain(shown), ()):
            words.update(plain(translations(other).gettext(msgid)) for other in LANGUAGES)
    words.discard("")
    return words


def matching(text: str, buttons: list) -> str | None:
    """The data of the one button (of `buttons`, rows of [label, data]) whose label `text`
    names, else None (none, or two)."""
    typed = plain(text)
    if not typed:
        return None
    candidates = {typed, *(typed.removesuffix(e) for e in ENDINGS if typed.endswith(e))}
    found = {
        data
        for row in buttons
        if isinstance(row, list)
        for shown, data in row
        if isinstance(shown, str) and isinstance(data, str) and candidates & _words_for(shown)
    }
    return found.pop() if len(found) == 1 else None


# ----- pressing by typing ------------------------------------------------------------------------


async def typed_press(update: Update, context: JinroContext, data: str, message_id: int) -> None:
    """The typed words name a button of the message `message_id`: as if it were pressed
    (the router checks and runs it). What the press would edit in place is sent below the
    words instead, and the question loses its buttons (it is answered); what it would say in
    an alert is said in the chat."""
    from handlers.common.buttons import pressed  # it imports handlers.common

    chat, person = update.effective_chat, update.effective_user
    message = Message(message_id=message_id, date=update.message.date, chat=chat)
    query = CallbackQuery(
        id=f"typed-{update.update_id}",
        from_user=person,
        chat_instance=str(chat.id),
        data=data,
        message=message,
    )
    query.set_bot(context.bot)
    message.set_bot(context.bot)
    await drop_buttons(context, message_id)
    await pressed(Update(update.update_id, callback_query=query), context, typed=True)
    # A step the press began that keeps the pressed message as its question (to settle it
    # when its words come) keeps the message sent in its place instead.
    sent, data = sent_for_edit(), (context.user.flow_data or {}) if context.user else {}
    moved = {key: sent.message_id for key in (PROMPT, "m") if data.get(key) == message_id}
    if sent is not None and moved:
        await set_flow(context, context.user.flow, {**data, **moved})


def step_buttons(context: JinroContext) -> list:
    """The buttons of the question of the user's step (asked()), if it asked one."""
    user = context.user
    kept = (user.flow_data or {}).get(PROMPT_BUTTONS) if user is not None else None
    if isinstance(kept, list) and len(kept) == 2 and kept[0] == user.flow:
        return kept[1] if isinstance(kept[1], list) else []
    return []


async def typed_label(update: Update, context: JinroContext) -> bool:
    """Typed words, first: a question that holds them answers them (answer_held); in a
    flow's step, the label of one of its question's buttons presses it. True when done."""
    question = held(context)
    if question is not None and await answer_held(update, context, question):
        return True
    data = (context.user.flow_data or {}) if context.user is not None else {}
    prompt, buttons = data.get(PROMPT), step_buttons(context)
    if not isinstance(prompt, int) or not buttons:
        return False
    found = matching(update.message.text or "", buttons)
    if found is None:
        return False
    await typed_press(update, context, found, prompt)
    return True


async def expect_buttons(update: Update, context: JinroContext) -> None:
    """Words at a step only its buttons answer (a label of one was taken by typed_label
    first): say so, with the step's buttons again below and the copy above without them
    (asked), so one live question remains."""
    markup = _markup(step_buttons(context))
    shown = await reply(update, context, "common/press_button", markup)
    if markup is not None:
        await asked(context, shown)


# ----- questions that hold typed words ------------------------------------------------------------


def held(context: JinroContext) -> dict | None:
    """The question that holds this user's typed words now, if any (see the module's text)."""
    user = context.user
    if user is None or user.flow not in IDLE:
        return None
    question = (user.flow_data or {}).get(QUESTION)
    if not isinstance(question, dict) or not isinstance(question.get("m"), int):
        return None
    try:
        asked_at = datetime.fromisoformat(question.get("t", ""))
    except (TypeError, ValueError):
        return None
    return question if context.now - asked_at < HOLDS else None


async def hold(context: JinroContext, message: object, kind: str) -> None:
    """`message` (what reply() sent) asks a question only its buttons answer: it holds the
    user's typed words (see the module's text). The same kind of question asked before
    loses its buttons: one live copy."""
    user = context.user
    if user is None or not isinstance(message, Message):
        return
    data = dict(user.flow_data or {})
    earlier = data.get(QUESTION) if isinstance(data.get(QUESTION), dict) else {}
    data[QUESTION] = question(message, context.now, kind)
    await set_flow(context, user.flow, data)
    if earlier.get("k") == kind and earlier.get("m") != message.message_id:
        await drop_buttons(context, earlier.get("m"))


def question(message: Message, now: datetime, kind: str, reminder: int | None = None) -> dict:
    """What QUESTION keeps of a question asked by `message`."""
    found = {
        "m": message.message_id,
        "b": live_buttons(message),
        "x": message.text_html or "",
        "t": now.isoformat(),
        "k": kind,
    }
    if reminder is not None:
        found["o"] = reminder
    return found


async def release(context: JinroContext) -> None:
    """The question no longer holds typed words (its buttons stay as they are)."""
    user = context.user
    if user is not None and QUESTION in (user.flow_data or {}):
        data = {k: v for k, v in user.flow_data.items() if k != QUESTION}
        await set_flow(context, user.flow, data)


async def released_after_press(context: JinroContext, before: object) -> None:
    """After a press: the question that held typed words before it (`before`) holds them
    no more, unless the press asked it again (a new one is kept instead)."""
    user = context.user
    if before is None or user is None:
        return
    if (user.flow_data or {}).get(QUESTION) == before:
        await release(context)


# Whether an outbox question is still open, by its row: the outbox registers its check
# (handlers/outbox/sender.py), as handlers.common may not import it.
StillOpen = Callable[[JinroContext, int], Awaitable[bool]]
_STILL_OPEN: list[StillOpen] = []


def checks_outbox(still_open: StillOpen) -> StillOpen:
    _STILL_OPEN[:] = [still_open]
    return still_open


async def answer_held(update: Update, context: JinroContext, question: dict) -> bool:
    """Typed words while `question` holds them: a button's label presses it; other words are
    told to press one, with the question asked again below. False when the question turns
    out to be closed (released: the words go where they would have gone)."""
    reminder = question.get("o")
    if isinstance(reminder, int) and _STILL_OPEN and not await _STILL_OPEN[0](context, reminder):
        await release(context)
        return False
    data = matching(update.message.text or "", question.get("b") or [])
    if data is not None:
        await typed_press(update, context, data, question["m"])
        return True
    await reply(update, context, "common/press_button", held=True)
    markup = _markup(question.get("b") or [])
    again = await send(context, update.effective_chat.id, question.get("x") or "…", markup)
    asked_again = {**question, "m": again.message_id, "t": context.now.isoformat()}
    await set_flow(context, context.user.flow, {**context.user.flow_data, QUESTION: asked_again})
    await drop_buttons(context, question["m"])
    return True


def _markup(buttons: list) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(shown, callback_data=data) for shown, data in row]
        for row in buttons
        if isinstance(row, list)
    ]
    return InlineKeyboardMarkup(rows) if rows else None
