"""One of the requester's requests: where it stands and what else is free, cancelling it,
rating the meeting and a comment."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.common import (
    answer_query,
    keyboard,
    reply,
    set_flow,
    speaks_formally,
    stale_button,
    text_step,
)
from handlers.common.handled import pressed_message_id, settle_message
from handlers.common.shorten import ask_to_shorten
from handlers.mentors.buttons import (
    CHANGE_ANY_TIME,
    CHANGE_FIELD,
    CHANGE_MODE,
    JOIN,
    MY_REQUEST,
    MY_REQUESTS,
    RATE,
    SKIP_COMMENT,
    WITHDRAW,
    WITHDRAW_NOW,
)
from handlers.mentors.common import field_tag, when_label
from handlers.mentors.home import TIME_NAMES, _leave_flow, mode_name, show_home
from handlers.mentors.talk import write_button
from handlers.search import buttons as search
from messages import label
from messages.labels import N_
from messages.vocabulary import field_name
from storage import mentors as store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound

COMMENT_MAX = 500


async def show_request(
    update: Update, context: JinroContext, request_id: int, *, edit=True, just_sent=False
) -> bool:
    now = context.now
    try:
        async with context.db.read() as conn:
            found = await store.for_requester(conn, request_id, context.user.id)
            others, names = None, []
            if found.status == "waiting":
                others = await store.alternatives(
                    conn, found, now=now, tz=context.tz, role=context.user.role
                )
                names = await store.vocabulary(conn) if others.fields else []
    except NotFound:
        return False
    lang = context.lang
    rows = []
    if found.status == "held" and found.rating is None:
        rows.append([RATE(str(n), request_id, n) for n in range(1, 6)])
    if others is not None:
        rows += _change_rows(context, request_id, others, names)
        for group in others.groups:
            when = when_label(lang, group.starts_at, context.tz)
            rows.append([JOIN(label(lang, "🤝 Join: %(when)s", when=when), group.id)])
        rows += _program_rows(lang, others.programs)
    if found.status in store.TALK and found.mentor_name:
        rows.append([write_button(lang, request_id, mentor=False)])
    if found.status in store.ACTIVE:
        rows.append([WITHDRAW(label(lang, "✕ Cancel the request"), request_id)])
    rows.append([MY_REQUESTS(label(lang, "◀ My requests"))])
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


# A waiting request changed in one tap (handlers/mentors/changing.py): students hear their
# own words ("any time is fine with me"), teachers the form's.
ANY_TIME = (N_("🕒 Change to any time"), N_("🕒 Make it any time"))
CHANGE_MODES = {
    "online": N_("💻 Change to online"),
    "visit": N_("🏫 Change to a school visit"),
    "group": N_("💻 Change to an online group session"),
}


def _change_rows(context: JinroContext, request_id: int, others, names: list[str]) -> list:
    """The suggestions that change the request itself, one button each, in the order the
    screen names them: any time, a related field, another way of meeting."""
    lang = context.lang
    rows = []
    if others.any_time:
        said = ANY_TIME[0] if speaks_formally(context.user) else ANY_TIME[1]
        rows.append([CHANGE_ANY_TIME(label(lang, said), request_id)])
    index = {name: n for n, name in enumerate(names)}
    for found in others.fields:
        if found.name in index:
            text = label(lang, "🗂 Change to %(field)s", field=field_name(lang, found.name))
            rows.append([CHANGE_FIELD(text, request_id, index[found.name], field_tag(found.name))])
    for mode in others.modes:
        rows.append([CHANGE_MODE(label(lang, CHANGE_MODES[mode]), request_id, mode)])
    return rows


def _program_rows(lang: str, programs) -> list:
    """While a request waits: the field's experience programmes, each opening its card, and
    the search for the whole field (one programme's field is the request's)."""
    if not programs:
        return []
    rows = [[search.SHOW(f"📋 {p.title}"[:60], p.id)] for p in programs]
    rows.append([search.SAME_FIELD(label(lang, "🔎 All programmes in this field"), programs[0].id)])
    return rows


async def _pressed_on_mine(update: Update, context: JinroContext, request_id: int):
    """The requester's own request, the press on it answered; None (a stale press) when it
    is gone or someone else's."""
    async with context.db.read() as conn:
        found = await store.get(conn, request_id)
    if found is None or found.requester_id != context.user.id:
        await stale_button(update, context)
        return None
    await answer_query(update)
    return found


@MY_REQUEST.handles
async def view_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    if await _pressed_on_mine(update, context, request_id) is not None:
        await _leave_flow(context)
        await show_request(update, context, request_id)


@WITHDRAW.handles
async def cancel_pressed(update: Update, context: JinroContext, request_id: int) -> None:
    found = await _pressed_on_mine(update, context, request_id)
    if found is None:
        return
    if found.status not in store.ACTIVE:
        await show_request(update, context, request_id)
        return
    lang = context.lang
    formal = speaks_formally(context.user)
    sure = N_("✕ Yes, cancel the request") if formal else N_("✕ Yes, cancel it")
    rows = [
        [WITHDRAW_NOW(label(lang, sure), request_id)],
        [MY_REQUEST(label(lang, "◀ Keep it"), request_id)],
    ]
    await reply(
        update, context, "mentoring/ask_cancel", keyboard(rows), edit=True, status=found.status
    )


@WITHDRAW_NOW.handles
async def cancel_now(update: Update, context: JinroContext, request_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.cancel_request(conn, request_id, context.user, now=context.now)
    except AlreadyHandled:  # not the router's answer: the request as it is now follows
        changed = (
            N_("The request's status changed meanwhile.")
            if speaks_formally(context.user)
            else N_("This request has changed meanwhile.")
        )
        await answer_query(update, label(context.lang, changed), alert=True)
        await show_request(update, context, request_id)
        return
    done = N_("The request is cancelled.") if speaks_formally(context.user) else N_("Cancelled.")
    await answer_query(update, label(context.lang, done))
    outbox.kick(context)  # the mentor hears
    await show_home(update, context, edit=True)


@RATE.handles
async def rate_pressed(update: Update, context: JinroContext, request_id: int, score: int) -> None:
    async with context.db.write() as conn:
        await store.rate(conn, request_id, context.user, score, now=context.now)
        context.user = await users_store.set_flow(
            conn, context.user.id, "rq.comment", {"r": request_id, "m": pressed_message_id(update)}
        )
    await answer_query(update)
    rows = [[SKIP_COMMENT(label(context.lang, "Skip the comment"))]]
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
        await ask_to_shorten(update, context, len(text), COMMENT_MAX)
        return
    prompt = (context.user.flow_data or {}).get("m")
    try:
        async with context.db.write() as conn:
            await store.comment(
                conn, (context.user.flow_data or {}).get("r", 0), context.user, text
            )
            context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await set_flow(context, None)
    await settle_message(context, prompt, label(context.lang, "📝 Comment saved"))
    await reply(update, context, "mentoring/thanks")


@SKIP_COMMENT.handles
async def skip_comment(update: Update, context: JinroContext) -> None:
    if context.user.flow != "rq.comment":
        await stale_button(update, context)
        return
    await answer_query(update)
    await set_flow(context, None)
    await reply(update, context, "mentoring/thanks", edit=True)
