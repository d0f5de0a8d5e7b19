"""/erase: staff erase someone on a request made to them (PIPA Art. 36), from the person,
their guardian or their school: they type the person's name or part of it, pick them from
the people found (role, school, grade and site tell two of one name apart; the button holds
their place in the list and a check number), choose whose request it is, and confirm. The
erasure's audit entry names the staff member as actor and the request's code as reason; the
list and the person shown are audited reads (counts and ids only); anyone else's /erase is
an audited refusal. A staff member is never erased here, nor oneself (storage/erasable.py:
their own data goes through /deleteme). Others are told as in /deleteme, and the person too.

Flows: er.name (typed text searches; flow_data {"q": the text}), er.sure (the erasure asked,
"q" kept so that the list can be read again)."""

from __future__ import annotations

from sqlalchemy.engine import Row
from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    audit_read,
    fetch_page,
    keyboard,
    leave_flow,
    refuse_command,
    reply,
    reply_page,
    set_flow,
)
from handlers.privacy.buttons import LIST, PICK, REASON, SEARCH_FLOW, STOP, SURE, SURE_FLOW
from handlers.privacy.common import ahead, erase, tell_erased, tell_others
from messages import label
from messages.labels import N_
from storage import erasable
from storage import users as users_store
from storage.cases import at_place, party_tag
from storage.errors import NotFound, Refused
from storage.models import Role

SHOWN = 8  # people a page
REASON_NAMES = {
    "written_self": N_("The person's written request"),
    "written_guardian": N_("A guardian's written request"),
    "school": N_("The school's request"),
}


def _card(person: Row) -> dict:
    """What tells one person from another of the same name (never their Telegram id)."""
    return {
        "name": person.name,
        "role": person.role,
        "school": person.school or "",
        "grade": person.grade,
        "site": person.site or "",
    }


def _found(staff_id: int, person: Row) -> dict:
    """A person in the list found, with why they cannot be erased here if so ("self",
    "staff": the same check that refuses the press), so the refusal is no surprise; they
    stay listed, so that nobody looked for seems missing."""
    try:
        erasable.check_staff_may_erase(staff_id, person)
        refused = None
    except Refused as refusal:
        refused = refusal.reason
    return {**_card(person), "refused": refused}


async def erase_command(update: Update, context: JinroContext) -> None:
    if context.user.role != Role.STAFF:
        await refuse(update, context)
        return
    await set_flow(context, SEARCH_FLOW)
    await reply(update, context, "privacy/staff_ask")


async def refuse(update: Update, context: JinroContext) -> None:
    """Not staff: told so, and audited like a refused press (who, what, the answer)."""
    await leave_flow(context, "er.")
    await refuse_command(update, context, "erase")


async def name_typed(update: Update, context: JinroContext) -> None:
    """A name, or part of one: the people found. Typed again later, another search."""
    if context.user.role != Role.STAFF:  # no longer staff since the flow began
        await refuse(update, context)
        return
    typed = " ".join((update.message.text or "").split())[: users_store.TYPED_MAX]
    if not typed:
        await reply(update, context, "privacy/staff_ask")
        return
    await set_flow(context, SEARCH_FLOW, {"q": typed})
    await show_found(update, context, 0)


async def show_found(
    update: Update, context: JinroContext, page: int, *, edit: bool = False
) -> None:
    typed = context.user.flow_data["q"]
    if context.user.flow != SEARCH_FLOW:  # back from a question: its button closes
        await set_flow(context, SEARCH_FLOW, {"q": typed})
    async with context.db.read() as conn:
        shown = await fetch_page(users_store.find_people, conn, typed, index=page, size=SHOWN)
    if shown.beyond:  # an old page button, the list shorter since
        await show_found(update, context, shown.pages - 1, edit=edit)
        return
    # What is read: names, roles, schools and grades of the people found; counts only here.
    await audit_read(
        context, "erase_search", None, page=page, rows=len(shown.items), total=shown.total
    )
    lang = context.lang
    rows = [
        [PICK(f"{number}. {person.name}", page, place, party_tag(context.user.id, person.id))]
        for place, (number, person) in enumerate(shown.numbered())
    ]
    markup = shown.markup(lang, rows, LIST, below=[[STOP(label(lang, "Delete nothing"))]])
    await reply_page(
        update,
        context,
        "privacy/staff_found",
        shown,
        markup,
        edit=edit,
        people=[_found(context.user.id, person) for person in shown.items],
        typed=typed,
    )


async def _shown(context: JinroContext, page: int, place: int, tag: int) -> Row:
    """The person at that place of that page if the check number still matches (the list
    is read again from the text typed), and one staff may erase: else the stale answer, or
    the refusal's (Refused "self" or "staff": handlers/privacy/buttons.py)."""
    async with context.db.read() as conn:
        people, _ = await users_store.find_people(
            conn, context.user.flow_data["q"], offset=page * SHOWN, limit=SHOWN
        )
    person = at_place(people, place, tag, context.user.id)
    if person is None:
        raise NotFound(place)
    erasable.check_staff_may_erase(context.user.id, person)
    await audit_read(context, "erase_person", person.id)
    return person


@LIST.handles
async def page_pressed(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await show_found(update, context, page, edit=True)


@PICK.handles
async def picked(update: Update, context: JinroContext, page: int, place: int, tag: int) -> None:
    person = await _shown(context, page, place, tag)
    await answer_query(update)
    if context.user.flow != SEARCH_FLOW:
        await set_flow(context, SEARCH_FLOW, {"q": context.user.flow_data["q"]})
    lang = context.lang
    rows = [[REASON(label(lang, name), code, page, place, tag)] for code, name in _reasons()]
    rows += [
        [LIST(label(lang, "◀ Back to the list"), page)],
        [STOP(label(lang, "Delete nothing"))],
    ]
    await reply(
        update, context, "privacy/staff_reason", keyboard(rows), edit=True, person=_card(person)
    )


def _reasons() -> list[tuple[str, str]]:
    return [(code, REASON_NAMES[code]) for code in erasable.REASONS]


@REASON.handles
async def reason_chosen(
    update: Update, context: JinroContext, reason: str, page: int, place: int, tag: int
) -> None:
    person = await _shown(context, page, place, tag)
    await answer_query(update)
    await set_flow(context, SURE_FLOW, {"q": context.user.flow_data["q"]})
    lang = context.lang
    markup = keyboard(
        [
            [SURE(label(lang, "Yes, delete this person's data"), reason, page, place, tag)],
            [PICK(label(lang, "◀ Another request"), page, place, tag)],
            [STOP(label(lang, "No, delete nothing"))],
        ]
    )
    await reply(
        update,
        context,
        "privacy/staff_confirm",
        markup,
        edit=True,
        person=_card(person),
        reason=label(lang, REASON_NAMES[reason]),
        ahead=await ahead(context, person.id),
    )


@SURE.handles
async def erase_confirmed(
    update: Update, context: JinroContext, reason: str, page: int, place: int, tag: int
) -> None:
    staff_id = context.user.id
    async with context.db.write() as conn:
        # The person, and that staff may erase them, decided again where they are erased.
        person = await erasable.staff_pick(
            conn,
            staff_id,
            context.user.flow_data["q"],
            page=page,
            size=SHOWN,
            place=place,
            tag=tag,
        )
        done = await erase(conn, context, person, reason=reason)
        # The typed name goes with the flow: nothing of the person stays in staff's row.
        context.user = await users_store.set_flow(conn, staff_id, None)
    await answer_query(update)
    await reply(
        update,
        context,
        "privacy/staff_erased",
        edit=True,
        name=person.name,
        role=person.role,  # named by the rule: 김하늘 학생, 박선영 선생님
        reason=label(context.lang, REASON_NAMES[reason]),
    )
    await tell_erased(context, done)
    await tell_others(context, done)


@STOP.handles
async def stopped(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await leave_flow(context, "er.")
    await reply(update, context, "privacy/erase_kept", edit=True, formal=True)
