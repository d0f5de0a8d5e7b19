"""The mediator brings the student's teacher or the site's people into a case as parties
(storage.cases.joining): the list to pick from, then the person at that place, told."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.cases.buttons import ADD_PARTY, BRING_IN
from handlers.cases.common import (
    MEDIATORS,
    REFUSALS,
    _alert,
    _open_case_keyboard,
    _question_keyboard,
)
from handlers.cases.writing import _writable
from handlers.common import answer_query, reply, stale_button
from messages.labels import N_
from messages.people import called
from storage import cases as store
from storage.errors import AlreadyHandled, NotFound
from storage.names import shared_name


@ADD_PARTY.handles
async def pick_joiner(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _writable(update, context, case_id, MEDIATORS)
    if found is None:
        return
    async with context.db.read() as conn:
        people = await store.joinable(conn, found[0])
    await answer_query(update)
    lang = context.lang
    # The person's place in this list and a check number, never their user id.
    rows = [
        [
            BRING_IN(
                called(lang, p.role, shared_name(p.name, p.role))[:60],
                case_id,
                n,
                store.party_tag(case_id, p.id),
            )
        ]
        for n, p in enumerate(people[:100])
    ]
    await reply(
        update,
        context,
        "cases/pick_joiner",
        _question_keyboard(lang, case_id, rows),
        edit=True,
        case=found[0],
        tz=context.tz,
        count=len(rows),
    )


@BRING_IN.handles
async def joiner_chosen(update: Update, context: JinroContext, case_id: int, n: int, tag: int):
    found = await _writable(update, context, case_id, MEDIATORS)
    if found is None:
        return
    async with context.db.read() as conn:
        people = await store.joinable(conn, found[0])
    person = store.at_place(people, n, tag, case_id)
    if person is None:  # brought in meanwhile, or the list changed since it was shown
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            role = await store.bring_in(conn, case_id, context.user, person.id, now=context.now)
    except store.Refused:
        await _alert(update, context, REFUSALS["closed"])
        return
    except AlreadyHandled:
        await _alert(update, context, N_("This person is already in the case."))
        return
    except NotFound:
        await stale_button(update, context)
        return
    await answer_query(update)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/joined",
        _open_case_keyboard(context.lang, case_id),
        edit=True,
        case_id=case_id,
        role=role,
        name=shared_name(person.name, role),
    )
