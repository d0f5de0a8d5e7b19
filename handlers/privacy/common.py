"""What the three ways of erasing share (the person themselves, a guardian for a child, staff
on a written request): the erasure in the caller's write transaction with what is needed to
tell others, then telling them: the teachers of withdrawn requests and the sites of seats
given back, the person erased when someone else asked for it, and when a guardian erases
themselves, the children whose consent that withdraws and those children's teachers (as a
withdrawal in /consent tells them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import JinroContext
from handlers import outbox
from handlers.common import notify, speaks_formally
from handlers.common.withdrawals import tell_withdrawal
from storage import bookings as bookings_store
from storage import consent, erasure
from storage import users as users_store
from storage.bookings.views import teachers_of
from storage.consent import Withdrawal
from storage.models import Role


@dataclass
class Aftermath:
    """An erasure done, and whom it concerns, read in its transaction (after it, nothing of
    the person is left to read)."""

    person: Row  # the users row as it was
    reason: str  # "self", "guardian" or a staff reason code (storage.erasable)
    erased: erasure.Erased
    teachers: list[Row] = field(default_factory=list)
    sessions: dict[int, Row] = field(default_factory=dict)  # of the seats given back
    sites: dict[int, list[Row]] = field(default_factory=dict)  # site id -> its people
    # A guardian's own erasure: each consent it withdrew, with whom to tell.
    children: list[Withdrawal] = field(default_factory=list)


async def erase(
    conn: AsyncConnection, context: JinroContext, person: Row, *, reason: str
) -> Aftermath:
    """Erase `person` for the user of `context` (themselves, a guardian, staff) within the
    caller's write transaction, with the reason's code."""
    teachers = []
    if person.role == Role.STUDENT and person.school_id is not None:
        teachers = list((await conn.execute(teachers_of(person.school_id, person.grade))).all())
    children = await _withdraw_consents(conn, context, person) if person.role is None else []
    erased = await erasure.erase(
        conn,
        person,
        actor_id=context.user.id,
        reason=reason,
        now=context.now,
        offer=context.settings.offer,
    )
    sessions = await bookings_store.session_views(conn, {f.session_id for f in erased.cancelled})
    sites = {s.site_id: await users_store.site_people(conn, s.site_id) for s in sessions.values()}
    return Aftermath(person, reason, erased, teachers, sessions, sites, children)


async def ahead(context: JinroContext, person_id: int) -> erasure.Ahead:
    """What erasing the person would cancel now, and who would hear of it: for the question
    before it, which says only what tell_others will do (messages/templates/privacy/
    _ahead.html.j2)."""
    async with context.db.read() as conn:
        return await erasure.ahead(conn, person_id, now=context.now)


async def _withdraw_consents(
    conn: AsyncConnection, context: JinroContext, guardian: Row
) -> list[Withdrawal]:
    """A guardian's consents withdrawn before the erasure (which would withdraw them too, but
    all at once): one child at a time, so that each child and their teachers can be told
    what went."""
    return [
        await consent.withdraw(
            conn, guardian.id, child.id, now=context.now, offer=context.settings.offer
        )
        for child in await consent.children_of(conn, guardian.id)
    ]


async def tell_others(context: JinroContext, done: Aftermath) -> None:
    """The seats go on down the waiting lists; the student's teachers hear of the requests
    withdrawn (and at whose request), the sites of the seats given back."""
    outbox.kick(context)
    for taken in done.children:  # a guardian's own erasure: as /consent tells a withdrawal
        await tell_withdrawal(context, taken)
    person = done.person
    requests = sum(freed.was == "requested" for freed in done.erased.withdrawn)
    for teacher in done.teachers if requests else []:
        await notify(
            context,
            teacher.id,
            teacher.lang,
            "privacy/teacher_told",
            name=person.name,
            grade=person.grade,
            requests=requests,
            reason=done.reason,
        )
    for freed in done.erased.cancelled:
        session = done.sessions.get(freed.session_id)
        for site_person in done.sites[session.site_id] if session is not None else []:
            await notify(
                context,
                site_person.id,
                site_person.lang,
                "privacy/site_told",
                session=session,
                tz=context.tz,
            )


async def tell_erased(context: JinroContext, done: Aftermath) -> None:
    """The person erased at someone else's request is told once, in their register (a
    student 해요체, an adult 합니다체). Sent after the erasure is committed, not before: a
    refusal in its transaction (a guardian's consent withdrawn meanwhile) must not have told
    them anything, and the message needs only the id and language read before. A chat that
    never opened, or a blocked bot, is no error (notify; nothing is left to mark inactive)."""
    person = done.person
    await notify(
        context,
        person.id,
        person.lang,
        "privacy/erased_told",
        reason=done.reason,
        formal=speaks_formally(person),
    )
