"""Guardian consent for students under 14 (storage/consent.py says what the law asks and
which way of confirming a guardian each path is).

/consent: a student sees where theirs stands and asks their guardian (student: a phone
number they type anywhere while consent is missing is their guardian's); a guardian,
who has no role here, sees the children they consented for and may withdraw (guardian); a
teacher's /consents lists their students under 14 and records paper forms (teacher). What
follows the guardian's phone check, contact or identity check (identity), is one (given).
Buttons: handlers/consent/buttons.py; importing the modules here binds their handlers.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import JinroContext
from handlers.common import file_step, reply, requires, text_step
from handlers.consent import guardian, identity, student, teacher
from handlers.consent.news import OUTGOING as OUTGOING  # the outbox kinds this area sends
from storage import consent as consent_store
from storage.models import Role

# The phone identity check's return page (bot/app.py lists the web pages).
WEB_PAGES = identity.WEB_PAGES

text_step("gc")(guardian.guardian_typed)
text_step("gc.contact")(guardian.contact_typed)
file_step("gc.contact")(guardian.contact_sent)
text_step("gc.identity")(guardian.check_typed)
file_step("gc.identity")(guardian.check_typed)
text_step(student.PHONE_FLOW)(student.number_typed)


async def consent_command(update: Update, context: JinroContext) -> None:
    if context.user.role == Role.STUDENT:
        await student.student_status(update, context)
    elif context.user.role is None:
        await guardian.guardian_status(update, context)
    else:
        await reply(update, context, "common/not_allowed")


class _PhoneLike(filters.MessageFilter):
    """Typed text that is a phone number, not words (storage.consent.phone_like)."""

    def filter(self, message: Message) -> bool:
        return consent_store.phone_like(message.text or "")


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("consent", consent_command),
        CommandHandler("consents", requires(Role.TEACHER)(teacher.teacher_list)),
        # A phone number typed outside any step is never a search for a student who still
        # needs consent: it is their guardian's (anyone else's goes on as typed text does).
        # Telegram replies are left to the areas that take them (cases).
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & ~filters.REPLY & _PhoneLike(),
            student.number_outside_step,
        ),
    ]
