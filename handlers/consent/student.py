"""The student's side: /consent shows where their guardian's consent stands; a student under
14 without it gives their guardian's mobile number and gets the link to send them.

Flow (users.flow): cn.phone, waiting for the guardian's number (typed).
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
    text = update.message.text
    if not any(ch.isdigit() for ch in text):
        # Words, not a number: they moved on (a search, a greeting). The number can wait
        # for /consent; the words go where they would have gone.
        await set_flow(context, None)
        await route_text(update, context)
        return
    phone = consent_store.mobile_number(text)
    if phone is None:
        await reply(update, context, "consent/student_bad_number")
        return
    if not consent_store.needs_consent(context.user):  # recorded meanwhile (a paper form)
        await set_flow(context, None)
        await student_status(update, context)
        return
    async with context.db.write() as conn:
        await consent_store.ask(conn, context.user, phone, now=context.now)
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await student_status(update, context)
