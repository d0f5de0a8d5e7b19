"""Invited roles joining: the invite is used when the link is opened, then they give their name
(teachers also pick grades; mentors without a profile give kind and field; monitors a
district)."""

from __future__ import annotations

import re

from telegram import Update

from bot import commands
from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply, stale_button, start_link, text_step
from handlers.common.handled import asked
from handlers.common.shorten import ask_to_shorten
from handlers.onboarding.buttons import DISTRICT, GRADES, MENTOR_KIND, PROFILE_NAME
from handlers.onboarding.common import ask_name, name_step
from handlers.onboarding.free_times import ask_for_free_times
from handlers.onboarding.waiting import see_them, waiting_for
from messages import label
from messages.vocabulary import district_name, stored_field
from storage import audit, invites, monitors
from storage import users as users_store
from storage.catalogue import DISTRICTS
from storage.errors import AlreadyRegistered, InviteInvalid
from storage.models import Role

FIELD_MAX = 40  # a mentor's field, as people name it

# ----- invited roles ----------------------------------------------------------------------------


@text_step("ob.code")
async def code_text(update: Update, context: JinroContext) -> None:
    typed = update.message.text.strip()
    # People paste the whole link; take the code after "start=".
    code = typed.rsplit("start=", 1)[-1].strip()
    await accept_invite(update, context, code)


@start_link("i")
async def accept_invite(update: Update, context: JinroContext, code: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code):
        await reply(update, context, "onboarding/invite_invalid", reason="unknown")
        return
    try:
        async with context.db.write() as conn:
            invite = await invites.accept(conn, code, context.user, now=context.now)
            user = await users_store.set_flow(conn, context.user.id, "pf.name")
            school = await users_store.school(conn, invite.school_id)
            site = await users_store.site(conn, invite.site_id)
            mentor = await users_store.mentor(conn, invite.mentor_id)
    except InviteInvalid as error:
        await reply(
            update,
            context,
            "onboarding/invite_invalid",
            reason=error.reason,
            expires_at=error.expires_at.astimezone(context.tz) if error.expires_at else None,
        )
        return
    except AlreadyRegistered as error:
        await reply(update, context, "onboarding/already_registered", role=error.role)
        return
    context.user = user
    await reply(
        update,
        context,
        "onboarding/invite_accepted",
        role=invite.role,
        school=school.name if school else None,
        site=site.name if site else None,
        mentor=mentor.name if mentor else None,
    )
    await ask_name(update, context, "onboarding/ask_profile_name", PROFILE_NAME)


@name_step("pf.name", PROFILE_NAME)
async def take_profile_name(update: Update, context: JinroContext, name: str) -> None:
    user = context.user
    if user.role == Role.TEACHER:
        next_flow, data = "pf.grades", {"name": name, "grades": []}
    elif user.role == Role.MENTOR and user.mentor_id is None:
        next_flow, data = "pf.kind", {"name": name}
    elif user.role == Role.MONITOR:
        next_flow, data = "pf.district", {"name": name}
    else:
        await finish_profile(update, context, name=name)
        return
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, user.id, next_flow, data)
    await ask_next_profile_step(update, context)


async def ask_next_profile_step(update: Update, context: JinroContext) -> None:
    flow = context.user.flow
    if flow == "pf.grades":
        await ask_grades(update, context)
    elif flow == "pf.district":
        await ask_monitor_district(update, context)
    else:
        await ask_mentor_kind(update, context)


async def ask_grades(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    lang = context.lang
    chosen = context.user.flow_data.get("grades", [])
    row = [
        GRADES(("✓ " if g in chosen else "") + label(lang, "Grade %(grade)s", grade=g), str(g))
        for g in (1, 2, 3)
    ]
    markup = keyboard([row, [GRADES(label(lang, "Done"), "done")]])
    # Each question is kept (asked): asked again below, the copy above loses its buttons.
    shown = await reply(update, context, "onboarding/ask_grades", markup, edit=edit, chosen=chosen)
    await asked(context, shown)


@GRADES.handles
async def on_grades(update: Update, context: JinroContext, pressed: str) -> None:
    await answer_query(update)
    data = context.user.flow_data
    if pressed == "done":
        grades = ",".join(str(g) for g in sorted(data.get("grades", [])))
        await finish_profile(update, context, name=data["name"], grades=grades, edit=True)
        return
    chosen = set(data.get("grades", [])) ^ {int(pressed)}
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(
            conn, context.user.id, "pf.grades", {**data, "grades": sorted(chosen)}
        )
    await ask_grades(update, context, edit=True)


async def ask_mentor_kind(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    lang = context.lang
    markup = keyboard(
        [
            [
                MENTOR_KIND(label(lang, "Professional mentor"), "professional"),
                MENTOR_KIND(label(lang, "University student mentor"), "university"),
            ]
        ]
    )
    shown = await reply(update, context, "onboarding/ask_mentor_kind", markup, edit=edit)
    await asked(context, shown)


@MENTOR_KIND.handles
async def on_mentor_kind(update: Update, context: JinroContext, kind: str) -> None:
    await answer_query(update)
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(
            conn, context.user.id, "pf.field", {**context.user.flow_data, "kind": kind}
        )
    await reply(update, context, "onboarding/ask_mentor_field", edit=True)


@text_step("pf.field")
async def mentor_field_text(update: Update, context: JinroContext) -> None:
    field = " ".join(update.message.text.split())
    if len(field) > FIELD_MAX:
        await ask_to_shorten(update, context, len(field), FIELD_MAX)
        return
    if not field:
        await reply(update, context, "onboarding/ask_mentor_field")
        return
    # A vocabulary field's English name is kept as the field it names, for matching.
    field = stored_field(field)
    await finish_profile(update, context, name=context.user.flow_data["name"], field=field)


async def ask_monitor_district(update: Update, context: JinroContext) -> None:
    # Cases and inspections of a site go to the monitors of its district.
    lang = context.lang
    rows = [
        [DISTRICT(district_name(lang, district), index)] for index, district in enumerate(DISTRICTS)
    ]
    shown = await reply(update, context, "onboarding/ask_monitor_district", keyboard(rows))
    await asked(context, shown)


@DISTRICT.handles
async def on_monitor_district(update: Update, context: JinroContext, index: int) -> None:
    if index >= len(DISTRICTS):  # forged
        await stale_button(update, context)
        return
    await answer_query(update)
    await finish_profile(
        update, context, name=context.user.flow_data["name"], district=DISTRICTS[index], edit=True
    )


@text_step("pf.grades", "pf.kind", "pf.district")
async def profile_expecting_button(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")
    await ask_next_profile_step(update, context)


async def finish_profile(
    update: Update,
    context: JinroContext,
    *,
    name: str,
    grades: str | None = None,
    field: str | None = None,
    district: str | None = None,
    edit: bool = False,
) -> None:
    user = context.user
    values = {"name": name, "flow": None, "flow_data": {}}
    async with context.db.write() as conn:
        if user.role == Role.TEACHER:
            values["grades"] = grades or ""
        if field is not None and user.mentor_id is None:
            values["mentor_id"] = await users_store.create_mentor(
                conn, kind=user.flow_data["kind"], name=name, field=field
            )
        if district is not None:
            await monitors.set_district(conn, user.id, district, now=context.now)
        context.user = await users_store.change(conn, user.id, **values)
        await audit.record(
            conn, user.id, "profile.complete", "user", user.id, role=user.role, now=context.now
        )
    waiting = await waiting_for(context)  # requests that waited for a teacher to join
    await reply(
        update,
        context,
        "onboarding/profile_done",
        see_them(context, waiting),
        edit=edit,
        user=context.user,
        waiting=waiting,
    )
    await commands.set_for_user(context, context.user)
    await ask_for_free_times(update, context)  # a new mentor has none: no request reaches them
