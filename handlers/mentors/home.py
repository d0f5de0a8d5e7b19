"""/mentor: where each of a student's or teacher's requests stands (a mentor gets their desk,
staff the figures); and what the requester's side shares: modes, times, leaving a rq.* flow."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.common import answer_query, keyboard, leave_flow, reply
from handlers.mentors import common as mentor_side
from handlers.mentors import desk, staff
from handlers.mentors.buttons import ASK, GROUPS, MY_REQUEST, MY_REQUESTS, STUDENTS
from messages import label
from messages.labels import N_
from messages.vocabulary import field_name
from storage import consent as consent_store
from storage import mentors as store
from storage.models import Role

MODE_NAMES = {
    "online": N_("💻 Online, one to one"),
    "visit": N_("🏫 At my school"),
    "group": N_("💻 Online group session for my class"),
}
TEACHER_VISIT = N_("🏫 A visit to my school")
TIME_NAMES = {
    "day": N_("Weekdays, daytime"),
    "after": N_("Weekdays, after school (15–18)"),
    "evening": N_("Weekday evenings"),
    "weekend": N_("Weekends"),
}


async def _leave_flow(context: JinroContext) -> None:
    await leave_flow(context, "rq.")


def _modes(context: JinroContext) -> tuple[str, ...]:
    return store.STUDENT_MODES if context.user.role == Role.STUDENT else store.TEACHER_MODES


def mode_name(lang: str, mode: str, role: str) -> str:
    if mode == "visit" and role == Role.TEACHER:
        return label(lang, TEACHER_VISIT)
    return label(lang, MODE_NAMES[mode])


# ----- /mentor --------------------------------------------------------------------------------


async def mentor_command(update: Update, context: JinroContext) -> None:
    role = context.user.role
    if role == Role.MENTOR and context.user.mentor_id is not None:
        await mentor_side._leave_flow(context)
        await desk.show_board(update, context)
    elif role == Role.STAFF:
        await staff.show_figures(update, context)
    elif role in (Role.STUDENT, Role.TEACHER) and context.user.school_id is not None:
        await _leave_flow(context)
        await show_home(update, context)
    else:
        await reply(update, context, "common/not_allowed")


async def show_home(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    teacher = context.user.role == Role.TEACHER
    async with context.db.read() as conn:
        mine = await store.my_requests(conn, context.user.id)
        students = (await store.students_requests(conn, context.user, limit=0))[1] if teacher else 0
        groups = (
            await store.open_groups(conn, context.user.school_id, now=context.now)
            if teacher
            else []
        )
    lang, tz = context.lang, context.tz
    rows = [
        [MY_REQUEST(f"{_status_mark(r.status)} {_short(lang, r, tz)}"[:60], r.id)] for r in mine
    ]
    rows.append([ASK(label(lang, "➕ Ask a mentor"))])
    if teacher:
        # A count is shown only when there is something to count: "(0)" reads as a fault.
        text = label(lang, "👩‍🎓 My students' requests")
        if students:
            text = label(lang, "👩‍🎓 My students' requests (%(count)s)", count=students)
        rows.append([STUDENTS(text, 0)])
        text = label(lang, "🤝 Join a group session")
        if groups:
            text = label(lang, "🤝 Join a group session (%(count)s open)", count=len(groups))
        rows.append([GROUPS(text)])
    await reply(
        update,
        context,
        "mentoring/home",
        keyboard(rows),
        edit=edit,
        requests=mine,
        role=context.user.role,
        consent=consent_store.needs_consent(context.user),
        tz=tz,
    )


STATUS_MARKS = {
    "waiting": "⏳",
    "offered": "📨",
    "accepted": "🤝",
    "scheduled": "📅",
    "held": "✅",
    "not_held": "✖",
    "cancelled": "✖",
    "expired": "⌛",
}


def _status_mark(status: str) -> str:
    return STATUS_MARKS.get(status, "•")


def _short(lang: str, request, tz) -> str:
    if request.starts_at is not None and request.status == "scheduled":
        when = mentor_side.when_label(lang, request.starts_at, tz)
        return f"{when} {field_name(lang, request.field)}"
    return f"{field_name(lang, request.field)} · {request.question[:30]}"


@MY_REQUESTS.handles
async def home_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_home(update, context, edit=True)
