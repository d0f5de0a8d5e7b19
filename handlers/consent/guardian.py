"""The guardian's side: the link opened in their own Telegram, the relationship, their own
contact shared with Telegram's button (or, where the city switched it on, a phone identity
check: identity.py), the answer; later /consent to see and withdraw.

Flows (users.flow; data in users.flow_data):
    gc {"token"}                     the question (buttons); typed text shows it again
    gc.contact {"token", "rel", "answer"}  waiting for the guardian's own contact (reply keyboard)
    gc.identity {"token", "rel", "answer", "check"}  waiting for their identity check (identity.py)

"answer" is "given" (a relationship button: agreeing) or "declined" ("I do not agree"): a
no is checked exactly as a yes is, since it too is recorded in the guardian's name (it closes
the link and tells the student and the teacher). Until the check holds, nothing is written
and the link stays open for the real guardian.
"""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    keyboard,
    reply,
    set_flow,
    stale_button,
    start_link,
)
from handlers.common.told import student_hears_at
from handlers.common.withdrawals import tell_withdrawal
from handlers.consent import given, identity
from handlers.consent.buttons import DISAGREE, KEEP, RELATIONSHIP, WITHDRAW, WITHDRAW_SURE
from messages import label
from storage import consent as consent_store
from storage import users as users_store
from storage.cases import at_place, party_tag
from storage.errors import NotFound


@start_link("c")
async def guardian_opened(update: Update, context: JinroContext, token: str) -> None:
    """A guardian opened a student's consent link."""
    await ask_guardian(update, context, token)


async def ask_guardian(
    update: Update, context: JinroContext, token: str, *, edit: bool = False
) -> None:
    try:
        async with context.db.read() as conn:
            request = await consent_store.for_guardian(
                conn, token, context.user, context.user.id, now=context.now
            )
            school = await users_store.school(conn, request.school_id)
            fees = await consent_store.fees(conn)
    except NotFound as refusal:
        await refuse(update, context, refusal, edit=edit)
        return
    if context.user.flow != "gc" or context.user.flow_data.get("token") != token:
        # Remembered, so a guardian who types instead of pressing is asked again.
        await set_flow(context, "gc", {"token": token})
    lang = context.lang
    markup = keyboard(
        [
            [RELATIONSHIP(label(lang, "I am the parent, and I agree"), "parent", token)],
            [RELATIONSHIP(label(lang, "I am the legal guardian, and I agree"), "guardian", token)],
            [DISAGREE(label(lang, "I do not agree"), token)],
        ]
    )
    await reply(
        update,
        context,
        "consent/guardian_ask",
        markup,
        edit=edit,
        name=request.name,
        school=school.name if school else "",
        grade=request.grade,
        fees=fees,
        method="identity" if identity.check_of(context) is not None else "contact",
    )


async def refuse(
    update: Update, context: JinroContext, refusal: NotFound, *, edit: bool = False
) -> None:
    """Tell the guardian why not (a link no longer open: what became of it; an unknown one:
    "invalid")."""
    answer = context.user.flow_data.get("answer", "given")  # before the step may end below
    reason = await given.refusal_reason(context, refusal)
    markup = ReplyKeyboardRemove() if update.callback_query is None else None
    await reply(update, context, "consent/refused", markup, edit=edit, reason=reason, answer=answer)


async def refuse_press(update: Update, context: JinroContext, refusal: NotFound) -> None:
    """A press on the consent question refused (most often an old one: the link was answered
    meanwhile, by this guardian too). The question they answered stays as it was, the record
    of what they agreed to; the answer comes as a new message. A link that is closed for good
    loses its buttons, so they are not pressed again. No such link at all: a forged press,
    given the stale answer."""
    if type(refusal) is NotFound:
        await stale_button(update, context)
        return
    await answer_query(update)
    if isinstance(refusal, consent_store.LinkClosed):
        try:
            await update.callback_query.edit_message_reply_markup(None)
        except BadRequest:
            pass  # gone, or already without buttons: the answer below says it all
    await refuse(update, context, refusal)


async def guardian_typed(update: Update, context: JinroContext) -> None:
    # A guardian is an adult though a guest: 합니다체, as in the rest of the consent flow.
    await reply(update, context, "common/press_button", formal=True)
    await ask_guardian(update, context, context.user.flow_data.get("token", ""))


@RELATIONSHIP.handles
async def relationship_chosen(
    update: Update, context: JinroContext, relationship: str, token: str
) -> None:
    """They agree as parent or guardian: now their own contact, with Telegram's button, or
    the city's identity check."""
    await check_answer(update, context, token, "given", relationship)


@DISAGREE.handles
async def disagreed(update: Update, context: JinroContext, token: str) -> None:
    """They do not agree: checked as an agreement is, before anything is recorded."""
    await check_answer(update, context, token, "declined", "")


async def check_answer(
    update: Update, context: JinroContext, token: str, answer: str, relationship: str
) -> None:
    """The guardian's answer on the question waits for their check: their own contact, or
    the city's identity check. (A press they may not make, or on a link no longer open, is
    told why: refuse_press.) The question keeps its buttons, so a check that fails can be
    done again, or the other answer chosen."""
    try:
        async with context.db.read() as conn:
            await consent_store.for_guardian(
                conn, token, context.user, context.user.id, now=context.now
            )
    except NotFound as refusal:
        await refuse_press(update, context, refusal)
        return
    await answer_query(update)
    if identity.check_of(context) is not None:
        await identity.start_check(update, context, token, relationship, answer)
        return
    await set_flow(context, "gc.contact", {"token": token, "rel": relationship, "answer": answer})
    await ask_contact(update, context)


def share_button(context: JinroContext) -> str:
    return label(context.lang, "📱 Share my phone number")


def share_keyboard(context: JinroContext) -> ReplyKeyboardMarkup:
    share = KeyboardButton(share_button(context), request_contact=True)
    return ReplyKeyboardMarkup([[share]], resize_keyboard=True, one_time_keyboard=True)


async def ask_contact(update: Update, context: JinroContext) -> None:
    answer = context.user.flow_data.get("answer", "given")
    await reply(update, context, "consent/guardian_contact", share_keyboard(context), answer=answer)


async def contact_typed(update: Update, context: JinroContext) -> None:
    """Text instead of the contact. A typed number proves nothing (anyone can type the
    number the student gave): they are told so; other text gets the button again."""
    await reply(
        update,
        context,
        "consent/guardian_typed",
        share_keyboard(context),
        kind=typed_kind(update.message.text),
        method="contact",
        button=share_button(context),
    )


def typed_kind(text: str) -> str:
    """What a guardian typed in place of their phone check: "number" or "words"."""
    number = consent_store.phone_like(text) or consent_store.mobile_number(text) is not None
    return "number" if number else "words"


async def contact_sent(update: Update, context: JinroContext) -> None:
    """The guardian's contact (or a photo, a file…) while waiting for it."""
    contact = update.message.contact if update.message is not None else None
    if contact is None:  # a photo, a file: the button again
        await ask_contact(update, context)
        return
    # Telegram sets user_id to the sender's own id only when they share their own number
    # with the button; a card from the address book proves nothing about who they are.
    if contact.user_id != update.effective_user.id:
        await reply(update, context, "consent/guardian_not_own")
        await ask_contact(update, context)
        return
    guardian, data = context.user, context.user.flow_data
    phone = consent_store.mobile_number(contact.phone_number, shared=True)
    answer = data.get("answer", "given")
    await given.record(
        context,
        lambda conn: consent_store.answer(
            conn,
            data.get("token", ""),
            guardian,
            guardian.id,
            answer=answer,
            relationship=data.get("rel", ""),
            shared_phone=phone,
            now=context.now,
        ),
        answer=answer,
    )


async def check_typed(update: Update, context: JinroContext) -> None:
    """Text or a file while their identity check is open: a typed number is told it proves
    nothing; then its button again (the question again if the city has switched the check
    off meanwhile)."""
    if identity.check_of(context) is None:
        await ask_guardian(update, context, context.user.flow_data.get("token", ""))
        return
    text = update.message.text if update.message is not None else None
    if text is None:
        await identity.ask_check(update, context)
        return
    await identity.ask_check(update, context, typed=typed_kind(text))


# ----- later: /consent in the guardian's chat -------------------------------------------------


async def guardian_status(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    """The children this account consented for, each with a button to withdraw."""
    async with context.db.read() as conn:
        children = await consent_store.children_of(conn, context.user.id)
        schools = {c.school_id: await users_store.school(conn, c.school_id) for c in children}
    rows = [
        [
            WITHDRAW(
                label(context.lang, "Withdraw for %(name)s", name=c.name), place, _tag(context, c)
            )
        ]
        for place, c in enumerate(children)
    ]
    await reply(
        update,
        context,
        "consent/guardian_status",
        keyboard(rows),
        edit=edit,
        children=[
            {"name": c.name, "grade": c.grade, "school": _name(schools[c.school_id])}
            for c in children
        ],
    )


def _name(school) -> str:
    return school.name if school is not None else ""


def _tag(context: JinroContext, child) -> int:
    return party_tag(context.user.id, child.id)


async def _child_at(context: JinroContext, place: int, tag: int):
    """The child at `place` of the guardian's list if the check number still matches."""
    async with context.db.read() as conn:
        children = await consent_store.children_of(conn, context.user.id)
    child = at_place(children, place, tag, context.user.id)
    if child is None:
        raise NotFound(place)
    return child


@WITHDRAW.handles
async def withdraw_asked(update: Update, context: JinroContext, place: int, tag: int) -> None:
    child = await _child_at(context, place, tag)
    async with context.db.read() as conn:
        kept = await consent_store.confirmed_seats(conn, child.id, now=context.now)
    await answer_query(update)
    lang = context.lang
    markup = keyboard(
        [
            [WITHDRAW_SURE(label(lang, "Yes, withdraw my consent"), place, tag)],
            [KEEP(label(lang, "No, keep my consent"))],
        ]
    )
    await reply(
        update,
        context,
        "consent/guardian_withdraw_ask",
        markup,
        edit=True,
        name=child.name,
        kept=kept,
    )


@WITHDRAW_SURE.handles
async def withdraw_confirmed(update: Update, context: JinroContext, place: int, tag: int) -> None:
    child = await _child_at(context, place, tag)
    async with context.db.write() as conn:
        taken = await consent_store.withdraw(
            conn, context.user.id, child.id, now=context.now, offer=context.settings.offer
        )
    await answer_query(update)
    await tell_withdrawal(context, taken)
    when = student_hears_at(context.now, context.tz)
    await reply(
        update,
        context,
        "consent/guardian_withdrawn",
        edit=True,
        name=taken.student.name,
        teachers=len(taken.teachers),
        when=when,
        tz=context.tz,
    )


@KEEP.handles
async def withdraw_kept(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await guardian_status(update, context, edit=True)
