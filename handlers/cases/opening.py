"""Opening a case: the booking, the kind, the first message (a text or a photo), the
summary to send or drop."""

from __future__ import annotations

from telegram import Message, Update

from bot.context import JinroContext
from handlers import outbox
from handlers.cases.buttons import (
    ABOUT_BOOKING,
    DROP,
    KIND_CHOSEN,
    NEW,
    NEW_PAGE,
    SEND,
    SESSION_BOOKINGS,
)
from handlers.cases.common import KIND_BUTTONS, PAGE, _leave_flow, _open_case_keyboard, _short_when
from handlers.common import (
    answer_query,
    audit_read,
    keyboard,
    page_count,
    pages_row,
    reply,
    set_flow,
    stale_button,
)
from handlers.common.handled import asked, prompt_of
from handlers.common.shorten import ask_to_shorten
from messages import label
from storage import cases as store
from storage import users as users_store
from storage.errors import NotFound
from storage.models import Role
from storage.names import shared_name

# ----- opening a case -------------------------------------------------------------------------


@NEW.handles
async def new_pressed(update: Update, context: JinroContext) -> None:
    await pick_booking(update, context, 0)


@NEW_PAGE.handles
async def pick_booking(update: Update, context: JinroContext, page: int, session_id=None):
    """The bookings the user may open a case about (a student, teacher or site: the
    buttons' roles), or a site's one session's."""
    user, lang = context.user, context.lang
    async with context.db.read() as conn:
        picks = await store.pickable(conn, user, now=context.now, session_id=session_id)
    await answer_query(update)
    if user.role != Role.STUDENT:  # a teacher's or site's list names the students
        await audit_read(context, "case_bookings", session_id, rows=len(picks))
    pages = page_count(len(picks), PAGE)
    page = min(page, pages - 1)
    shown = picks[page * PAGE : (page + 1) * PAGE]
    rows = [[ABOUT_BOOKING(_pick_label(context, p), p.booking_id)] for p in shown]
    if session_id is None:
        rows.append(pages_row(lang, NEW_PAGE, page, pages))
    rows.append([DROP(label(lang, "✕ Stop"))])
    await set_flow(context, "case.pick" if picks else None)
    await reply(
        update,
        context,
        "cases/ask_booking",
        keyboard(rows),
        edit=True,
        total=len(picks),
        role=user.role,
        session=session_id,
    )


def _pick_label(context: JinroContext, pick: store.Pick) -> str:
    if pick.name is None:
        who = label(
            context.lang, "%(school)s class (%(count)s)", school=pick.school, count=pick.seats
        )
    else:
        who = pick.name
    title = pick.title if len(pick.title) <= 28 else pick.title[:27] + "…"
    return f"{title} · {_short_when(context, pick.starts_at)} · {who}"[:60]


@SESSION_BOOKINGS.handles
async def session_bookings(update: Update, context: JinroContext, session_id: int) -> None:
    """A site's roster: "🆘 Ask for mediation" lists that session's bookings."""
    await pick_booking(update, context, 0, session_id=session_id)


@ABOUT_BOOKING.handles
async def booking_chosen(update: Update, context: JinroContext, booking_id: int) -> None:
    async with context.db.read() as conn:
        await store.booking_for(conn, booking_id, context.user)  # NotFound: not theirs
    await answer_query(update)
    await _ask_kind(update, context, booking_id)


async def _ask_kind(
    update: Update, context: JinroContext, booking_id: int, draft: dict | None = None
) -> None:
    lang = context.lang
    rows = [
        [KIND_CHOSEN(label(lang, name), booking_id, index)]
        for index, name in enumerate(KIND_BUTTONS.values())
    ]
    rows.append([DROP(label(lang, "✕ Stop"))])
    earlier = prompt_of(context.user.flow_data)  # asked before the words came: its kinds go
    await set_flow(context, "case.kind", {"b": booking_id, **(draft or {})})
    shown = await reply(
        update, context, "cases/ask_kind", keyboard(rows), edit=True, kept=bool(draft)
    )
    await asked(context, shown, earlier)


async def kind_typed(update: Update, context: JinroContext) -> None:
    """Words (or a photo) sent before the kind is picked, as people often do: kept as the
    first message, and the kind asked again."""
    got = await _read_post(update, context)
    if got is not None:
        photo, text = got
        await _ask_kind(update, context, context.user.flow_data.get("b"), {"t": text, "p": photo})


@KIND_CHOSEN.handles
async def kind_chosen(update: Update, context: JinroContext, booking_id: int, index: int) -> None:
    async with context.db.read() as conn:
        await store.booking_for(conn, booking_id, context.user)  # NotFound: not theirs
    await answer_query(update)
    kind = store.KINDS[index]
    data = context.user.flow_data
    if (
        context.user.flow == "case.kind"
        and data.get("b") == booking_id
        and data.get("t", data.get("p"))
    ):
        # The first message came before the kind: straight to the confirmation.
        await _ask_confirm(
            update, context, {"b": booking_id, "k": kind, "t": data.get("t"), "p": data.get("p")}
        )
        return
    await set_flow(context, "case.text", {"b": booking_id, "k": kind})
    shown = await reply(
        update,
        context,
        "cases/ask_text",
        keyboard([[DROP(label(context.lang, "✕ Stop"))]]),
        edit=True,
        kind=kind,
        limit=store.TEXT_MAX,
    )
    await asked(context, shown)  # the message typed leaves its "✕ Stop" to the summary


def _photo_and_text(message: Message) -> tuple[str | None, str | None] | None:
    """(photo file_id, text) of a text or photo message; None for anything else."""
    if message.photo:
        return message.photo[-1].file_id, message.caption
    if message.text:
        return None, message.text
    return None


async def _read_post(update: Update, context: JinroContext, *, photos: bool = True):
    """The (photo, text) the user sent for a step, or None after telling them what fits."""
    found = _photo_and_text(update.message)
    if found is None or (found[0] is not None and not photos):
        await reply(update, context, "cases/text_or_photo", photos=photos)
        return None
    photo, text = found
    text = (text or "").strip() or None
    if text is None and photo is None:
        await reply(update, context, "cases/text_or_photo", photos=photos)
        return None
    if text is not None and len(text) > store.TEXT_MAX:
        await ask_to_shorten(update, context, len(text), store.TEXT_MAX)
        return None
    return photo, text


async def first_message(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data
    got = await _read_post(update, context)
    if got is None:
        return
    photo, text = got
    await _ask_confirm(
        update, context, {"b": data.get("b"), "k": data.get("k"), "t": text, "p": photo}
    )


async def _ask_confirm(update: Update, context: JinroContext, values: dict) -> None:
    """The case as it will be sent (booking b, kind k, text t, photo p), to confirm."""
    earlier = prompt_of(context.user.flow_data)  # the question the message answered
    await set_flow(context, "case.confirm", values)
    lang = context.lang
    text, photo = values["t"], values["p"]
    kind_index = store.KINDS.index(values["k"]) if values["k"] in store.KINDS else 0
    rows = [
        [SEND(label(lang, "✅ Send"))],
        [KIND_CHOSEN(label(lang, "✏️ Write again"), values["b"], kind_index)],
        [DROP(label(lang, "✕ Stop"))],
    ]
    shown = await reply(
        update,
        context,
        "cases/confirm",
        keyboard(rows),
        edit=True,
        kind=values["k"],
        text=text,
        photo=photo,
    )
    await asked(context, shown, earlier)


@SEND.handles
async def send_case(update: Update, context: JinroContext) -> None:
    user = context.user
    if user.flow != "case.confirm":
        await stale_button(update, context)
        return
    data = user.flow_data
    try:
        async with context.db.write() as conn:
            opened = await store.open_case(
                conn,
                int(data.get("b") or 0),
                user,
                data.get("k"),
                data.get("t"),
                data.get("p"),
                now=context.now,
                mediator_wait=context.settings.case_mediator,
            )
            context.user = await users_store.set_flow(conn, user.id, None)
    except (NotFound, store.Refused):
        await set_flow(context, None)
        await stale_button(update, context)
        return
    await answer_query(update)
    async with context.db.read() as conn:
        found = await store.get(conn, opened.case_id)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/opened",
        _open_case_keyboard(context.lang, opened.case_id),
        edit=True,
        case=found,
        mediator=shared_name(found.monitor_name, "monitor") if found.monitor_name else None,
    )


@DROP.handles
async def drop_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await reply(update, context, "common/cancelled", edit=True)
