"""Shared handler helpers: replying, keyboards, role guards and the registry of text steps."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from html import escape

from sqlalchemy.engine import Row
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden

from bot.context import JinroContext
from handlers.common.buttons import Button as ButtonSpec
from handlers.common.buttons import audit_refusal
from handlers.common.lengths import MESSAGE_MAX, shown_length, split_text
from messages import examples, label, render
from storage import audit
from storage import users as users_store
from storage.models import Role

log = logging.getLogger(__name__)

Handler = Callable[[Update, JinroContext], Awaitable[None]]
Button = tuple[str, str]  # (label, callback_data)

# Text steps of flows: the flow name stored on the user -> what to do with typed text.
TEXT_STEPS: dict[str, Handler] = {}


def text_step(*flows: str) -> Callable[[Handler], Handler]:
    """Register the handler that receives free text while the user is in one of `flows`."""

    def register(handler: Handler) -> Handler:
        for flow in flows:
            TEXT_STEPS[flow] = handler
        return handler

    return register


# Flows that expect a photo or a file (not text): the flow name -> its handler. Files sent
# in such a flow go there; elsewhere staff files are imports and anything else is refused.
FILE_STEPS: dict[str, Handler] = {}


def file_step(*flows: str) -> Callable[[Handler], Handler]:
    """Register the handler that receives a photo, file or other media while the user is in
    one of `flows` (it answers media it cannot use itself)."""

    def register(handler: Handler) -> Handler:
        for flow in flows:
            FILE_STEPS[flow] = handler
        return handler

    return register


def file_step_for(context: JinroContext) -> Handler | None:
    user = context.user
    return FILE_STEPS.get(user.flow or "") if user is not None else None


# What `/start <parameter>` opens, by the parameter's prefix (an invite, a guardian's consent
# link, a shared programme card). Each area registers its own; onboarding's /start asks here,
# so no area imports another for it.
StartLink = Callable[[Update, JinroContext, str], Awaitable[None]]
START_LINKS: dict[str, StartLink] = {}


def start_link(prefix: str) -> Callable[[StartLink], StartLink]:
    """Register the handler of `/start <prefix>...` links."""

    def register(handler: StartLink) -> StartLink:
        START_LINKS[prefix] = handler
        return handler

    return register


def start_link_for(parameter: str) -> StartLink | None:
    return next((h for prefix, h in START_LINKS.items() if parameter.startswith(prefix)), None)


async def route_text(update: Update, context: JinroContext) -> None:
    """Typed text goes to the current flow's step; outside any flow, words search. Words
    that end the step or move it on take the buttons off its question (handled.answering).
    First, a question only buttons answer takes them: a button's label typed presses it,
    other words where only a button answers are told to press one (handlers/common/
    questions.py)."""
    from handlers.common.handled import answering  # it imports this module
    from handlers.common.questions import typed_label  # it imports this module

    step = TEXT_STEPS.get(context.user.flow or "")
    if step is None and context.user.role is not None:
        step = TEXT_STEPS["sr"]
    if await typed_label(update, context):  # a question only buttons answer holds them
        return
    if step is not None:
        async with answering(context):
            await step(update, context)
        return
    await reply(update, context, "common/free_text")


async def route_media(update: Update, context: JinroContext) -> None:
    """A photo, file or sticker: a flow that asks for one takes it; otherwise only text."""
    from handlers.common.handled import answering  # it imports this module

    step = file_step_for(context)
    if step is not None:
        async with answering(context):
            await step(update, context)
        return
    await reply(update, context, "common/not_text")


def deep_link(context: JinroContext, parameter: str) -> str:
    """A t.me link that opens this bot with /start <parameter>."""
    return f"https://t.me/{context.bot.username}?start={parameter}"


def keyboard(
    rows: Sequence[Sequence[Button | InlineKeyboardButton]],
) -> InlineKeyboardMarkup | None:
    """Rows of (label, callback data) pairs, and ready URL buttons (handlers/common/maps.py)."""
    rows = [row for row in rows if row]
    if not rows:
        return None
    return InlineKeyboardMarkup([[_inline_button(b) for b in row] for row in rows])


def _inline_button(button: Button | InlineKeyboardButton) -> InlineKeyboardButton:
    if isinstance(button, InlineKeyboardButton):
        return button
    text, data = button
    # Telegram refuses callback data over 64 bytes; fail here, loudly, in tests.
    assert 0 < len(data.encode()) <= 64, data
    return InlineKeyboardButton(text, callback_data=data)


def page_count(total: int, size: int) -> int:
    """Pages needed for `total` items, `size` a page (at least one)."""
    return max(1, -(-total // size))


def pages_row(lang: str, button: ButtonSpec, page: int, pages: int, *values) -> list[Button]:
    """◀ Previous / Next ▶ buttons for page `page` (0-based) of `pages`: `button` pressed
    with `values` and the page (its last field)."""
    row = []
    if page > 0:
        row.append(button(label(lang, "◀ Previous"), *values, page - 1))
    if page + 1 < pages:
        row.append(button(label(lang, "Next ▶"), *values, page + 1))
    return row


@dataclass(frozen=True)
class Page:
    """One page of a long list as a list screen shows it: the `items` on page `index`
    (0-based) of a list `total` long, `size` to a page. Every list screen pages the same
    way, so the arithmetic and the ◀ ▶ row live here once."""

    items: Sequence
    total: int
    index: int
    size: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.size)

    @property
    def number(self) -> int:
        """The page as people count it (from 1): the templates' "page/pages"."""
        return self.index + 1

    @property
    def first(self) -> int:
        """The number of the page's first item in the whole list (from 1)."""
        return self.index * self.size + 1

    @property
    def beyond(self) -> bool:
        """Past the last page: an old page button pressed after the list got shorter."""
        return self.total > 0 and self.index >= self.pages

    def numbered(self) -> enumerate:
        """(number in the whole list, item) for each item of the page."""
        return enumerate(self.items, start=self.first)

    def markup(
        self,
        lang: str,
        rows: Sequence[Sequence[Button]],
        button: ButtonSpec,
        *values,
        below: Sequence[Sequence[Button]] = (),
    ) -> InlineKeyboardMarkup | None:
        """The screen's keyboard: the items' `rows`, ◀ ▶ to the other pages (`button`
        pressed with `values` and the page), then the screen's own rows `below`."""
        paging = pages_row(lang, button, self.index, self.pages, *values)
        return keyboard([*rows, paging, *below])


async def fetch_page(fetch: Callable[..., Awaitable], *args, index: int, size: int, **kw) -> Page:
    """Page `index` of a list read by `fetch(*args, offset=…, limit=…, **kw)`, a storage
    call that gives (the page's items, the whole list's length)."""
    items, total = await fetch(*args, offset=index * size, limit=size, **kw)
    return Page(items, total, index, size)


def page_of(items: Sequence, index: int, size: int) -> Page:
    """Page `index` of a list read whole (its last page when `index` is past it)."""
    index = min(index, page_count(len(items), size) - 1)
    return Page(items[index * size : (index + 1) * size], len(items), index, size)


async def send(
    context: JinroContext,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    paced: bool = False,
) -> Message:
    """Send a text (split when too long; the keyboard goes under the last part).

    `paced`: the caller already waited for a send slot (bot/pacing.py), so the shared
    limiter does not count this message again."""
    parts = split_text(text)
    message = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        message = await context.bot.send_message(
            chat_id,
            part,
            reply_markup=markup if last else None,
            rate_limit_args={"paced": True} if paced else None,
        )
    return message


async def set_flow(context: JinroContext, flow: str | None, data: dict | None = None) -> None:
    """Move the user to a step of a flow (None: out of every flow), in its own transaction;
    `context.user` is the row as it is now. Made again after a crash it sets the same step,
    so it is not recorded with the update (bot/effects.py, idempotent)."""
    async with context.db.write(idempotent=True) as conn:
        context.user = await users_store.set_flow(conn, context.user.id, flow, data)


async def leave_flow(context: JinroContext, *prefixes: str) -> None:
    """End the user's step if it is one of an area's flows (`prefixes`, e.g. "case."): text
    typed later must not land in a step they left behind."""
    if (context.user.flow or "").startswith(prefixes):
        await set_flow(context, None)


# The update's own person when the gate found them a guardian (a guest who answered a
# student's consent request, storage/guardians.py): their id, else None. The gate sets it for
# every update (a look-up for guests only, never for an account with a role), so every reply
# and the shared helpers speak to a guardian in 합니다체 without each handler asking.
_GUARDIAN: ContextVar[int | None] = ContextVar("guardian", default=None)


def mark_guardian(user_id: int | None) -> None:
    """The gate's note for this update: `user_id` is a guardian (None: nobody is)."""
    _GUARDIAN.set(user_id)


def is_guardian(user: Row | None) -> bool:
    """This update's person is a guardian, as the gate found (a guest; never a role)."""
    guardian = _GUARDIAN.get()
    return guardian is not None and user is not None and user.role is None and user.id == guardian


def speaks_formally(user: Row | None) -> bool:
    """Adults (teachers, sites, mentors, monitors, staff, and guardians) are addressed in
    합니다체; students and people who have not joined yet keep the polite 해요체. A guest is
    known as a guardian only when they are this update's person (the gate's note)."""
    if user is None:
        return False
    if user.role is None:
        return is_guardian(user)
    return user.role != Role.STUDENT


async def reply(
    update: Update,
    context: JinroContext,
    template: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
    **values,
) -> Message | None:
    """Answer the user with a template: edit the pressed message when `edit`, else send.
    The message that shows it comes back (a question keeps its id: handled.asked).

    Every template gets `formal` (the user's register): the shared ones in common/ use it
    to speak to students and adults alike."""
    values.setdefault("formal", speaks_formally(context.user))
    examples.TODAY.set(context.today)  # an example day in a question lies ahead of it
    text = render(template, context.lang, **values)
    query = update.callback_query
    fits = shown_length(text) <= MESSAGE_MAX  # an edit is not split
    if edit and query is not None and query.message is not None and fits and not _TYPED.get():
        try:
            edited = await query.edit_message_text(text, reply_markup=markup)
            return edited if isinstance(edited, Message) else None
        except BadRequest as error:
            # Pressing the same button twice edits to identical content: nothing to do.
            if "not modified" in str(error).lower():
                return query.message if isinstance(query.message, Message) else None
            log.info("edit failed, sending instead: %s", error)
    sent = await send(context, update.effective_chat.id, text, markup)
    if edit and _TYPED.get() and (noted := _SENT_FOR_EDIT.get()) is not None:
        noted.append(sent)
    return sent


async def reply_page(
    update: Update,
    context: JinroContext,
    template: str,
    shown: Page,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
    **values,
) -> Message | None:
    """reply() for a list screen: its template also gets where the page stands in the list
    (`total` items, `page` of `pages` counted from 1, the number of its `first` item)."""
    return await reply(
        update,
        context,
        template,
        markup,
        edit=edit,
        total=shown.total,
        page=shown.number,
        pages=shown.pages,
        first=shown.first,
        **values,
    )


async def notify(
    context: JinroContext,
    user_id: int,
    lang: str,
    template: str,
    markup: InlineKeyboardMarkup | None = None,
    **values,
) -> bool:
    """Tell another user something, in their own language; False if they blocked the bot.
    Told in their own chat, the update's person gets their register as in reply()."""
    if context.user is not None and user_id == context.user.id:
        values.setdefault("formal", speaks_formally(context.user))
    try:
        await send(context, user_id, render(template, lang, **values), markup)
    except Forbidden:
        async with context.db.write() as conn:
            await users_store.mark_inactive(conn, user_id)
        return False
    except BadRequest as error:
        # "Chat not found": someone added by staff who never opened the bot. Nothing to do
        # but go on with the others.
        log.info("could not tell a user: %s", error)
        return False
    return True


# Telegram takes one answer to a press. The router marks each press it runs here, so that a
# second answer (a handler answered, then storage refused) becomes a message instead.
_ANSWERED: ContextVar[list[bool] | None] = ContextVar("answered", default=None)


async def answer_query(update: Update, text: str | None = None, alert: bool = False) -> None:
    query = update.callback_query
    if query is None:
        return
    answered = _ANSWERED.get()
    if answered is not None and answered[0]:
        if text:
            await update.effective_chat.send_message(escape(text))
        return
    if answered is not None:
        answered[0] = True
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest:
        # Telegram takes one answer per press, within minutes: a press handled again after
        # a crash, or handled late, cannot be answered; whatever else it does still stands.
        log.info("a button press could no longer be answered")


def count_answers(*, typed: bool = False) -> None:
    """Start counting this press's answers (the router calls it for each press). A press
    made by typing a button's label (handlers/common/questions.py) has no query Telegram
    could answer: its alerts are said in the chat, and what it would edit is sent below."""
    _ANSWERED.set([typed])
    _TYPED.set(typed)
    _SENT_FOR_EDIT.set([])


# This press was typed, not pressed (count_answers): reply() sends instead of editing, and
# notes the message it sent in place of the edit (sent_for_edit).
_TYPED: ContextVar[bool] = ContextVar("typed_press", default=False)
_SENT_FOR_EDIT: ContextVar[list | None] = ContextVar("sent_for_edit", default=None)


def sent_for_edit() -> Message | None:
    """The first message a typed press sent where a press would have edited the pressed
    message (the question's next state: a step's prompt moves to it)."""
    sent = _SENT_FOR_EDIT.get()
    return sent[0] if sent else None


async def stale_button(update: Update, context: JinroContext) -> None:
    """An old or forged button: say so instead of acting on it (to students in their own
    polite register, to adults in the formal one)."""
    if speaks_formally(context.user):
        text = label(context.lang, "This button can no longer be used.")
    else:
        text = label(context.lang, "This button is no longer active.")
    await answer_query(update, text, alert=True)
    await audit_refusal(context, "stale")


def requires(*roles: Role) -> Callable[[Handler], Handler]:
    """Guard a handler: only users with one of `roles` get through; others are told why."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: JinroContext) -> None:
            if context.user is None or context.user.role not in roles:
                if update.callback_query is not None:
                    await stale_button(update, context)
                else:
                    await refuse_command(update, context, handler.__name__.removesuffix("_command"))
                return
            await handler(update, context)

        return guarded

    return decorate


async def refuse_command(update: Update, context: JinroContext, command: str) -> None:
    """Someone's role does not have `command` (a code, never what they typed): told so, and
    audited like a refused press (who, what, the answer)."""
    async with context.db.write() as conn:
        await audit.record(
            conn,
            context.user.id if context.user is not None else None,
            "command.refused",
            "command",
            command,
            now=context.now,
            answer="not_allowed",
        )
    await reply(update, context, "common/not_allowed")


async def audit_read(context: JinroContext, kind: str, object_id: object = None, **detail) -> None:
    """The user (an adult) was shown other people's personal data: one audit entry, with
    counts, ids and codes only (storage/audit.py read), in a transaction of its own."""
    async with context.db.write() as conn:
        await audit.read(conn, context.user.id, kind, object_id, now=context.now, **detail)
