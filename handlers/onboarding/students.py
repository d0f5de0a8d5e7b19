"""Students joining: school (typed, then picked) -> grade -> name -> age check, kept in the flow
data and written to their row in one step at the end."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache

from telegram import Update

from bot import commands
from bot.context import JinroContext
from handlers.common import answer_query, keyboard, reply, set_flow, stale_button, text_step
from handlers.common.handled import asked
from handlers.onboarding.buttons import AGE, GRADE, NAME, SCHOOL
from handlers.onboarding.common import ask_name, in_both_languages, name_step, plain, typed_choice
from messages import label
from storage import audit, school_year
from storage import consent as consent_store
from storage import users as users_store
from storage.models import Role

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
    markup = keyboard([[SCHOOL(school.name, school.id)] for school in found])
    # Each question of joining is kept (asked): asked again below, or answered by typing,
    # it takes its buttons away from the copy above.
    shown = await reply(update, context, "onboarding/school_choices", markup, typed=typed)
    await asked(context, shown)


@SCHOOL.handles
async def on_school(update: Update, context: JinroContext, school_id: int) -> None:
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
    markup = keyboard([[GRADE(label(lang, "Grade %(grade)s", grade=g), g) for g in (1, 2, 3)]])
    shown = await reply(
        update, context, "onboarding/ask_grade", markup, edit=edit, school=school_name
    )
    await asked(context, shown)


@GRADE.handles
async def on_grade(update: Update, context: JinroContext, grade: int) -> None:
    await answer_query(update)  # first, so the button stops spinning at once
    data = {**context.user.flow_data, "grade": grade}
    await set_flow(context, "ob.name", data)
    await ask_name(update, context, "onboarding/ask_name", NAME, edit=True)


# "2", "2학년", "2학년이요", "중2", "중학교 2학년입니다", "grade 2", "2nd grade", the button's
# label: a grade as a student types it, spaces and punctuation left out (_plain).
TYPED_GRADE = re.compile(
    r"(?:중(?:학교)?)?([123])(?:학년)?(?:이요|이에요|입니다|요)?"
    r"|(?:grade)?([123])(?:st|nd|rd)?(?:grade)?"
)


def typed_grade(text: str) -> int | None:
    found = TYPED_GRADE.fullmatch(plain(text))
    return int(found.group(1) or found.group(2)) if found else None


@cache
def ages() -> dict:
    return {
        "y": ("네", "예", "응", "yes", "y", *in_both_languages("Yes (under 14)")),
        "n": ("아니요", "아니오", "아니", "no", "n", *in_both_languages("No (14 or older)")),
    }


@text_step("ob.grade", "ob.age")
async def expecting_button(update: Update, context: JinroContext) -> None:
    """A button's answer typed ("2학년", "네") counts as pressed; other text where a button
    was expected: say so and show the buttons again."""
    typed = update.message.text
    if context.user.flow == "ob.grade" and (grade := typed_grade(typed)):
        await on_grade(update, context, grade)
        return
    if context.user.flow == "ob.age" and (answer := typed_choice(typed, ages())):
        await on_age(update, context, answer)
        return
    await reply(update, context, "common/press_button")
    if context.user.flow == "ob.grade":
        async with context.db.read() as conn:
            school = await users_store.school(conn, context.user.flow_data.get("school_id"))
        await ask_grade(update, context, school.name if school else "")
    else:
        await ask_age(update, context)


@name_step("ob.name", NAME)
async def take_student_name(update: Update, context: JinroContext, name: str) -> None:
    data = {**context.user.flow_data, "name": name}
    await set_flow(context, "ob.age", data)
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
                AGE(label(lang, "Yes (under 14)"), "y"),
                AGE(label(lang, "No (14 or older)"), "n"),
            ]
        ]
    )
    shown = await reply(update, context, "onboarding/ask_age", markup, cutoff=cutoff)
    await asked(context, shown)


@AGE.handles
async def on_age(update: Update, context: JinroContext, answer: str) -> None:
    data = context.user.flow_data
    under14 = answer == "y"
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
                leaves_on=school_year.leaves_on(context.today, data["grade"]),
                name=data["name"],
                under14=under14,
                # Under 14: the guardian's number next (their consent comes first).
                flow=consent_store.NUMBER_FLOW if under14 else None,
                flow_data={},
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
        needs_consent=consent_store.needs_consent(student),
    )
    await commands.set_for_user(context, student)
