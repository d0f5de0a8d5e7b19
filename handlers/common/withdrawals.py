"""Telling of a guardian's consent taken back, the same way whatever took it back: the
guardian's /consent (handlers/consent/guardian.py) or the guardian's own erasure
(handlers/privacy/common.py). The student hears it (and of seats left for the teacher), and
so do the student's teachers (with the requests and places withdrawn)."""

from __future__ import annotations

from bot.context import JinroContext
from handlers.common import notify
from storage.consent import Withdrawal


async def tell_withdrawal(context: JinroContext, taken: Withdrawal) -> None:
    student = taken.student
    await notify(
        context,
        student.id,
        student.lang,
        "consent/student_told",
        agree=False,
        method="withdrawn",
        kept=taken.kept,
    )
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
