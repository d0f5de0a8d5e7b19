"""Staff create invite links in the chat: /invite -> role -> school or site -> how many people."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    callback_parts,
    deep_link,
    int_part,
    keyboard,
    reply,
    requires,
    stale_button,
    text_step,
)
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


@requires(Role.STAFF)
async def start_invite(update: Update, context: JinroContext) -> None:
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, "inv.role")
    await ask_role(update, context)


async def ask_role(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    lang = context.lang
    rows = [[(label(lang, ROLE_LABELS[role]), f"inv:role:{role.value}")] for role in INVITED_ROLES]
    await reply(update, context, "invites/ask_role", keyboard(rows), edit=edit)


@requires(Role.STAFF)
async def on_role(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if context.user.flow != "inv.role" or len(parts) != 3 or parts[2] not in INVITED_ROLES:
        await stale_button(update, context)
        return
    role = parts[2]
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
    kind = "sc" if is_school else "st"
    markup = keyboard([[(row.name, f"inv:{kind}:{row.id}")] for row in found])
    await reply(update, context, "invites/place_choices", markup, typed=typed)


@requires(Role.STAFF)
async def on_place(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    place_id = int_part(parts, 2)
    expected = {"sc": "inv.school", "st": "inv.site"}.get(parts[1] if len(parts) > 1 else "")
    if expected is None or context.user.flow != expected or place_id is None:
        await stale_button(update, context)
        return
    async with context.db.write() as conn:
        if expected == "inv.school":
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


async def ask_uses(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    lang = context.lang
    row = [(label(lang, "%(count)s people", count=n), f"inv:uses:{n}") for n in USES]
    await reply(
        update,
        context,
        "invites/ask_uses",
        keyboard([row]),
        edit=edit,
        role=context.user.flow_data.get("role"),
        place=context.user.flow_data.get("place"),
    )


@requires(Role.STAFF)
async def on_uses(update: Update, context: JinroContext) -> None:
    uses = int_part(callback_parts(update), 2)
    data = context.user.flow_data
    if context.user.flow != "inv.uses" or uses not in USES or "role" not in data:
        await stale_button(update, context)
        return
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
        CallbackQueryHandler(on_role, pattern=r"^inv:role:"),
        CallbackQueryHandler(on_place, pattern=r"^inv:(sc|st):"),
        CallbackQueryHandler(on_uses, pattern=r"^inv:uses:"),
    ]
