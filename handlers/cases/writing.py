"""Writing in a case: to everyone, privately to one party, a proposal; Telegram's reply to
a relayed message; the parties' answers to a proposal; typed text and files where a
case flow expects something else."""

from __future__ import annotations

from functools import partial

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import filters

from bot.context import JinroContext
from handlers import outbox
from handlers.cases.buttons import ACCEPT, DROP, PARTY_CHOSEN, PICK_PARTY, PROPOSE, REJECT, REPLY
from handlers.cases.common import (
    MEDIATORS,
    REFUSALS,
    _alert,
    _case_buttons,
    _end_flow_in,
    _leave_flow,
    _open_case_keyboard,
    _question_keyboard,
    _student_hears_at,
    log,
)
from handlers.cases.opening import _read_post, first_message, kind_typed
from handlers.common import (
    answer_query,
    keyboard,
    reply,
    route_media,
    route_text,
    set_flow,
    stale_button,
)
from handlers.common.handled import asked, settle_prompt
from handlers.common.questions import expect_buttons
from messages import label
from messages.people import called
from storage import cases as store
from storage.errors import AlreadyHandled, NotFound
from storage.names import shared_name

# ----- writing in a case ----------------------------------------------------------------------


async def _writable(
    update: Update, context: JinroContext, case_id: int, seen_as: tuple[str, ...] = ()
):
    """(case, how the user sees it) if they may write in it now, and see it as one of
    `seen_as` when given (e.g. the mediator); else None, the press answered (closed, read
    only). NotFound when they may not read it, or it is not theirs to do: the router gives
    the answer for a missing case."""
    async with context.db.read() as conn:
        found, seen = await store.case_for(conn, case_id, context.user)
    if found.status == "closed":
        await _alert(update, context, REFUSALS["closed"])
        return None
    if seen == "reader":
        await _alert(update, context, REFUSALS["read_only"])
        return None
    if seen_as and seen not in seen_as:
        raise NotFound
    return found, seen


async def _asked(update: Update, context: JinroContext, case_id: int, seen_as=()):
    """_writable, with the press answered when the user may go on: how each step that asks
    something about a case begins."""
    found = await _writable(update, context, case_id, seen_as)
    if found is not None:
        await answer_query(update)
    return found


async def _ask_post(update: Update, context: JinroContext, case_id: int, found, what, party=None):
    """Into the flow that takes the next message as a post (`what`: a reply to everyone, a
    private one to `party`, a proposal; each has its flow, case.<what>), and ask for it."""
    case, seen = found
    to = {"u": party.user_id} if party is not None else {}
    await set_flow(context, f"case.{what}", {"c": case_id, **to})
    shown = await reply(
        update,
        context,
        "cases/ask_post",
        keyboard([[DROP(label(context.lang, "✕ Stop"))]]),
        what=what,
        case=case,
        tz=context.tz,
        seen=seen,
        role=party.role if party is not None else None,
        name=shared_name(party.name, party.role) if party is not None else None,
        limit=store.TEXT_MAX,
    )
    await asked(context, shown)  # the message posted settles it: no "✕ Stop" after


@REPLY.handles
async def reply_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _asked(update, context, case_id)
    if found is not None:
        await _ask_post(update, context, case_id, found, "reply")


@PICK_PARTY.handles
async def pick_party(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _writable(update, context, case_id, MEDIATORS)
    if found is None:
        return
    async with context.db.read() as conn:
        people = await store.party_list(conn, case_id)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            PARTY_CHOSEN(
                called(lang, p.role, shared_name(p.name, p.role))[:60],
                case_id,
                n,
                store.party_tag(case_id, p.user_id),
            )
        ]
        for n, p in enumerate(people)
    ]
    markup = _question_keyboard(lang, case_id, rows)
    await reply(
        update, context, "cases/pick_party", markup, edit=True, case=found[0], tz=context.tz
    )


@PARTY_CHOSEN.handles
async def party_chosen(update: Update, context: JinroContext, case_id: int, n: int, tag: int):
    found = await _writable(update, context, case_id)
    if found is None:
        return
    async with context.db.read() as conn:
        people = await store.party_list(conn, case_id)
    if found[1] not in MEDIATORS or not store.at_place(people, n, tag, case_id, _user_id):
        await stale_button(update, context)
        return
    await answer_query(update)
    await _ask_post(update, context, case_id, found, "private", people[n])


def _user_id(party) -> int:
    return party.user_id


@PROPOSE.handles
async def propose_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _asked(update, context, case_id, MEDIATORS)
    if found is not None:
        await _ask_post(update, context, case_id, found, "proposal")


async def post_typed(update: Update, context: JinroContext) -> None:
    """A message for the case the flow names: to everyone, privately, or a proposal."""
    flow, data = context.user.flow, context.user.flow_data
    got = await _read_post(update, context, photos=flow != "case.proposal")
    if got is None:
        return
    case_id = data.get("c")
    if not isinstance(case_id, int):
        await set_flow(context, None)
        await reply(update, context, "common/cancelled")
        return
    kind = {"case.private": "private", "case.proposal": "proposal"}.get(flow, "message")
    await _post(update, context, case_id, got, kind=kind, to_user_id=data.get("u"))


async def _post(update, context, case_id: int, got, *, kind="message", to_user_id=None) -> None:
    photo, text = got
    # The question asked for this message: posted or refused, its "✕ Stop" has done its work.
    await settle_prompt(context, context.user.flow_data)
    try:
        async with context.db.write() as conn:
            await store.post(
                conn,
                case_id,
                context.user,
                text,
                photo,
                now=context.now,
                kind=kind,
                to_user_id=to_user_id,
                answer_wait=context.settings.case_answer,
            )
            await _end_flow_in(conn, context)
    except NotFound:
        await _step_failed(update, context, None)
        return
    except store.Refused as refused:
        await _step_failed(update, context, refused.reason)
        return
    # The copies go out while the sender is answered, not one round trip after.
    outbox.kick(context)
    only = to_user_id if kind == "private" else None
    await reply(
        update,
        context,
        "cases/posted",
        _open_case_keyboard(context.lang, case_id),
        what=kind,
        case_id=case_id,
        when=await _student_hears_at(context, case_id, only=only),
        tz=context.tz,
    )


async def _step_failed(update: Update, context: JinroContext, reason: str | None) -> None:
    """A post or a closing the case no longer takes: the flow is left, and the user told that
    the case is gone (`reason` None) or why it refused, on the pressed button if any."""
    await _leave_flow(context)
    if update.callback_query is not None and reason is None:
        await stale_button(update, context)
    elif update.callback_query is not None:
        await _alert(update, context, REFUSALS.get(reason, REFUSALS["closed"]))
    elif reason is None:
        await reply(update, context, "cases/gone")
    else:
        await reply(update, context, "cases/refused", reason=reason)


def _replied_case(message: Message | None) -> int | None:
    """The case a message answers with Telegram's reply: the relayed message it answers
    carries the case's reply button (REPLY, cs:re:C)."""
    target = message.reply_to_message if message is not None else None
    if target is None or target.reply_markup is None:
        return None
    if target.from_user is not None and not target.from_user.is_bot:
        return None
    for row in target.reply_markup.inline_keyboard:
        for button in row:
            found = REPLY.match(button.callback_data or "")
            if found is not None:
                return found[0]
    return None


class _AnswersACase(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return _replied_case(message) is not None


async def telegram_reply(update: Update, context: JinroContext) -> None:
    """Telegram's reply to a relayed message goes to its case, unless the person is in the
    middle of another flow: then it is that flow's answer, as any message would be."""
    user = context.user
    if user is None or user.role is None or (user.flow not in (None, "case.reply")):
        if update.message.text:
            await route_text(update, context)
        else:
            await route_media(update, context)
        return
    got = await _read_post(update, context)
    if got is None:
        return
    await _post(update, context, _replied_case(update.message), got)


# ----- proposals: the parties' answers ---------------------------------------------------------


async def answer_pressed(
    update: Update, context: JinroContext, case_id: int, proposal_id: int, *, accept: bool
):
    try:
        async with context.db.write() as conn:
            tally = await store.answer(
                conn, case_id, proposal_id, context.user, accept, now=context.now
            )
    except store.Refused as refused:
        await _alert(update, context, REFUSALS.get(refused.reason, REFUSALS["closed"]))
        return
    except AlreadyHandled:
        await _alert(update, context, REFUSALS["answered"])
        return
    await answer_query(update)
    query = update.callback_query
    try:  # the proposal stays as it was written, without its answer buttons
        await query.edit_message_reply_markup(keyboard([_case_buttons(context.lang, case_id)]))
    except BadRequest as error:
        log.info("could not take the answer buttons away: %s", error)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/answered",
        _open_case_keyboard(context.lang, case_id),
        accepted=accept,
        tally=tally,
    )


ACCEPT.handles(partial(answer_pressed, accept=True))
REJECT.handles(partial(answer_pressed, accept=False))


# ----- typed text where a button is expected, and files ---------------------------------------


async def button_expected(update: Update, context: JinroContext) -> None:
    await expect_buttons(update, context)


async def file_sent(update: Update, context: JinroContext) -> None:
    """A photo (or a sticker, a file) in a case flow: the steps that take photos read it;
    the others want a button or words."""
    flow = context.user.flow
    if flow == "case.text":
        await first_message(update, context)
    elif flow in ("case.reply", "case.private"):
        await post_typed(update, context)
    elif flow == "case.kind" and update.message.photo:
        await kind_typed(update, context)
    elif flow in ("case.proposal", "case.note"):
        await reply(update, context, "cases/text_or_photo", photos=False)
    else:
        await button_expected(update, context)
