"""Asking a mentor: the field (buttons or typed words), online or at school, preferred times,
the question, then send."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import (
    answer_query,
    keyboard,
    page_count,
    pages_row,
    reply,
    set_flow,
    speaks_formally,
    stale_button,
    text_step,
)
from handlers.common.handled import asked
from handlers.common.shorten import ask_to_shorten
from handlers.mentors.buttons import (
    ASK,
    ASK_ALL_FIELDS,
    ASK_ANY_TIME,
    ASK_DROP,
    ASK_FIELD,
    ASK_MODE,
    ASK_NEXT,
    ASK_SEND,
    ASK_TIME,
)
from handlers.mentors.common import field_tag
from handlers.mentors.home import TIME_NAMES, _modes, mode_name
from handlers.mentors.request import show_request
from messages import label, nlabel
from messages.labels import N_
from messages.vocabulary import field_name
from storage import consent as consent_store
from storage import mentors as store
from storage import users as users_store
from storage.models import Role

FIELD_BUTTONS = 8
FIELD_PAGE = 10
CONSENT_FIRST = N_("Your guardian's consent is needed first. Send /consent to see how.")
# A refusal's words to adults (합니다체, a teacher asking for a class) and to students (해요체).
REFUSALS = {
    "consent": (CONSENT_FIRST, CONSENT_FIRST),  # only students need a guardian's consent
    "too_many": (
        N_("The most open requests allowed are already open. Wait for an answer or cancel one."),
        N_("You have as many open requests as you can. Wait for them, or cancel one."),
    ),
    "question": (
        N_("Please type the question again (5 to 500 characters)."),
        N_("Please write your question again (5 to 500 characters)."),
    ),
}
NOT_SENT = (N_("This request could not be sent."), N_("This request cannot be sent."))


def with_mentors(lang: str, choice: str, count: int) -> str:
    """A choice's button with how many mentors could take it ("방송영상 · 가능한 멘토 2명"); a
    choice nobody could take now is its name alone, never a bare "(0)"."""
    if not count:
        return choice[:60]
    mentors = nlabel(lang, "%(count)s mentor free", "%(count)s mentors free", count)
    return f"{choice} · {mentors}"[:60]


@ASK.handles
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
        said = REFUSALS["too_many"]
        text = said[0] if speaks_formally(context.user) else said[1]
        await answer_query(update, label(context.lang, text), alert=True)
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
        [
            ASK_FIELD(
                with_mentors(lang, field_name(lang, name), free.get(name, 0)),
                index[name],
                field_tag(name),
            )
        ]
        for name in shown
        if name in index
    ]
    rows.append([ASK_ALL_FIELDS(label(lang, "🗂 All fields"), 0)])
    shown = await reply(
        update,
        context,
        "mentoring/ask_field",
        keyboard(rows),
        edit=edit,
        typed=typed,
        found=found,
        any_free=bool(free),
    )
    await asked(context, shown)  # the fields found for typed words: the earlier list's go


@text_step("rq.field")
async def field_typed(update: Update, context: JinroContext) -> None:
    typed = " ".join(update.message.text.split())[:40]
    async with context.db.read() as conn:
        found = await store.find_fields(conn, typed, also_named=partial(field_name, context.lang))
    await ask_field(update, context, found=found, typed=typed)


@ASK_ALL_FIELDS.handles
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
        [ASK_FIELD(field_name(lang, name)[:60], n, field_tag(name))]
        for n, name in list(enumerate(names))[page * FIELD_PAGE : (page + 1) * FIELD_PAGE]
    ]
    rows.append(pages_row(lang, ASK_ALL_FIELDS, page, pages))
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


@ASK_FIELD.handles
async def field_chosen(update: Update, context: JinroContext, index: int, tag: int) -> None:
    async with context.db.read() as conn:
        names = await store.vocabulary(conn)
    if context.user.flow != "rq.field" or index >= len(names) or field_tag(names[index]) != tag:
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
        [ASK_MODE(with_mentors(lang, mode_name(lang, mode, role), counts[mode]), mode)]
        for mode in _modes(context)
    ]
    await reply(
        update, context, "mentoring/ask_mode", keyboard(rows), edit=True, field=field, role=role
    )


@ASK_MODE.handles
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
            ASK_TIME(
                ("✅ " if code in chosen else "⬜ ")
                + with_mentors(lang, label(lang, TIME_NAMES[code]), free[code]),
                code,
            )
        ]
        for code in store.TIMES
        if code in free
    ]
    last = [ASK_ANY_TIME(label(lang, "Any time"))]
    if chosen:
        last.append(ASK_NEXT(label(lang, "Next ▶")))
    rows.append(last)
    await reply(
        update, context, "mentoring/ask_times", keyboard(rows), edit=True, any_free=bool(free)
    )


@ASK_TIME.handles
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


ASK_ANY_TIME.handles(partial(times_done, any_time=True))
ASK_NEXT.handles(partial(times_done, any_time=False))


@text_step("rq.question")
async def question_typed(update: Update, context: JinroContext) -> None:
    question = " ".join(update.message.text.split())
    if len(question) > store.QUESTION_MAX:
        await ask_to_shorten(update, context, len(question), store.QUESTION_MAX)
        return
    if len(question) < store.QUESTION_MIN:
        await reply(
            update, context, "mentoring/ask_question", role=context.user.role, problem=len(question)
        )
        return
    data = {**context.user.flow_data, "q": question}
    await set_flow(context, "rq.confirm", data)
    lang = context.lang
    rows = [[ASK_SEND(label(lang, "📨 Send")), ASK_DROP(label(lang, "✕ Don't send"))]]
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


@ASK_SEND.handles
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
        said = REFUSALS.get(refused.reason, NOT_SENT)
        text = said[0] if speaks_formally(context.user) else said[1]
        await answer_query(update, label(context.lang, text), alert=True)
        return
    await answer_query(update)
    if created.offered_to is not None:
        outbox.kick(context)  # the mentor's offer
    await show_request(update, context, created.request_id, edit=True, just_sent=True)


@ASK_DROP.handles
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
