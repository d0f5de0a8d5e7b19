"""The student's side: /consent shows where their guardian's consent stands; a student under
14 without it gives their guardian's mobile number and gets the link to send them.

Flow (users.flow): cn.phone, waiting for the guardian's number (typed). The step stays open
until a mobile number comes (or /cancel): words get an answer saying what to type and how to
leave it for later, never a search. A number typed outside the step, by a student who still
needs consent, is their guardian's too (`number_outside_step`), never a search.
Only the guardian's number is asked, never the student's own: the guardian's shared contact
must match it (storage/consent.py).
"""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, deep_link, keyboard, reply, route_text, set_flow
from handlers.consent.buttons import NEW_NUMBER
from messages import label
from storage import consent as consent_store
from storage import users as users_store

PHONE_FLOW = consent_store.NUMBER_FLOW


async def student_status(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    student = context.user
    if not consent_store.needs_consent(student):
        await reply(update, context, "consent/student_status", edit=edit, user=student)
        return
    async with context.db.read() as conn:
        request = await consent_store.pending(conn, student.id, now=context.now)
    if request is None:
        await ask_number(update, context, edit=edit)
        return
    markup = keyboard([[NEW_NUMBER(label(context.lang, "Send to another number"))]])
    await reply(
        update,
        context,
        "consent/student_link",
        markup,
        edit=edit,
        link=deep_link(context, request.token),
        number=consent_store.shown_number(request.guardian_phone),
        expires=request.expires_at.astimezone(context.tz),
    )


async def ask_number(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    await set_flow(context, PHONE_FLOW)
    await reply(update, context, "consent/student_ask_number", edit=edit)


@NEW_NUMBER.handles
async def new_number(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    if consent_store.needs_consent(context.user):
        await ask_number(update, context, edit=True)
    else:
        await student_status(update, context, edit=True)


async def number_typed(update: Update, context: JinroContext) -> None:
    """Text while the guardian's number is asked: a mobile number makes the link; anything
    else is answered with what to type, and the step stays open (/cancel leaves it)."""
    text = update.message.text
    if not consent_store.needs_consent(context.user):  # recorded meanwhile (a paper form)
        await set_flow(context, None)
        await student_status(update, context)
        return
    phone = consent_store.mobile_number(text)
    if phone is None:
        kind = "number" if any(ch.isdigit() for ch in text) else "words"
        digits = consent_store.miscounted(text)
        await reply(update, context, "consent/student_bad_number", kind=kind, digits=digits)
        return
    await _asked(update, context, phone)


async def _asked(update: Update, context: JinroContext, phone: str) -> None:
    """The guardian's number came: a link for it (the open one, if it is for this number),
    and the student's step ends."""
    async with context.db.write() as conn:
        request = await consent_store.pending(conn, context.user.id, now=context.now)
        if request is None or request.guardian_phone != phone:
            await consent_store.ask(conn, context.user, phone, now=context.now)
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await student_status(update, context)


# Where a number typed outside the step is taken as the guardian's: no step, or the search's
# own state (a student who searched, then typed the number).
OUTSIDE_STEPS = (None, "sr")


async def number_outside_step(update: Update, context: JinroContext) -> None:
    """Something that looks like a phone number (storage.consent.phone_like), typed outside
    the guardian's-number step. A student who still needs consent meant their guardian's:
    a mobile number makes the link, another number is answered as in the step (which opens
    again). Anyone else's text goes where it would have gone (route_text)."""
    user = context.user
    if user is None or not consent_store.needs_consent(user) or user.flow not in OUTSIDE_STEPS:
        await route_text(update, context)
        return
    phone = consent_store.mobile_number(update.message.text)
    if phone is None:
        await set_flow(context, PHONE_FLOW)
        digits = consent_store.miscounted(update.message.text)
        await reply(update, context, "consent/student_bad_number", kind="number", digits=digits)
        return
    await _asked(update, context, phone)
