"""Staff create invite links in the chat: /invite -> role -> school or site -> how many people.

Flows (users.flow; data {"role", "school_id" or "site_id", "place": its name}): inv.role →
inv.school or inv.site (a name is typed) → inv.uses. Buttons (inv:…, declared below): staff
only, each answering only in its own step of the flow."""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    deep_link,
    keyboard,
    reply,
    requires,
    stale_button,
    text_step,
)
from handlers.common.buttons import ID, Buttons, Number, choice
from messages import label
from messages.labels import N_
from storage import invites
from storage import users as users_store
from storage.models import INVITED_ROLES, Role

USES = (1, 5, 30)
ROLE_LABELS = {
    Role.TEACHER: N_("Teacher"),
    Role.SITE: N_("Experience site"),
    Role.MENTOR: N_("Mentor"),
    Role.MONITOR: N_("Parent monitor"),
    Role.STAFF: N_("Staff"),
}


def _in(flow: str):
    """A guard: the button answers only in that step of the flow."""
    return lambda context, values: context.user.flow == flow


def _uses_offered(context, values: tuple) -> bool:
    return (
        context.user.flow == "inv.uses" and values[0] in USES and "role" in context.user.flow_data
    )


INVITES = Buttons("inv", roles=(Role.STAFF,))
ROLE = INVITES.action("role", choice(*INVITED_ROLES), guard=_in("inv.role"))  # whom to invite
SCHOOL = INVITES.action("sc", ID, guard=_in("inv.school"))  # a teacher's school
SITE = INVITES.action("st", ID, guard=_in("inv.site"))  # a site user's site
USES_CHOSEN = INVITES.action("uses", Number(1, max(USES)), guard=_uses_offered)  # how many


@requires(Role.STAFF)
async def start_invite(update: Update, context: JinroContext) -> None:
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, "inv.role")
    await ask_role(update, context)


async def ask_role(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    lang = context.lang
    rows = [[ROLE(label(lang, ROLE_LABELS[role]), role)] for role in INVITED_ROLES]
    await reply(update, context, "invites/ask_role", keyboard(rows), edit=edit)


@ROLE.handles
async def on_role(update: Update, context: JinroContext, role: str) -> None:
    await answer_query(update)
    next_flow = {"teacher": "inv.school", "site": "inv.site"}.get(role, "inv.uses")
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, next_flow, {"role": role})
    if next_flow == "inv.uses":
        await ask_uses(update, context, edit=True)
    else:
        await reply(update, context, "invites/ask_place", edit=True, role=role)


@text_step("inv.school", "inv.site")
async def place_text(update: Update, context: JinroContext) -> None:
    typed = update.message.text.strip()[:40]
    is_school = context.user.flow == "inv.school"
    async with context.db.read() as conn:
        if is_school:
            found = await users_store.find_schools(conn, typed)
        else:
            found = await users_store.find_sites(conn, typed)
    if not found:
        await reply(
            update,
            context,
            "invites/place_not_found",
            typed=typed,
            role=context.user.flow_data.get("role"),
        )
        return
    place = SCHOOL if is_school else SITE
    markup = keyboard([[place(row.name, row.id)] for row in found])
    await reply(update, context, "invites/place_choices", markup, typed=typed)


async def on_place(update: Update, context: JinroContext, place_id: int, *, school: bool) -> None:
    async with context.db.write() as conn:
        if school:
            place = await users_store.school(conn, place_id)
            key = "school_id"
        else:
            place = await users_store.site(conn, place_id)
            key = "site_id"
        if place is not None:
            data = {**context.user.flow_data, key: place.id, "place": place.name}
            context.user = await users_store.set_flow(conn, context.user.id, "inv.uses", data)
    if place is None:  # forged, or removed since the list was shown
        await stale_button(update, context)
        return
    await answer_query(update)
    await ask_uses(update, context, edit=True)


SCHOOL.handles(partial(on_place, school=True))
SITE.handles(partial(on_place, school=False))


async def ask_uses(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    lang = context.lang
    row = [USES_CHOSEN(label(lang, "%(count)s people", count=n), n) for n in USES]
    await reply(
        update,
        context,
        "invites/ask_uses",
        keyboard([row]),
        edit=edit,
        role=context.user.flow_data.get("role"),
        place=context.user.flow_data.get("place"),
    )


@USES_CHOSEN.handles
async def on_uses(update: Update, context: JinroContext, uses: int) -> None:
    data = context.user.flow_data
    async with context.db.write() as conn:
        invite = await invites.create(
            conn,
            role=data["role"],
            created_by=context.user.id,
            school_id=data.get("school_id"),
            site_id=data.get("site_id"),
            max_uses=uses,
            now=context.now,
        )
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await answer_query(update)
    await reply(
        update,
        context,
        "invites/created",
        edit=True,
        invite=invite,
        place=data.get("place"),
        link=deep_link(context, invite.code),
        expires_at=invite.expires_at.astimezone(context.tz),
    )


@text_step("inv.role", "inv.uses")
async def expecting_button(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")
    if context.user.flow == "inv.role":
        await ask_role(update, context)
    else:
        await ask_uses(update, context)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("invite", start_invite),
    ]
