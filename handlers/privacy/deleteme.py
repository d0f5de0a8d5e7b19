"""/deleteme: anyone erases themselves (PIPA Art. 36) after one confirmation (storage/erasure.py
says what goes and what stays as anonymous figures). A guardian (a guest whose consent
stands for children) first chooses whose data: their own, which withdraws their consents,
or one child's, erased in the child's stead (storage/erasable.py: only a child their consent
stands for at the moment of erasing). The teachers of a request that disappears and the
sites of a seat given back are told (handlers/privacy/common.py); a child erased by their
guardian is told too.

A guardian is told what is kept about a guardian (the consents they answered, with the number
and relationship; their language), not a student's name, school and grade.

Flows: dm.whose while a guardian is asked whose data, dm.confirm while the person's own
erasure is asked, dm.child while a child's is (the child in the buttons by place and check
number). Text typed meanwhile is answered, and the question stays open (still_open)."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    is_guardian,
    keyboard,
    leave_flow,
    reply,
    set_flow,
    speaks_formally,
)
from handlers.common.buttons import audit_refusal
from handlers.common.told import student_hears_at
from handlers.privacy.buttons import (
    CHILD,
    CHILD_FLOW,
    CHILD_SURE,
    CONFIRM_FLOW,
    ERASE,
    KEEP,
    OWN,
    WHOSE_FLOW,
)
from handlers.privacy.common import ahead, erase, tell_erased, tell_others
from messages import label
from messages.labels import N_
from storage import consent, erasable, privacy
from storage import users as users_store
from storage.cases import at_place, party_tag
from storage.errors import Refused

ERASE_LABELS = (N_("Yes, delete my data"), N_("Yes, delete everything"))  # student, adult


async def deleteme(update: Update, context: JinroContext) -> None:
    if is_guardian(context.user):  # whose data: their own, or a child's they consent for?
        async with context.db.read() as conn:
            children = await consent.children_of(conn, context.user.id)
            schools = {c.school_id: await users_store.school(conn, c.school_id) for c in children}
        if children:
            await ask_whose(update, context, children, schools)
            return
    await ask_own(update, context)


async def ask_own(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    """What erasing takes away: for a guardian, the consents they answered (what is kept of
    a guardian); for anyone else, their account and what they did."""
    consents, untaught = [], []
    if is_guardian(context.user):
        async with context.db.read() as conn:
            consents = await privacy.answered_consents(conn, context.user, tz=context.tz)
            children = await consent.children_of(conn, context.user.id)
        # Whom withdrawing the consents tells (handlers/common/withdrawals.py): each child,
        # through quiet hours, and the child's teachers only when one is on Jinro.
        untaught = [c.name for c in children if not (await ahead(context, c.id)).teachers]
    await set_flow(context, CONFIRM_FLOW)
    lang = context.lang
    markup = keyboard(
        [
            [ERASE(label(lang, ERASE_LABELS[speaks_formally(context.user)]))],
            [KEEP(label(lang, "No, keep my data"))],
        ]
    )
    await reply(
        update,
        context,
        "privacy/erase_ask",
        markup,
        edit=edit,
        consents=consents,
        untaught=untaught,
        when=student_hears_at(context.now, context.tz),
        tz=context.tz,
    )


async def ask_whose(update: Update, context: JinroContext, children, schools) -> None:
    """A guardian's choice: their own data, or one child's (listed by name, school, grade)."""
    lang = context.lang
    rows = [[OWN(label(lang, "My own data (my consents are withdrawn)"))]]
    for place, child in enumerate(children):
        tag = party_tag(context.user.id, child.id)
        rows.append([CHILD(label(lang, "%(name)s's data", name=child.name), place, tag)])
    rows.append([KEEP(label(lang, "Delete nothing"))])
    # An earlier question's buttons no longer erase; text typed now is answered, not lost.
    await set_flow(context, WHOSE_FLOW)
    listed = [
        {"name": c.name, "grade": c.grade, "school": getattr(schools[c.school_id], "name", "")}
        for c in children
    ]
    await reply(update, context, "privacy/erase_whose", keyboard(rows), children=listed)


@OWN.handles
async def own_chosen(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await ask_own(update, context, edit=True)


@KEEP.handles
async def kept(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await leave_flow(context, "dm.")
    await reply(update, context, "privacy/erase_kept", edit=True)


@ERASE.handles
async def erase_pressed(update: Update, context: JinroContext) -> None:
    async with context.db.write() as conn:
        done = await erase(conn, context, context.user, reason="self")
    await answer_query(update)
    # Told in the register of the person as they were (context.user and the gate's note).
    await reply(update, context, "privacy/erased", edit=True)
    await tell_others(context, done)


async def still_open(update: Update, context: JinroContext) -> None:
    """Text typed while a /deleteme question is open (whose data, or sure?): not a search,
    nor a new start; the question stays open and its buttons still answer."""
    await reply(update, context, "privacy/still_open")


# ----- a guardian for a child ------------------------------------------------------------


@CHILD.handles
async def child_chosen(update: Update, context: JinroContext, place: int, tag: int) -> None:
    async with context.db.read() as conn:
        children = await consent.children_of(conn, context.user.id)
    child = at_place(children, place, tag, context.user.id)
    if child is None:
        await child_gone(update, context)
        return
    await answer_query(update)
    await set_flow(context, CHILD_FLOW)
    lang = context.lang
    markup = keyboard(
        [
            [CHILD_SURE(label(lang, "Yes, delete %(name)s's data", name=child.name), place, tag)],
            [KEEP(label(lang, "No, delete nothing"))],
        ]
    )
    await reply(
        update,
        context,
        "privacy/child_erase_ask",
        markup,
        edit=True,
        name=child.name,
        ahead=await ahead(context, child.id),
    )


@CHILD_SURE.handles
async def child_erase_confirmed(
    update: Update, context: JinroContext, place: int, tag: int
) -> None:
    guardian_id = context.user.id
    try:
        async with context.db.write() as conn:
            # Whose child, checked where it is erased: consent withdrawn since the question
            # was shown (in another chat, another process) is a refusal, not an erasure.
            child = await erasable.guardians_child(conn, guardian_id, place, tag)
            done = await erase(conn, context, child, reason=erasable.GUARDIAN)
            context.user = await users_store.set_flow(conn, guardian_id, None)
    except Refused:
        await child_gone(update, context)
        return
    await answer_query(update)
    await reply(update, context, "privacy/child_erased", edit=True, name=child.name)
    await tell_erased(context, done)
    await tell_others(context, done)


async def child_gone(update: Update, context: JinroContext) -> None:
    """An old button of a child the guardian no longer consents for (or a list that changed,
    or a forged press): a plain answer, audited like every refused press."""
    await answer_query(update)
    await leave_flow(context, "dm.")
    await audit_refusal(context, "not_guardian")
    await reply(update, context, "privacy/child_gone", edit=True)
