"""When a student hears of what an adult does now: a student's news that is not urgent waits
through quiet hours (21:00-08:00) for the morning (handlers/outbox/sender.py), so an adult's
confirmation says when the student will be told rather than "the student was told". The
templates say it with the macro student_told of messages/templates/_told.html.j2.

Likewise a site hears of a change only when someone of it is on Jinro: an adult's
confirmation says "the site was told" only then (nobody_at_site; the macro site_told)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from storage import reminders
from storage import users as users_store


def student_hears_at(now: datetime, tz: tzinfo, *, urgent: bool = False) -> datetime | None:
    """The morning a student's notice written `now` reaches them, or None when it reaches
    them at once (outside quiet hours, or an urgent kind)."""
    if urgent or not reminders.in_quiet_hours(now, tz):
        return None
    return reminders.next_morning(now, tz)


async def nobody_at_site(context, site_id: int) -> bool:
    """No one of the site is on Jinro (no active site user): what the site "is told" would
    reach no one, and the adult is asked to let the site know themselves."""
    async with context.db.read() as conn:
        return not await users_store.site_people(conn, site_id)


# A student's news of their guardian's consent (handlers/consent/news.py composes it): through
# the outbox, so that it waits through quiet hours as any student's news that is not urgent.
CONSENT_NEWS = "consent_student"
CONSENT_WHATS = ("given", "paper", "declined", "withdrawn")


async def consent_news(conn, student_id: int, what: str, *, now: datetime, kept: int = 0) -> None:
    """The notice to the student that their guardian's consent was `what` (CONSENT_WHATS;
    `kept`: confirmed seats that stay for a withdrawal), in the caller's transaction."""
    key = f"{CONSENT_NEWS}:{student_id}:{what}:{now.isoformat()}"
    detail = f"{what}:{kept}"
    await reminders.notice(conn, CONSENT_NEWS, student_id, key, now=now, detail=detail)
