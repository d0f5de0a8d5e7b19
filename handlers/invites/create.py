"""Staff create invite links in the chat: /invite -> role -> school or site -> how many people
-> how many days; the link comes with its QR code, for printed letters.

Flows (users.flow; data {"role", "school_id" or "site_id", "place": its name, "uses"}):
inv.role → inv.school or inv.site (a name is typed) → inv.uses → inv.days. Buttons:
handlers/invites/buttons.py."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.context import JinroContext
from handlers.common import (
    answer_query,
    deep_link,
    keyboard,
    reply,
    requires,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.handled import asked
from handlers.invites.buttons import DAYS_CHOSEN, ROLE, SCHOOL, SITE, USES_CHOSEN
from handlers.invites.qr import send_qr
from messages import label, nlabel
from messages.labels import N_
from storage import invites
from storage import users as users_store
from storage.models import INVITED_ROLES, Role

# One list more than shown tells whether there were more names than fit.
PLACES_SHOWN = 8
ROLE_LABELS = {
    Role.TEACHER: N_("Teacher"),
    Role.SITE: N_("Experience site"),
    Role.MENTOR: N_("Mentor"),
    Role.MONITOR: N_("Parent monitor"),
    Role.STAFF: N_("Staff"),
}


@requires(Role.STAFF)
async def start_invite(update: Update, context: JinroContext) -> None:
    await set_flow(context, "inv.role")
    await ask_role(update, context)


async def ask_role(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    lang = context.lang
    rows = [[ROLE(label(lang, ROLE_LABELS[role]), role)] for role in INVITED_ROLES]
    # Each question is kept (asked): asked again below, the copy above loses its buttons.
    shown = await reply(update, context, "invites/ask_role", keyboard(rows), edit=edit)
    await asked(context, shown)


@ROLE.handles
async def on_role(update: Update, context: JinroContext, role: str) -> None:
    await answer_query(update)
    next_flow = {"teacher": "inv.school", "site": "inv.site"}.get(role, "inv.uses")
    await set_flow(context, next_flow, {"role": role})
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
            found = await users_store.find_schools(conn, typed, limit=PLACES_SHOWN + 1)
        else:
            found = await users_store.find_sites(conn, typed, limit=PLACES_SHOWN + 1)
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
    shown = found[:PLACES_SHOWN]
    markup = keyboard([[place(row.name, row.id)] for row in shown])
    more = len(found) > PLACES_SHOWN
    shown = await reply(update, context, "invites/place_choices", markup, typed=typed, more=more)
    await asked(context, shown)  # found again for other words: the list above goes


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
    row = [
        USES_CHOSEN(nlabel(lang, "%(count)s person", "%(count)s people", n), n)
        for n in invites.USES_OFFERED
    ]
    shown = await reply(
        update,
        context,
        "invites/ask_uses",
        keyboard([row]),
        edit=edit,
        role=context.user.flow_data.get("role"),
        place=context.user.flow_data.get("place"),
    )
    await asked(context, shown)


@USES_CHOSEN.handles
async def on_uses(update: Update, context: JinroContext, uses: int) -> None:
    await answer_query(update)
    data = {**context.user.flow_data, "uses": uses}
    await set_flow(context, "inv.days", data)
    await ask_days(update, context, edit=True)


async def ask_days(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    lang = context.lang
    row = [
        DAYS_CHOSEN(nlabel(lang, "%(days)s day", "%(days)s days", n, days=n), n)
        for n in invites.DAYS_OFFERED
    ]
    shown = await reply(update, context, "invites/ask_days", keyboard([row]), edit=edit)
    await asked(context, shown)


@DAYS_CHOSEN.handles
async def on_days(update: Update, context: JinroContext, days: int) -> None:
    data = context.user.flow_data
    async with context.db.write() as conn:
        invite = await invites.create(
            conn,
            role=data["role"],
            created_by=context.user.id,
            school_id=data.get("school_id"),
            site_id=data.get("site_id"),
            max_uses=data.get("uses", 1),
            days=days,
            now=context.now,
        )
        context.user = await users_store.set_flow(conn, context.user.id, None)
    await answer_query(update)
    link = deep_link(context, invite.code)
    await reply(
        update,
        context,
        "invites/created",
        edit=True,
        invite=invite,
        place=data.get("place"),
        link=link,
        expires_at=invite.expires_at.astimezone(context.tz),
    )
    who = data.get("place") or label(context.lang, ROLE_LABELS[Role(data["role"])])
    await send_qr(update, context, link, label(context.lang, "Invite for %(who)s", who=who))


@text_step("inv.role", "inv.uses", "inv.days")
async def expecting_button(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")
    ask = {"inv.role": ask_role, "inv.uses": ask_uses}.get(context.user.flow, ask_days)
    await ask(update, context)
