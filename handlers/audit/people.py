"""/audit's first steps: staff are asked whose trail to see, type a name (or part of it),
and pick the person from a paged list that tells people of one name apart by role, school
and grade, or site; or they press "everything" for a period. Anyone but staff is refused
(and the refusal audited)."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.audit import trail
from handlers.audit.buttons import AGAIN, EVERYTHING, PEOPLE, PERSON
from handlers.audit.labels import found
from handlers.common import (
    answer_query,
    fetch_page,
    keyboard,
    refuse_command,
    reply,
    reply_page,
    set_flow,
)
from messages import label
from messages.labels import N_
from storage import audit_trail as store
from storage import users as users_store
from storage.cases import at_place, party_tag
from storage.errors import NotFound
from storage.models import Role

FLOW = "audit.name"  # typed text names a person
TYPED = "audit_q"  # flow data: the name typed last, from which the list of people is re-read
SHOWN = 8  # people a page
EVERYTHING_LABELS = {
    "week": N_("🌐 Everything: last 7 days"),
    "month": N_("🌐 Everything: last 30 days"),
    "year": N_("🌐 Everything: this school year"),
}


async def audit_command(update: Update, context: JinroContext) -> None:
    if context.user is None or context.user.role != Role.STAFF:
        await refuse_command(update, context, "audit")
        return
    typed = " ".join(context.args or []).strip()
    if typed:  # "/audit 김민지": the name came with the command
        await _search(update, context, typed)
        return
    await set_flow(context, FLOW)
    await ask(update, context)


async def ask(update: Update, context: JinroContext) -> None:
    lang = context.lang
    rows = [[EVERYTHING(label(lang, EVERYTHING_LABELS[p]), p)] for p in store.PERIODS]
    await reply(update, context, "audit/ask", keyboard(rows))


@AGAIN.handles
async def again(update: Update, context: JinroContext) -> None:
    """Someone else: the question again, in a new message (the trail stays above)."""
    await answer_query(update)
    await set_flow(context, FLOW)
    await ask(update, context)


async def name_typed(update: Update, context: JinroContext) -> None:
    if context.user.role != Role.STAFF:  # no longer staff since the question was asked
        await set_flow(context, None)
        await refuse_command(update, context, "audit")
        return
    await _search(update, context, update.message.text or "")


async def _search(update: Update, context: JinroContext, typed: str) -> None:
    # A name is at most 20 characters: anything longer finds nobody, and is kept short.
    typed = " ".join(typed.split())[: users_store.TYPED_MAX + 1]
    if not typed:
        await ask(update, context)
        return
    await set_flow(context, FLOW, {TYPED: typed})
    await show_people(update, context, typed, 0)


def _typed(context: JinroContext) -> str:
    """The name the list on screen was found by; gone (another step replaced the flow data)
    makes its buttons old ones."""
    typed = (context.user.flow_data or {}).get(TYPED)
    if not isinstance(typed, str) or not typed:
        raise NotFound("people")
    return typed


async def show_people(
    update: Update, context: JinroContext, typed: str, page: int, *, edit: bool = False
) -> None:
    async with context.db.read() as conn:
        shown = await fetch_page(users_store.find_people, conn, typed, index=page, size=SHOWN)
    if not shown.items and page > 0:  # past the end: someone left since
        await show_people(update, context, typed, page - 1, edit=edit)
        return
    # What is read: names, roles, schools and grades of the people found.
    async with context.db.write() as conn:
        await store.people_shown(
            conn, context.user.id, now=context.now, page=page, rows=len(shown.items)
        )
    lang = context.lang
    people = [found(row, lang) for row in shown.items]
    rows = [
        [
            PERSON(
                f"{number}. {person.name} · {person.where}"[:60],
                page,
                place,
                party_tag(context.user.id, row.id),
            )
        ]
        for place, ((number, row), person) in enumerate(zip(shown.numbered(), people, strict=True))
    ]
    await reply_page(
        update,
        context,
        "audit/people",
        shown,
        shown.markup(lang, rows, PEOPLE),
        edit=edit,
        people=people,
        typed=typed,
    )


@PEOPLE.handles
async def people_page(update: Update, context: JinroContext, page: int) -> None:
    typed = _typed(context)
    await answer_query(update)
    await show_people(update, context, typed, page, edit=True)


@PERSON.handles
async def person_picked(
    update: Update, context: JinroContext, page: int, place: int, tag: int
) -> None:
    """The person at that place of that page, if the list still shows them there (a list
    that changed since gives the stale answer, never another person): their trail of the
    last 30 days, in a new message (the list stays, to pick another)."""
    typed = _typed(context)
    async with context.db.read() as conn:
        people, _ = await users_store.find_people(conn, typed, offset=page * SHOWN, limit=SHOWN)
    person = at_place(people, place, tag, context.user.id)
    if person is None:
        raise NotFound(place)
    await answer_query(update)
    # Typed text is a search again, not a name: out of the flow, the list kept pressable.
    await set_flow(context, None, {TYPED: typed})
    await trail.open_trail(update, context, person.id, "month", edit=False)


@EVERYTHING.handles
async def everything(update: Update, context: JinroContext, period: str) -> None:
    await answer_query(update)
    if context.user.flow == FLOW:
        await set_flow(context, None, context.user.flow_data)
    await trail.open_trail(update, context, None, period, edit=True)
