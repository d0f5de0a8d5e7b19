"""Asking for a mentor: /mentor for students and teachers (and the desk for mentors).

A student picks a field (buttons, or words typed and matched like programme search), online
or at school, preferred times from those mentors have free, and writes a question; under 14
a guardian's consent comes first, as for bookings. A teacher asks for a school visit or an
online group session for a class, joins another school's group session while it has room,
and sees their students' requests, where they may mark one as priority (never shown to a
mentor or a student). /mentor shows where each request stands.

Flows (users.flow; data in users.flow_data):
    rq.field → rq.mode → rq.times → rq.question → rq.confirm
        {"f": field, "m": mode, "t": [time codes], "q": question}
    rq.comment {"r": request}           a comment after rating
Callback data: rq:n new · rq:f:I:TAG a field (its place in storage.mentors.vocabulary, and
handlers.mentors.field_tag of its name) · rq:fa:P all fields · rq:m:MODE · rq:tt:CODE toggle
a time · rq:ta any time · rq:tn next · rq:ok send · rq:no drop · rq:l my requests · rq:v:R
one · rq:x:R cancel? · rq:xy:R cancel! · rq:r:R:N rate · rq:cs no comment · rq:s:P the
students' requests · rq:p:R:P priority on/off · rq:g group sessions · rq:gj:M join one.
Every id is checked against the pressing user.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import JinroContext
from handlers import mentor_staff, mentors
from handlers import reminders as outbox
from handlers.common import (
    answer_query,
    callback_parts,
    keyboard,
    leave_flow,
    page_count,
    paging_row,
    reply,
    requires,
    route_button,
    set_flow,
    stale_button,
    text_step,
)
from messages import label
from messages.labels import N_
from storage import consent as consent_store
from storage import mentors as store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role

FIELD_BUTTONS = 8
FIELD_PAGE = 10
PAGE = 6
COMMENT_MAX = 500
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
CONSENT_FIRST = N_("Your guardian's consent is needed first. Send /consent to see how.")
TOO_MANY = N_("You have as many open requests as you can. Wait for them, or cancel one.")
REFUSALS = {
    "consent": CONSENT_FIRST,
    "too_many": TOO_MANY,
    "question": N_("Please write your question again (5 to 500 characters)."),
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
        await mentors._leave_flow(context)
        await mentors.show_board(update, context)
    elif role == Role.STAFF:
        await mentor_staff.show_figures(update, context)
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
        [(f"{_status_mark(r.status)} {_short(lang, r, tz)}"[:60], f"rq:v:{r.id}")] for r in mine
    ]
    rows.append([(label(lang, "➕ Ask a mentor"), "rq:n")])
    if teacher:
        rows.append(
            [(label(lang, "👩‍🎓 My students' requests (%(count)s)", count=students), "rq:s:0")]
        )
        rows.append(
            [(label(lang, "🤝 Join a group session (%(count)s)", count=len(groups)), "rq:g")]
        )
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
        return f"{mentors.when_label(lang, request.starts_at, tz)} {request.field}"
    return f"{request.field} · {request.question[:30]}"


async def home_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_home(update, context, edit=True)


# ----- asking ---------------------------------------------------------------------------------


async def new_pressed(update: Update, context: JinroContext) -> None:
    if consent_store.needs_consent(context.user):
        await answer_query(update, label(context.lang, CONSENT_FIRST), alert=True)
        return
    async with context.db.read() as conn:
        active = [
            r
            for r in await store.my_requests(conn, context.user.id, limit=20)
            if r.status in store.ACTIVE
        ]
    limit = (
        store.STUDENT_OPEN_LIMIT if context.user.role == Role.STUDENT else store.TEACHER_OPEN_LIMIT
    )
    if len(active) >= limit:
        await answer_query(update, label(context.lang, TOO_MANY), alert=True)
        return
    await answer_query(update)
    await set_flow(context, "rq.field", {})
    await ask_field(update, context, edit=True)


async def ask_field(update: Update, context: JinroContext, *, edit=False, found=None, typed=None):
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
        free = await store.available_fields(conn, now=context.now, tz=context.tz)
    index = {name: n for n, name in enumerate(names)}
    if found is None:
        shown = sorted(free, key=lambda name: (-free[name], name))[:FIELD_BUTTONS]
    else:
        shown = found
    lang = context.lang
    rows = [
        [(f"{name} ({free.get(name, 0)})"[:60], f"rq:f:{index[name]}:{mentors.field_tag(name)}")]
        for name in shown
        if name in index
    ]
    rows.append([(label(lang, "🗂 All fields"), "rq:fa:0")])
    await reply(
        update,
        context,
        "mentoring/ask_field",
        keyboard(rows),
        edit=edit,
        typed=typed,
        found=found,
        any_free=bool(free),
    )


@text_step("rq.field")
async def field_typed(update: Update, context: JinroContext) -> None:
    typed = " ".join(update.message.text.split())[:40]
    async with context.db.read() as conn:
        found = await store.find_fields(conn, typed)
    await ask_field(update, context, found=found, typed=typed)


async def all_fields(update: Update, context: JinroContext, page: int) -> None:
    if context.user.flow != "rq.field":
        await stale_button(update, context)
        return
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
    pages = page_count(len(names), FIELD_PAGE)
    page = min(page, pages - 1)
    await answer_query(update)
    lang = context.lang
    rows = [
        [(name[:60], f"rq:f:{n}:{mentors.field_tag(name)}")]
        for n, name in list(enumerate(names))[page * FIELD_PAGE : (page + 1) * FIELD_PAGE]
    ]
    rows.append(paging_row(lang, "rq:fa", page, pages))
    await reply(
        update,
        context,
        "mentoring/ask_field",
        keyboard(rows),
        edit=True,
        typed=None,
        found=None,
        any_free=True,
    )


async def field_chosen(update: Update, context: JinroContext, index: int, tag: int) -> None:
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
    if (
        context.user.flow != "rq.field"
        or index >= len(names)
        or mentors.field_tag(names[index]) != tag
    ):
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, "rq.mode", {"f": names[index]})
    await ask_mode(update, context)


async def ask_mode(update: Update, context: JinroContext) -> None:
    field = context.user.flow_data["f"]
    counts = {}
    async with context.db.read() as conn:
        for mode in _modes(context):
            wish = store.Wish(field, mode, context.user.school_id)
            counts[mode] = len(await store.rank(conn, wish, now=context.now, tz=context.tz))
    lang, role = context.lang, context.user.role
    rows = [
        [(f"{mode_name(lang, mode, role)} ({counts[mode]})", f"rq:m:{mode}")]
        for mode in _modes(context)
    ]
    await reply(
        update, context, "mentoring/ask_mode", keyboard(rows), edit=True, field=field, role=role
    )


async def mode_chosen(update: Update, context: JinroContext, mode: str) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "rq.mode" or mode not in _modes(context) or "f" not in data:
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, "rq.times", {**data, "m": mode, "t": []})
    await ask_times(update, context)


async def ask_times(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data
    async with context.db.read() as conn:
        free = await store.time_choices(
            conn, data["f"], data["m"], context.user.school_id, now=context.now, tz=context.tz
        )
    lang = context.lang
    chosen = data.get("t", [])
    rows = [
        [
            (
                ("✅ " if code in chosen else "⬜ ")
                + f"{label(lang, TIME_NAMES[code])} ({free[code]})",
                f"rq:tt:{code}",
            )
        ]
        for code in store.TIMES
        if code in free
    ]
    last = [(label(lang, "Any time"), "rq:ta")]
    if chosen:
        last.append((label(lang, "Next ▶"), "rq:tn"))
    rows.append(last)
    await reply(
        update, context, "mentoring/ask_times", keyboard(rows), edit=True, any_free=bool(free)
    )


async def time_toggled(update: Update, context: JinroContext, code: str) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "rq.times" or code not in store.TIMES:
        await stale_button(update, context)
        return
    await answer_query(update)
    chosen = sorted(set(data.get("t", [])) ^ {code}, key=store.TIMES.index)
    await set_flow(context, "rq.times", {**data, "t": chosen})
    await ask_times(update, context)


async def times_done(update: Update, context: JinroContext, *, any_time: bool) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "rq.times" or not {"f", "m"} <= data.keys():
        await stale_button(update, context)
        return
    await answer_query(update)
    if any_time:
        data = {**data, "t": []}
    await set_flow(context, "rq.question", data)
    await reply(
        update, context, "mentoring/ask_question", edit=True, role=context.user.role, problem=None
    )


@text_step("rq.question")
async def question_typed(update: Update, context: JinroContext) -> None:
    question = " ".join(update.message.text.split())
    if not store.QUESTION_MIN <= len(question) <= store.QUESTION_MAX:
        await reply(
            update, context, "mentoring/ask_question", role=context.user.role, problem=len(question)
        )
        return
    data = {**context.user.flow_data, "q": question}
    await set_flow(context, "rq.confirm", data)
    lang = context.lang
    rows = [[(label(lang, "📨 Send"), "rq:ok"), (label(lang, "✕ Don't send"), "rq:no")]]
    await reply(
        update,
        context,
        "mentoring/confirm",
        keyboard(rows),
        field=data["f"],
        mode=mode_name(lang, data["m"], context.user.role),
        times=[label(lang, TIME_NAMES[t]) for t in data.get("t", [])],
        question=question,
    )


async def send_pressed(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data or {}
    if context.user.flow != "rq.confirm" or not {"f", "m", "q"} <= data.keys():
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            created = await store.create_request(
                conn,
                context.user,
                field=data["f"],
                mode=data["m"],
                question=data["q"],
                times=data.get("t", []),
                now=context.now,
                window=context.settings.mentor_answer,
                tz=context.tz,
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except store.Refused as refused:
        await set_flow(context, None)
        text = REFUSALS.get(refused.reason, N_("This request cannot be sent."))
        await answer_query(update, label(context.lang, text), alert=True)
        return
    await answer_query(update)
    if created.offered_to is not None:
        outbox.kick(context)  # the mentor's offer
    await show_request(update, context, created.request_id, edit=True, just_sent=True)


async def drop_pressed(update: Update, context: JinroContext) -> None:
    if not (context.user.flow or "").startswith("rq."):
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, None)
    await reply(update, context, "common/cancelled", edit=True)


@text_step("rq.mode", "rq.times", "rq.confirm")
async def button_expected(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")


# ----- one request ----------------------------------------------------------------------------


async def show_request(
    update: Update, context: JinroContext, request_id: int, *, edit=True, just_sent=False
) -> bool:
    now = context.now
    try:
        async with context.db.read() as conn:
            found = await store.for_requester(conn, request_id, context.user.id)
            others = None
            if found.status == "waiting":
                others = await store.alternatives(
                    conn, found, now=now, tz=context.tz, role=context.user.role
                )
    except NotFound:
        return False
    lang = context.lang
    rows = []
    if found.status == "held" and found.rating is None:
        rows.append([(str(n), f"rq:r:{request_id}:{n}") for n in range(1, 6)])
    if others is not None:
        for group in others.groups:
            rows.append(
                [
                    (
                        label(
                            lang,
                            "🤝 Join: %(when)s",
                            when=mentors.when_label(lang, group.starts_at, context.tz),
                        ),
                        f"rq:gj:{group.id}",
                    )
                ]
            )
    if found.status in store.ACTIVE:
        rows.append([(label(lang, "✕ Cancel the request"), f"rq:x:{request_id}")])
    rows.append([(label(lang, "◀ My requests"), "rq:l")])
    await reply(
        update,
        context,
        "mentoring/request",
        keyboard(rows),
        edit=edit,
        request=found,
        others=others,
        just_sent=just_sent,
        mode=mode_name(lang, found.mode, found.requester_role),
        times=[label(lang, TIME_NAMES[t]) for t in store.split_codes(found.times, store.TIMES)],
        hours=context.settings.mentor_answer_hours,
        tz=context.tz,
    )
    return True


async def view_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.get(conn, request_id)
    if found is None or found.requester_id != context.user.id:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _leave_flow(context)
    await show_request(update, context, request_id)


async def cancel_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    async with context.db.read() as conn:
        found = await store.get(conn, request_id)
    if found is None or found.requester_id != context.user.id:
        await stale_button(update, context)
        return
    await answer_query(update)
    if found.status not in store.ACTIVE:
        await show_request(update, context, request_id)
        return
    lang = context.lang
    rows = [
        [(label(lang, "✕ Yes, cancel it"), f"rq:xy:{request_id}")],
        [(label(lang, "◀ Keep it"), f"rq:v:{request_id}")],
    ]
    await reply(
        update, context, "mentoring/ask_cancel", keyboard(rows), edit=True, status=found.status
    )


async def cancel_now(update: Update, context: JinroContext, request_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.cancel_request(conn, request_id, context.user, now=context.now)
    except NotFound:
        await stale_button(update, context)
        return
    except AlreadyHandled:
        await answer_query(
            update, label(context.lang, "This request has changed meanwhile."), alert=True
        )
        await show_request(update, context, request_id)
        return
    await answer_query(update, label(context.lang, "Cancelled."))
    outbox.kick(context)  # the mentor hears
    await show_home(update, context, edit=True)


async def rate_pressed(update: Update, context: JinroContext, request_id: int, score: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.rate(conn, request_id, context.user, score, now=context.now)
            context.user = await users_store.set_flow(
                conn, context.user.id, "rq.comment", {"r": request_id}
            )
    except NotFound:
        await stale_button(update, context)
        return
    await answer_query(update)
    rows = [[(label(context.lang, "Skip the comment"), "rq:cs")]]
    await reply(
        update,
        context,
        "mentoring/rated",
        keyboard(rows),
        edit=True,
        score=score,
        limit=COMMENT_MAX,
    )


@text_step("rq.comment")
async def comment_typed(update: Update, context: JinroContext) -> None:
    text = " ".join(update.message.text.split())
    if len(text) > COMMENT_MAX:
        await reply(update, context, "mentors/too_long", length=len(text), limit=COMMENT_MAX)
        return
    try:
        async with context.db.write() as conn:
            await store.comment(
                conn, (context.user.flow_data or {}).get("r", 0), context.user, text
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await set_flow(context, None)
    await reply(update, context, "mentoring/thanks")


async def skip_comment(update: Update, context: JinroContext) -> None:
    if context.user.flow != "rq.comment":
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, None)
    await reply(update, context, "mentoring/thanks", edit=True)


# ----- teachers: their students' requests, priority, group sessions --------------------------


async def students_page(update: Update, context: JinroContext, page: int, *, edit=True) -> None:
    if context.user.role != Role.TEACHER:
        await stale_button(update, context)
        return
    async with context.db.read() as conn:
        found, total = await store.students_requests(
            conn, context.user, offset=page * PAGE, limit=PAGE
        )
    pages = page_count(total, PAGE)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            (
                ("⭐ " if r.priority else "☆ ") + f"{r.requester_name} · {r.field}"[:50],
                f"rq:p:{r.id}:{page}",
            )
        ]
        for r in found
        if r.status in store.ACTIVE
    ]
    rows.append(paging_row(lang, "rq:s", page, pages))
    rows.append([(label(lang, "◀ Mentoring"), "rq:l")])
    await reply(
        update,
        context,
        "mentoring/students",
        keyboard(rows),
        edit=edit,
        requests=found,
        total=total,
        page=page + 1,
        pages=pages,
        tz=context.tz,
    )


async def priority_pressed(update: Update, context: JinroContext, request_id: int, page: int):
    if await mentor_staff.toggle_priority(update, context, request_id):
        await students_page(update, context, page)


async def groups_pressed(update: Update, context: JinroContext) -> None:
    if context.user.role != Role.TEACHER:
        await stale_button(update, context)
        return
    async with context.db.read() as conn:
        groups = await store.open_groups(conn, context.user.school_id, now=context.now)
    await answer_query(update)
    lang, tz = context.lang, context.tz
    rows = [
        [
            (
                _group_label(lang, g, tz),
                f"rq:gj:{g.id}",
            )
        ]
        for g in groups
    ]
    rows.append([(label(lang, "◀ Mentoring"), "rq:l")])
    await reply(
        update, context, "mentoring/groups", keyboard(rows), edit=True, groups=groups, tz=tz
    )


def _group_label(lang: str, group, tz) -> str:
    when = mentors.when_label(lang, group.starts_at, tz)
    mark = "✓ " if group.ours else ""
    return f"{mark}{when} {group.field} ({group.joined}/{group.capacity})"[:60]


async def join_pressed(update: Update, context: JinroContext, meeting_id: int) -> None:
    if context.user.role != Role.TEACHER:
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            request_id = await store.join_group(
                conn, meeting_id, context.user, now=context.now, tz=context.tz
            )
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused as refused:
        text = {
            "full": N_("This group session is full."),
            "already": N_("Your school is already in this group session."),
        }.get(refused.reason, N_("This group session is no longer open."))
        await answer_query(update, label(context.lang, text), alert=True)
        return
    await answer_query(update, label(context.lang, "Your class is in."))
    outbox.kick(context)  # the mentor hears a school joined
    await show_request(update, context, request_id)


# ----- routing --------------------------------------------------------------------------------

BUTTONS = {
    "n": (new_pressed, 0),
    "f": (field_chosen, 2),
    "fa": (all_fields, 1),
    "ta": (lambda u, c: times_done(u, c, any_time=True), 0),
    "tn": (lambda u, c: times_done(u, c, any_time=False), 0),
    "ok": (send_pressed, 0),
    "no": (drop_pressed, 0),
    "l": (home_pressed, 0),
    "v": (view_pressed, 1),
    "x": (cancel_pressed, 1),
    "xy": (cancel_now, 1),
    "r": (rate_pressed, 2),
    "cs": (skip_comment, 0),
    "s": (students_page, 1),
    "p": (priority_pressed, 2),
    "g": (groups_pressed, 0),
    "gj": (join_pressed, 1),
}


@requires(Role.STUDENT, Role.TEACHER)
async def on_button(update: Update, context: JinroContext) -> None:
    parts = callback_parts(update)
    if context.user.school_id is None:
        await stale_button(update, context)
        return
    if len(parts) == 3 and parts[1] == "m":
        await mode_chosen(update, context, parts[2])
        return
    if len(parts) == 3 and parts[1] == "tt":
        await time_toggled(update, context, parts[2])
        return
    await route_button(update, context, BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("mentor", mentor_command),
        CallbackQueryHandler(on_button, pattern=r"^rq:"),
    ]
