"""What follows the guardian's phone check, whichever way it went (their own contact shared,
guardian.py; a phone identity check, identity.py): the consent recorded or refused, and the
guardian and the student told. One place, so that both ways give and tell alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import ReplyKeyboardRemove

from bot.context import JinroContext
from handlers import outbox
from handlers.common import notify, set_flow, speaks_formally
from handlers.common.told import consent_news, student_hears_at
from storage import audit
from storage import consent as consent_store
from storage import identity as identity_store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound

# The guardian's steps (guardian.py's docstring): the question, waiting for their contact,
# waiting for their identity check.
FLOWS = ("gc", "gc.contact", identity_store.FLOW)

# Refusals a guardian is told about, by the reason's code (consent/refused); those about a
# real student are audited with the student's id.
REFUSALS = {
    consent_store.SelfConsent: "self",
    consent_store.NotAGuardian: "role",
    consent_store.TooManyChildren: "children",
    consent_store.WrongPhone: "phone",
    identity_store.NotAnAdult: "minor",
}
AUDITED = ("role", "children", "phone", "minor")


async def refusal_reason(context: JinroContext, refusal: NotFound) -> str:
    """Why not, as consent/refused says it: a link no longer open by what became of it
    (storage.consent.closed_state), an unknown one "invalid". The guardian leaves their step,
    so a check or a contact is used once (not for an old link's press: a step they have on
    another link stays)."""
    if context.user.flow in FLOWS and _about_their_step(context, refusal):
        await set_flow(context, None)
    if isinstance(refusal, consent_store.LinkClosed):
        return refusal.state
    kinds = [kind for kind in REFUSALS if isinstance(refusal, kind)]
    reason = REFUSALS[kinds[0]] if kinds else "invalid"
    if reason in AUDITED:
        async with context.db.write() as conn:
            await audit.record(
                conn,
                context.user.id,
                "consent.refused",
                "user",
                refusal.args[0] if refusal.args else None,
                reason=reason,
                now=context.now,
            )
    return reason


def _about_their_step(context: JinroContext, refusal: NotFound) -> bool:
    closed = isinstance(refusal, consent_store.LinkClosed)
    return not closed or context.user.flow_data.get("token") == refusal.token


async def record(
    context: JinroContext,
    give: Callable[[AsyncConnection], Awaitable[Row]],
    *,
    answer: str = "given",
) -> bool:
    """The guardian (context.user) answers as `give` records it (storage: it checks the
    number and returns the student's row; `answer` "given", or "declined" checked alike), in
    one transaction with the end of their step; then they and the student are told. Refused:
    nothing is written but the refusal's audit entry, and the guardian is told why. True if
    the answer was recorded."""
    try:
        async with context.db.write() as conn:
            student = await give(conn)
            await consent_news(conn, student.id, answer, now=context.now)
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except (NotFound, AlreadyHandled) as refusal:
        reason = await refusal_reason(
            context, refusal if isinstance(refusal, NotFound) else NotFound()
        )
        # Told in their own chat, in the update's answer or after the identity check's page.
        await notify(
            context,
            context.user.id,
            context.lang,
            "consent/refused",
            ReplyKeyboardRemove(),
            reason=reason,
            answer=answer,
            formal=speaks_formally(context.user),
        )
        return False
    outbox.kick(context)  # the student's notice, in the morning if it is quiet hours
    await notify(
        context,
        context.user.id,
        context.lang,
        "consent/guardian_done",
        ReplyKeyboardRemove(),
        agree=answer == "given",
        when=student_hears_at(context.now, context.tz),
        tz=context.tz,
    )
    return True
