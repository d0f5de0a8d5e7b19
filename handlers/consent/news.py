"""What the outbox tells a student about their guardian's consent (consent_student, written
by handlers/common/told.consent_news): given, a paper form recorded, declined, withdrawn.
Through the outbox, it waits through quiet hours (21:00-08:00) like any student's news that
is not urgent; the adult who acted reads when (handlers/common/told.student_hears_at)."""

from __future__ import annotations

from handlers.common.told import CONSENT_NEWS, CONSENT_WHATS
from handlers.outbox import Kind
from storage.models import Role


async def _consent_student(conn, context, row, user):
    what, _, kept = (row.detail or "").partition(":")
    if user.role != Role.STUDENT or what not in CONSENT_WHATS:
        return None
    return "consent/student_told", {
        "agree": what in ("given", "paper"),
        "method": {"paper": "paper", "withdrawn": "withdrawn"}.get(what, "guardian"),
        "kept": int(kept) if kept.isdigit() else 0,
    }


# The kinds this area sends, registered in bot/app.py.
OUTGOING = [Kind(CONSENT_NEWS, _consent_student)]
