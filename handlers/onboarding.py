"""Joining: /start, students pick school, grade and name; invited roles join by deep link.

Students: role -> school (typed, then picked) -> grade -> name -> age check.
What a student types is kept in the flow data and written to their row in one
step at the end, so a student who stops halfway leaves nothing half-written.
Invited roles: the invite is used when the link is opened (that is what gives
the role), then they give their name (teachers also pick grades; mentors
without a profile give kind and field).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import commands
from bot.context import JinroContext
from handlers import consent, search
from handlers.common import (
    answer_query,
    callback_parts,
    deep_link,
    int_part,
    keyboard,
    reply,
    stale_button,
    text_step,
)
from messages import label
from storage import audit, invites, monitors
from storage import consent as consent_store
from storage import users as users_store
from storage.catalogue import DISTRICTS
from storage.errors import AlreadyRegistered, InviteInvalid
from storage.models import Role
from storage.names import NAME_MAX, person_name, valid_name

# ----- /start ---------------------------------------------------------------------------------


async def start(update: Update, context: JinroContext) -> None:
    parameter = context.args[0] if context.args else ""
    if parameter.startswith("i"):
        await accept_invite(update, context, parameter)
    elif parameter.startswith("c"):
        await consent.guardian_opened(update, context, parameter)
    elif parameter.startswith("p_"):
        await search.open_shared(update, context, parameter)
    elif context.user.role is not None:
        await reply(update, context, "onboarding/welcome_back", user=context.user)
    else:
        await ask_role(update, context, unknown_link=bool(parameter))


async def ask_role(
    update: Update, context: JinroContext, *, edit: bool = False, unknown_link: bool = False
) -> None:
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, "ob.role")
    lang = context.lang
    markup = keyboard(
        [
            [(label(lang, "I'm a student"), "ob:role:student")],
            [
                (
                    label(lang, "I have an invite (teacher, site, mentor, parent team, staff)"),
                    "ob:role:invite",
                )
            ],
            [(label(lang, "Switch language"), "ob:lang")],
        ]
    )
    await reply(update, context, "onboarding/welcome", markup, edit=edit, unknown_link=unknown_link)


async def on_role(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if context.user.flow != "ob.role" or len(parts) != 3:
        await stale_button(update, context)
        return
    await answer_query(update)
    if parts[2] == "student":
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, "ob.school")
        await reply(update, context, "onboarding/ask_school", edit=True)
    elif parts[2] == "invite":
        async with context.db.write() as conn:
            context.user = await users_store.set_flow(conn, context.user.id, "ob.code")
        await reply(update, context, "onboarding/ask_code", edit=True)
    else:
        await stale_button(update, context)


async def toggle_language(update: Update, context: JinroContext) -> None:
    if context.user.flow != "ob.role":
        await stale_button(update, context)
        return
    await answer_query(update)
    async with context.db.write() as conn:
        context.user = await users_store.change(
            conn, context.user.id, lang="en" if context.lang == "ko" else "ko"
        )
    await ask_role(update, context, edit=True)


@text_step("ob.role")
async def role_text(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")
    await ask_role(update, context)


# ----- students ---------------------------------------------------------------------------------


@text_step("ob.school")
async def school_text(update: Update, context: JinroContext) -> None:
    typed = update.message.text.strip()
    if not 1 <= len(typed) <= 40:
        await reply(update, context, "onboarding/ask_school")
        return
    async with context.db.read() as conn:
        found = await users_store.find_schools(conn, typed)
    if not found:
        await reply(update, context, "onboarding/school_not_found", typed=typed)
        return
    markup = keyboard([[(school.name, f"ob:sc:{school.id}")] for school in found])
    await reply(update, context, "onboarding/school_choices", markup, typed=typed)


async def on_school(update: Update, context: JinroContext) -> None:
    school_id = int_part(callback_parts(update), 2)
    if context.user.flow != "ob.school" or school_id is None:
        await stale_button(update, context)
        return
    async with context.db.write() as conn:
        school = await users_store.school(conn, school_id)
        if school is not None:
            context.user = await users_store.set_flow(
                conn, context.user.id, "ob.grade", {"school_id": school.id}
            )
    if school is None:  # forged, or removed by staff since the list was shown
        await stale_button(update, context)
        return
    await answer_query(update)
    await ask_grade(update, context, school.name, edit=True)


async def ask_grade(
    update: Update, context: JinroContext, school_name: str, *, edit: bool = False
) -> None:
    lang = context.lang
    markup = keyboard(
        [[(label(lang, "Grade %(grade)s", grade=g), f"ob:gr:{g}") for g in (1, 2, 3)]]
    )
    await reply(update, context, "onboarding/ask_grade", markup, edit=edit, school=school_name)


async def on_grade(update: Update, context: JinroContext) -> None:
    grade = int_part(callback_parts(update), 2)
    if context.user.flow != "ob.grade" or grade not in (1, 2, 3):
        await stale_button(update, context)
        return
    await answer_query(update)  # first, so the button stops spinning at once
    data = {**context.user.flow_data, "grade": grade}
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, "ob.name", data)
    await ask_name(update, context, "onboarding/ask_name", "ob:nm", edit=True)


async def ask_name(
    update: Update, context: JinroContext, template: str, data: str, *, edit: bool = False
) -> None:
    suggestion = telegram_name(update)
    markup = None
    if suggestion:
        markup = keyboard([[(label(context.lang, "Use “%(name)s”", name=suggestion), data)]])
    await reply(update, context, template, markup, edit=edit)


def telegram_name(update: Update) -> str | None:
    return person_name(update.effective_user.first_name, update.effective_user.last_name)


@text_step("ob.grade", "ob.age")
async def expecting_button(update: Update, context: JinroContext) -> None:
    """Free text where a button was expected: say so and show the buttons again."""
    await reply(update, context, "common/press_button")
    if context.user.flow == "ob.grade":
        async with context.db.read() as conn:
            school = await users_store.school(conn, context.user.flow_data.get("school_id"))
        await ask_grade(update, context, school.name if school else "")
    else:
        await ask_age(update, context)


@text_step("ob.name")
async def name_text(update: Update, context: JinroContext) -> None:
    await take_student_name(update, context, " ".join(update.message.text.split()))


async def on_telegram_name(update: Update, context: JinroContext) -> None:
    if context.user.flow != "ob.name" or telegram_name(update) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await take_student_name(update, context, telegram_name(update))


async def take_student_name(update: Update, context: JinroContext, name: str) -> None:
    if not valid_name(name):
        await reply(update, context, "onboarding/bad_name", limit=NAME_MAX)
        return
    data = {**context.user.flow_data, "name": name}
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(conn, context.user.id, "ob.age", data)
    await ask_age(update, context)


def age_cutoff(today: date) -> date:
    """Born on this day or later means under 14 today (만 14세 미만)."""
    try:
        fourteen_years_ago = today.replace(year=today.year - 14)
    except ValueError:  # 29 February
        fourteen_years_ago = today.replace(year=today.year - 14, day=28)
    return fourteen_years_ago + timedelta(days=1)


async def ask_age(update: Update, context: JinroContext) -> None:
    # Only one yes/no is asked, not the birthday: the programme needs nothing more.
    cutoff = age_cutoff(context.now.astimezone(context.tz).date())
    lang = context.lang
    markup = keyboard(
        [
            [
                (label(lang, "Yes (under 14)"), "ob:age:y"),
                (label(lang, "No (14 or older)"), "ob:age:n"),
            ]
        ]
    )
    await reply(update, context, "onboarding/ask_age", markup, cutoff=cutoff)


async def on_age(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    data = context.user.flow_data
    if (
        context.user.flow != "ob.age"
        or len(parts) != 3
        or parts[2] not in ("y", "n")
        or not {"school_id", "grade", "name"} <= data.keys()
    ):
        await stale_button(update, context)
        return
    under14 = parts[2] == "y"
    await answer_query(update)  # first, so the button stops spinning at once
    async with context.db.write() as conn:
        school = await users_store.school(conn, data["school_id"])
        if school is None:  # removed by staff meanwhile: start the school step again
            context.user = await users_store.set_flow(conn, context.user.id, "ob.school")
        else:
            student = await users_store.change(
                conn,
                context.user.id,
                role=Role.STUDENT,
                school_id=school.id,
                grade=data["grade"],
                name=data["name"],
                under14=under14,
                flow=None,
                flow_data={},
            )
            token = (
                await consent_store.link_for(conn, student, now=context.now) if under14 else None
            )
            await audit.record(
                conn,
                student.id,
                "student.join",
                "user",
                student.id,
                school_id=school.id,
                now=context.now,
            )
    # Messages go out after the transaction: never hold the writer during a Bot API call.
    if school is None:
        await reply(update, context, "onboarding/ask_school", edit=True)
        return
    context.user = student
    await reply(
        update,
        context,
        "onboarding/student_done",
        edit=True,
        user=student,
        school=school.name,
        consent_link=deep_link(context, token) if token else None,
    )
    await commands.set_for_user(context, student)


# ----- invited roles ----------------------------------------------------------------------------


@text_step("ob.code")
async def code_text(update: Update, context: JinroContext) -> None:
    typed = update.message.text.strip()
    # People paste the whole link; take the code after "start=".
    code = typed.rsplit("start=", 1)[-1].strip()
    await accept_invite(update, context, code)


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
    await ask_name(update, context, "onboarding/ask_profile_name", "pf:nm")


@text_step("pf.name")
async def profile_name_text(update: Update, context: JinroContext) -> None:
    await take_profile_name(update, context, " ".join(update.message.text.split()))


async def on_profile_telegram_name(update: Update, context: JinroContext) -> None:
    if context.user.flow != "pf.name" or telegram_name(update) is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await take_profile_name(update, context, telegram_name(update))


async def take_profile_name(update: Update, context: JinroContext, name: str) -> None:
    if not valid_name(name):
        await reply(update, context, "onboarding/bad_name", limit=NAME_MAX)
        return
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
        (("✓ " if g in chosen else "") + label(lang, "Grade %(grade)s", grade=g), f"pf:gr:{g}")
        for g in (1, 2, 3)
    ]
    markup = keyboard([row, [(label(lang, "Done"), "pf:gr:done")]])
    await reply(update, context, "onboarding/ask_grades", markup, edit=edit, chosen=chosen)


async def on_grades(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if context.user.flow != "pf.grades" or len(parts) != 3:
        await stale_button(update, context)
        return
    await answer_query(update)
    data = context.user.flow_data
    if parts[2] == "done":
        grades = ",".join(str(g) for g in sorted(data.get("grades", [])))
        await finish_profile(update, context, name=data["name"], grades=grades, edit=True)
        return
    grade = int_part(parts, 2)
    if grade not in (1, 2, 3):
        await stale_button(update, context)
        return
    chosen = set(data.get("grades", [])) ^ {grade}
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
                (label(lang, "Professional mentor"), "pf:kind:professional"),
                (label(lang, "University student mentor"), "pf:kind:university"),
            ]
        ]
    )
    await reply(update, context, "onboarding/ask_mentor_kind", markup, edit=edit)


async def on_mentor_kind(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if (
        context.user.flow != "pf.kind"
        or len(parts) != 3
        or parts[2] not in ("professional", "university")
    ):
        await stale_button(update, context)
        return
    await answer_query(update)
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(
            conn, context.user.id, "pf.field", {**context.user.flow_data, "kind": parts[2]}
        )
    await reply(update, context, "onboarding/ask_mentor_field", edit=True)


@text_step("pf.field")
async def mentor_field_text(update: Update, context: JinroContext) -> None:
    field = " ".join(update.message.text.split())
    if not 1 <= len(field) <= 40:
        await reply(update, context, "onboarding/ask_mentor_field")
        return
    await finish_profile(update, context, name=context.user.flow_data["name"], field=field)


async def ask_monitor_district(update: Update, context: JinroContext) -> None:
    # Cases and inspections of a site go to the monitors of its district.
    rows = [[(district, f"pf:dist:{index}")] for index, district in enumerate(DISTRICTS)]
    await reply(update, context, "onboarding/ask_monitor_district", keyboard(rows))


async def on_monitor_district(update: Update, context: JinroContext) -> None:
    index = int_part(callback_parts(update), 2)
    if context.user.flow != "pf.district" or index is None or index >= len(DISTRICTS):
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
    await reply(update, context, "onboarding/profile_done", edit=edit, user=context.user)
    await commands.set_for_user(context, context.user)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("start", start),
        CallbackQueryHandler(on_role, pattern=r"^ob:role:"),
        CallbackQueryHandler(toggle_language, pattern=r"^ob:lang$"),
        CallbackQueryHandler(on_school, pattern=r"^ob:sc:"),
        CallbackQueryHandler(on_grade, pattern=r"^ob:gr:"),
        CallbackQueryHandler(on_telegram_name, pattern=r"^ob:nm$"),
        CallbackQueryHandler(on_age, pattern=r"^ob:age:"),
        CallbackQueryHandler(on_profile_telegram_name, pattern=r"^pf:nm$"),
        CallbackQueryHandler(on_grades, pattern=r"^pf:gr:"),
        CallbackQueryHandler(on_mentor_kind, pattern=r"^pf:kind:"),
        CallbackQueryHandler(on_monitor_district, pattern=r"^pf:dist:"),
    ]
