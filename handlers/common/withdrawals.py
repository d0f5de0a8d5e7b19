"""Telling of a guardian's consent taken back, the same way whatever took it back: the
guardian's /consent (handlers/consent/guardian.py) or the guardian's own erasure
(handlers/privacy/common.py). The student hears it (and of seats left for the teacher), and
so do the student's teachers (with the requests and places withdrawn)."""

from __future__ import annotations

from bot.context import JinroContext
from handlers import outbox
from handlers.common import notify
from handlers.common.told import consent_news
from storage.consent import Withdrawal


async def tell_withdrawal(context: JinroContext, taken: Withdrawal) -> None:
    student = taken.student
    async with context.db.write() as conn:  # through the outbox: it waits through quiet hours
        await consent_news(conn, student.id, "withdrawn", now=context.now, kept=taken.kept)
    outbox.kick(context)
    for teacher in taken.teachers:
        await notify(
            context,
            teacher.id,
            teacher.lang,
            "consent/teacher_told_withdrawn",
            name=student.name,
            grade=student.grade,
            withdrawn=len(taken.withdrawn),
            kept=taken.kept,
        )
