"""Cases (중재) in the chat: opening one about a booking, the thread relayed between its
student, teacher and site and the parent monitor who mediates, proposals and their answers,
escalation to staff, closing; /cases lists a person's open cases. Also what the outbox says
about cases (REMINDERS) and the clock's step that keeps the service levels (clock_tick).

Nobody sees another person's Telegram account: every message is composed anew by the bot
with its sender's role and first name ("[학생] 민지"), never forwarded or copied, and no
button carries another person's user id (the mediator picks a party by its place in the
case's list and a check number, storage.cases.party_tag).

Flows (users.flow; data in users.flow_data):
    case.pick                   choosing the booking (buttons)
    case.kind {"b"}             choosing the kind (buttons)
    case.text {"b", "k"}        the first message: a text, or a photo with a caption
    case.confirm {"b", "k", "t", "p"}   the summary, to send or drop (buttons)
    case.reply {"c"}            a message to everyone in case c (a text or a photo)
    case.private {"c", "u"}     the mediator's private message to party u
    case.proposal {"c"}         the mediator's proposed resolution (a text)
    case.note {"c", "o"}        the closing note for outcome o (optional)
A message answering a relayed one with Telegram's reply (it carries cs:re:C) goes to case C
when the person is in no other flow.
Callback data: cs:l:P list page · cs:v:C:P case C, P pages of its thread back (0: the
latest) · cs:o:C case C as a new message (under relayed ones) · cs:re:C write to everyone ·
cs:n / cs:nb:P bookings to open a case about · cs:ns:S a session's bookings (a site's
roster) · cs:new:B booking B · cs:k:B:K kind K · cs:go send · cs:x drop · cs:pp:C whom
privately? · cs:pv:C:N:TAG the N-th party · cs:pr:C propose · cs:ok:C:M / cs:no:C:M accept
or reject proposal M · cs:up:C / cs:upy:C escalate? / ! · cs:cl:C outcome? · cs:co:C:O
outcome O, note? · cs:cz:C:O close without a note · cs:as:C:A monitors to assign (A 0: the
district's free ones, 1: all) · cs:am:C:A:N:TAG assign the N-th of that list · cs:tk:C a
monitor takes a case nobody mediates · cs:pa:1|0 a monitor pauses or resumes. Every id is
checked against the presser: a case they may not read gets the same answer as a missing
one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from telegram import Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import JinroContext
from handlers import fallback
from handlers import reminders as outbox
from handlers.common import (
    answer_query,
    callback_parts,
    file_step,
    int_part,
    keyboard,
    leave_flow,
    page_count,
    paging_row,
    reply,
    requires,
    route_button,
    send,
    set_flow,
    speaks_formally,
    stale_button,
    text_step,
)
from messages import label, render
from messages.labels import N_
from storage import cases as store
from storage import monitors as monitors_store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role
from storage.names import display_name

log = logging.getLogger(__name__)

PAGE = 5  # cases, and bookings to pick, a page
THREAD_PAGE = 10  # lines of a case's record a page
MONITOR_CHOICES = 30  # monitors listed for staff to assign
PEOPLE = (Role.STUDENT, Role.TEACHER, Role.SITE, Role.MONITOR, Role.STAFF)
OPENERS = (Role.STUDENT, Role.TEACHER, Role.SITE)
MEDIATORS = ("mediator", "staff")  # how the case's monitor and staff see a case
KIND_BUTTONS = {
    "schedule": N_("🗓 Schedule change"),
    "safety": N_("🚨 Safety concern"),
    "complaint": N_("😟 Complaint"),
    "no_show": N_("🙋 No-show dispute"),
    "other": N_("💬 Something else"),
}
OUTCOME_BUTTONS = {
    "resolved": N_("✅ Resolved"),
    "unresolved": N_("⚪ Not resolved"),
    "withdrawn": N_("↩️ Withdrawn"),
}
# An alert's words to adults (합니다체) and to students (해요체).
REFUSALS = {
    "closed": (N_("This case is closed."), N_("This case has ended.")),
    "read_only": (
        N_("You can read this case, but only its parties can write in it."),
        N_("You can read this case, but only its parties can write in it."),
    ),
    "replaced": (
        N_("This proposal was replaced by a newer one."),
        N_("A newer proposal has replaced this one."),
    ),
    "not_party": (N_("This person is not in the case."), N_("This person is not in the case.")),
    "answered": (
        N_("You have already answered this proposal."),
        N_("You already answered this proposal."),
    ),
}
FLOWS_WITH_PHOTOS = ("case.text", "case.reply", "case.private")


# ----- small helpers --------------------------------------------------------------------------


def _open_case_keyboard(lang: str, case_id: int):
    """The one button under what is said after an action: the case, opened anew."""
    return keyboard([[(label(lang, "📂 Open case"), f"cs:o:{case_id}")]])


async def _leave_flow(context: JinroContext) -> None:
    await leave_flow(context, "case.")


def _short_when(context: JinroContext, moment) -> str:
    return moment.astimezone(context.tz).strftime("%m/%d") if moment else "—"


async def _alert(update: Update, context: JinroContext, msgid) -> None:
    """An alert on the pressed button; a REFUSALS pair speaks in the user's register."""
    if isinstance(msgid, tuple):
        msgid = msgid[0] if speaks_formally(context.user) else msgid[1]
    await answer_query(update, label(context.lang, msgid), alert=True)


@dataclass(frozen=True)
class Line:
    """One line of a case's record as the templates show it: a message (text, photo, kind)
    or an event (its code, what it was about, a note), with the sender's role and first
    name, and for a private message its recipient's."""

    id: int
    at: datetime
    kind: str
    role: str | None
    name: str | None
    text: str | None
    photo: str | None
    deleted: bool
    event: str | None = None
    about: str | None = None
    note: str | None = None
    to_role: str | None = None
    to_name: str | None = None


def line_view(row, names: dict | None = None) -> Line:
    event = about = note = None
    text = row.text
    if row.kind == "event":
        code, _, note = (row.text or "").partition("\n")
        event, _, about = code.partition(":")
        text = None
    to_role, to_name = (names or {}).get(row.to_user_id, (None, None))
    return Line(
        id=row.id,
        at=row.at,
        kind=row.kind,
        role=row.sender_role,
        name=row.sender_name,
        text=text,
        photo=row.photo,
        deleted=row.kind in store.POSTS and row.text is None and row.photo is None,
        event=event,
        about=about or None,
        note=note or None,
        to_role=to_role,
        to_name=to_name,
    )


@dataclass(frozen=True)
class Person:
    role: str
    name: str
    answer: str | None


def _case_buttons(lang: str, case_id: int) -> list:
    return [
        (label(lang, "↩️ Reply in case"), f"cs:re:{case_id}"),
        (label(lang, "📂 Open case"), f"cs:o:{case_id}"),
    ]


# ----- /cases ---------------------------------------------------------------------------------


@requires(*PEOPLE)
async def cases_command(update: Update, context: JinroContext) -> None:
    await _leave_flow(context)
    await show_list(update, context, 0)


async def show_list(update: Update, context: JinroContext, page: int, *, edit: bool = False):
    user, lang = context.user, context.lang
    async with context.db.read() as conn:
        found, total = await store.list_for(conn, user, offset=page * PAGE, limit=PAGE)
        profile = await monitors_store.get(conn, user.id) if user.role == Role.MONITOR else None
    pages = page_count(total, PAGE)
    if total and page >= pages:  # an old page button after cases closed
        await show_list(update, context, pages - 1, edit=edit)
        return
    rows = [
        [(f"#{c.id} · {_short_when(context, c.starts_at)} {c.title or ''}"[:60], f"cs:v:{c.id}:0")]
        for c in found
    ]
    rows.append(paging_row(lang, "cs:l", page, pages))
    if user.role in OPENERS:
        rows.append([(label(lang, "➕ New case / ask for help"), "cs:n")])
    if profile is not None:
        rows.append(
            [(label(lang, "▶ Resume taking cases"), "cs:pa:0")]
            if profile.paused
            else [(label(lang, "⏸ Pause taking cases"), "cs:pa:1")]
        )
    await reply(
        update,
        context,
        "cases/list",
        keyboard(rows),
        edit=edit,
        cases=found,
        total=total,
        page=page + 1,
        pages=pages,
        first=page * PAGE + 1,
        role=user.role,
        paused=profile.paused if profile is not None else None,
        tz=context.tz,
    )


async def list_page(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_list(update, context, page, edit=True)


async def pause_pressed(update: Update, context: JinroContext, on: int) -> None:
    if context.user.role != Role.MONITOR or on not in (0, 1):
        await stale_button(update, context)
        return
    async with context.db.write() as conn:
        changed = await monitors_store.set_paused(conn, context.user.id, bool(on), now=context.now)
    if not changed:
        await stale_button(update, context)
        return
    text = N_("Paused: no new cases come to you.") if on else N_("Resumed: new cases come to you.")
    await answer_query(update, label(context.lang, text))
    await show_list(update, context, 0, edit=True)


# ----- one case -------------------------------------------------------------------------------


async def view_case(update: Update, context: JinroContext, case_id: int, page: int) -> None:
    if not await show_case(update, context, case_id, page, edit=True):
        await stale_button(update, context)


async def open_case_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    """ "Open case" under a relayed message: the case comes as a new message, so what was
    relayed stays in the chat as it was."""
    if not await show_case(update, context, case_id, 0):
        await stale_button(update, context)


async def show_case(
    update: Update, context: JinroContext, case_id: int, page: int = 0, *, edit: bool = False
) -> bool:
    """The case with its latest lines (or `page` pages back); False when this user may not
    read it (nothing shown; the caller answers as for a missing case)."""
    user, lang = context.user, context.lang
    async with context.db.read() as conn:
        try:
            found, seen = await store.case_for(conn, case_id, user)
        except NotFound:
            return False
        lines, total = await store.thread(
            conn, case_id, user, seen, skip=page * THREAD_PAGE, limit=THREAD_PAGE
        )
        people = await store.party_list(conn, case_id)
        tally = await store.tally(conn, case_id)
    await answer_query(update)
    if context.user.flow in ("case.pick",):
        await _leave_flow(context)
    names = {p.user_id: (p.role, display_name(p.name)) for p in people}
    mine = next((p for p in people if p.user_id == user.id), None)
    rows = []
    if found.status != "closed":
        if seen == "party":
            rows.append([(label(lang, "↩️ Reply in case"), f"cs:re:{case_id}")])
            if found.proposal_id and mine is not None and mine.answer is None:
                rows.append(_answer_buttons(lang, case_id, found.proposal_id))
        elif seen in MEDIATORS:
            rows.append(
                [
                    (label(lang, "📣 To everyone"), f"cs:re:{case_id}"),
                    (label(lang, "🔒 To one person"), f"cs:pp:{case_id}"),
                ]
            )
            rows.append([(label(lang, "🤝 Propose a resolution"), f"cs:pr:{case_id}")])
            last = [(label(lang, "✅ Close"), f"cs:cl:{case_id}")]
            if seen == "mediator" and found.status == "open":
                last.insert(0, (label(lang, "⬆️ Hand to staff"), f"cs:up:{case_id}"))
            rows.append(last)
            if seen == "staff":
                rows.append([(label(lang, "👤 Assign a mediator"), f"cs:as:{case_id}:0")])
    shown_to = page * THREAD_PAGE + len(lines)
    paging = []
    if shown_to < total:
        paging.append((label(lang, "◀ Earlier"), f"cs:v:{case_id}:{page + 1}"))
    if page > 0:
        paging.append((label(lang, "Later ▶"), f"cs:v:{case_id}:{page - 1}"))
    rows.append(paging)
    rows.append([(label(lang, "◀ My cases"), "cs:l:0")])
    await reply(
        update,
        context,
        "cases/view",
        keyboard(rows),
        edit=edit,
        case=found,
        seen=seen,
        people=[Person(p.role, display_name(p.name), p.answer) for p in people],
        lines=[line_view(line, names) for line in lines],
        earlier=total - shown_to,
        tally=tally,
        mediator=display_name(found.monitor_name) if found.monitor_name else None,
        tz=context.tz,
    )
    return True


def _answer_buttons(lang: str, case_id: int, proposal_id: int) -> list:
    return [
        (label(lang, "✅ Accept"), f"cs:ok:{case_id}:{proposal_id}"),
        (label(lang, "❌ Reject"), f"cs:no:{case_id}:{proposal_id}"),
    ]


# ----- opening a case -------------------------------------------------------------------------


async def new_pressed(update: Update, context: JinroContext) -> None:
    await pick_booking(update, context, 0)


async def pick_booking(update: Update, context: JinroContext, page: int, session_id=None):
    user, lang = context.user, context.lang
    if user.role not in OPENERS:
        await stale_button(update, context)
        return
    async with context.db.read() as conn:
        picks = await store.pickable(conn, user, now=context.now, session_id=session_id)
    await answer_query(update)
    pages = page_count(len(picks), PAGE)
    page = min(page, pages - 1)
    shown = picks[page * PAGE : (page + 1) * PAGE]
    rows = [[(_pick_label(context, p), f"cs:new:{p.booking_id}")] for p in shown]
    if session_id is None:
        rows.append(paging_row(lang, "cs:nb", page, pages))
    rows.append([(label(lang, "✕ Stop"), "cs:x")])
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


async def session_bookings(update: Update, context: JinroContext, session_id: int) -> None:
    """A site's roster: "🆘 Ask for mediation" lists that session's bookings."""
    if context.user.role != Role.SITE:
        await stale_button(update, context)
        return
    await pick_booking(update, context, 0, session_id=session_id)


async def booking_chosen(update: Update, context: JinroContext, booking_id: int) -> None:
    user = context.user
    try:
        async with context.db.read() as conn:
            await store.booking_for(conn, booking_id, user)
    except NotFound:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _ask_kind(update, context, booking_id)


async def _ask_kind(
    update: Update, context: JinroContext, booking_id: int, draft: dict | None = None
) -> None:
    lang = context.lang
    rows = [
        [(label(lang, name), f"cs:k:{booking_id}:{index}")]
        for index, name in enumerate(KIND_BUTTONS.values())
    ]
    rows.append([(label(lang, "✕ Stop"), "cs:x")])
    await set_flow(context, "case.kind", {"b": booking_id, **(draft or {})})
    await reply(update, context, "cases/ask_kind", keyboard(rows), edit=True, kept=bool(draft))


async def kind_typed(update: Update, context: JinroContext) -> None:
    """Words (or a photo) sent before the kind is picked, as people often do: kept as the
    first message, and the kind asked again."""
    got = await _read_post(update, context)
    if got is not None:
        photo, text = got
        await _ask_kind(update, context, context.user.flow_data.get("b"), {"t": text, "p": photo})


async def kind_chosen(update: Update, context: JinroContext, booking_id: int, index: int) -> None:
    if index >= len(store.KINDS):
        await stale_button(update, context)
        return
    try:
        async with context.db.read() as conn:
            await store.booking_for(conn, booking_id, context.user)
    except NotFound:
        await stale_button(update, context)
        return
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
    await reply(
        update,
        context,
        "cases/ask_text",
        keyboard([[(label(context.lang, "✕ Stop"), "cs:x")]]),
        edit=True,
        kind=kind,
        limit=store.TEXT_MAX,
    )


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
        await reply(update, context, "cases/too_long", limit=store.TEXT_MAX, length=len(text))
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
    await set_flow(context, "case.confirm", values)
    lang = context.lang
    text, photo = values["t"], values["p"]
    kind_index = store.KINDS.index(values["k"]) if values["k"] in store.KINDS else 0
    rows = [
        [(label(lang, "✅ Send"), "cs:go")],
        [(label(lang, "✏️ Write again"), f"cs:k:{values['b']}:{kind_index}")],
        [(label(lang, "✕ Stop"), "cs:x")],
    ]
    await reply(
        update,
        context,
        "cases/confirm",
        keyboard(rows),
        edit=True,
        kind=values["k"],
        text=text,
        photo=photo,
    )


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
        mediator=display_name(found.monitor_name) if found.monitor_name else None,
    )


async def drop_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await reply(update, context, "common/cancelled", edit=True)


# ----- writing in a case ----------------------------------------------------------------------


async def _writable(
    update: Update, context: JinroContext, case_id: int, seen_as: tuple[str, ...] = ()
):
    """(case, how the user sees it) if they may write in it now, and see it as one of
    `seen_as` when given (e.g. the mediator); else the press is answered (not found, closed,
    read only, not theirs to do) and None returned."""
    async with context.db.read() as conn:
        try:
            found, seen = await store.case_for(conn, case_id, context.user)
        except NotFound:
            await stale_button(update, context)
            return None
    if found.status == "closed":
        await _alert(update, context, REFUSALS["closed"])
        return None
    if seen == "reader":
        await _alert(update, context, REFUSALS["read_only"])
        return None
    if seen_as and seen not in seen_as:
        await stale_button(update, context)
        return None
    return found, seen


async def reply_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _writable(update, context, case_id)
    if found is None:
        return
    await answer_query(update)
    await set_flow(context, "case.reply", {"c": case_id})
    await reply(
        update,
        context,
        "cases/ask_post",
        keyboard([[(label(context.lang, "✕ Stop"), "cs:x")]]),
        what="reply",
        case=found[0],
        tz=context.tz,
        seen=found[1],
        limit=store.TEXT_MAX,
    )


async def pick_party(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _writable(update, context, case_id, MEDIATORS)
    if found is None:
        return
    async with context.db.read() as conn:
        people = await store.party_list(conn, case_id)
    await answer_query(update)
    lang = context.lang
    rows = [
        [
            (
                f"[{label(lang, ROLE_NAMES[p.role])}] {display_name(p.name)}",
                f"cs:pv:{case_id}:{n}:{store.party_tag(case_id, p.user_id)}",
            )
        ]
        for n, p in enumerate(people)
    ]
    rows.append([(label(lang, "◀ Back to the case"), f"cs:v:{case_id}:0")])
    await reply(
        update,
        context,
        "cases/pick_party",
        keyboard(rows),
        edit=True,
        case=found[0],
        tz=context.tz,
    )


ROLE_NAMES = {
    "student": N_("student"),
    "teacher": N_("teacher"),
    "site": N_("experience site"),
    "monitor": N_("parent monitor"),
    "staff": N_("staff"),
}


async def party_chosen(update: Update, context: JinroContext, case_id: int, n: int, tag: int):
    found = await _writable(update, context, case_id)
    if found is None:
        return
    async with context.db.read() as conn:
        people = await store.party_list(conn, case_id)
    if (
        found[1] not in MEDIATORS
        or n >= len(people)
        or store.party_tag(case_id, people[n].user_id) != tag
    ):
        await stale_button(update, context)
        return
    await answer_query(update)
    party = people[n]
    await set_flow(context, "case.private", {"c": case_id, "u": party.user_id})
    await reply(
        update,
        context,
        "cases/ask_post",
        keyboard([[(label(context.lang, "✕ Stop"), "cs:x")]]),
        what="private",
        case=found[0],
        tz=context.tz,
        seen=found[1],
        role=party.role,
        name=display_name(party.name),
        limit=store.TEXT_MAX,
    )


async def propose_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _writable(update, context, case_id, MEDIATORS)
    if found is None:
        return
    await answer_query(update)
    await set_flow(context, "case.proposal", {"c": case_id})
    await reply(
        update,
        context,
        "cases/ask_post",
        keyboard([[(label(context.lang, "✕ Stop"), "cs:x")]]),
        what="proposal",
        case=found[0],
        tz=context.tz,
        seen=found[1],
        limit=store.TEXT_MAX,
    )


async def post_typed(update: Update, context: JinroContext) -> None:
    """A message for the case the flow names: to everyone, privately, or a proposal."""
    flow, data = context.user.flow, context.user.flow_data
    got = await _read_post(update, context, photos=flow != "case.proposal")
    if got is None:
        return
    case_id = data.get("c")
    if not isinstance(case_id, int):
        await set_flow(context, None)
        await reply(update, context, "common/cancelled")
        return
    kind = {"case.private": "private", "case.proposal": "proposal"}.get(flow, "message")
    await _post(update, context, case_id, got, kind=kind, to_user_id=data.get("u"))


async def _post(update, context, case_id: int, got, *, kind="message", to_user_id=None) -> None:
    photo, text = got
    try:
        async with context.db.write() as conn:
            await store.post(
                conn,
                case_id,
                context.user,
                text,
                photo,
                now=context.now,
                kind=kind,
                to_user_id=to_user_id,
                answer_wait=context.settings.case_answer,
            )
            if (context.user.flow or "").startswith("case."):
                context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await _leave_flow(context)
        await reply(update, context, "cases/gone")
        return
    except store.Refused as refused:
        await _leave_flow(context)
        await reply(update, context, "cases/refused", reason=refused.reason)
        return
    # The copies go out while the sender is answered, not one round trip after.
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/posted",
        _open_case_keyboard(context.lang, case_id),
        what=kind,
        case_id=case_id,
    )


def _replied_case(message: Message | None) -> int | None:
    """The case a message answers with Telegram's reply: the relayed message it answers
    carries the case's reply button (cs:re:C)."""
    target = message.reply_to_message if message is not None else None
    if target is None or target.reply_markup is None:
        return None
    if target.from_user is not None and not target.from_user.is_bot:
        return None
    for row in target.reply_markup.inline_keyboard:
        for button in row:
            parts = (button.callback_data or "").split(":")
            if parts[:2] == ["cs", "re"] and len(parts) == 3:
                return int_part(parts, 2)
    return None


class _AnswersACase(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return _replied_case(message) is not None


async def telegram_reply(update: Update, context: JinroContext) -> None:
    """Telegram's reply to a relayed message goes to its case, unless the person is in the
    middle of another flow: then it is that flow's answer, as any message would be."""
    user = context.user
    if user is None or user.role is None or (user.flow not in (None, "case.reply")):
        if update.message.text:
            await fallback.route_text(update, context)
        else:
            await fallback.not_text(update, context)
        return
    got = await _read_post(update, context)
    if got is None:
        return
    await _post(update, context, _replied_case(update.message), got)


# ----- proposals: the parties' answers ---------------------------------------------------------


async def answer_pressed(update: Update, context: JinroContext, case_id: int, proposal_id: int):
    accept = callback_parts(update)[1] == "ok"
    try:
        async with context.db.write() as conn:
            tally = await store.answer(
                conn, case_id, proposal_id, context.user, accept, now=context.now
            )
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused as refused:
        await _alert(update, context, REFUSALS.get(refused.reason, REFUSALS["closed"]))
        return
    except AlreadyHandled:
        await _alert(update, context, REFUSALS["answered"])
        return
    await answer_query(update)
    query = update.callback_query
    try:  # the proposal stays as it was written, without its answer buttons
        await query.edit_message_reply_markup(keyboard([_case_buttons(context.lang, case_id)]))
    except BadRequest as error:
        log.info("could not take the answer buttons away: %s", error)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/answered",
        _open_case_keyboard(context.lang, case_id),
        accepted=accept,
        tally=tally,
    )


# ----- the mediator: escalating, closing; staff: assigning ------------------------------------


async def escalate_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _writable(update, context, case_id, ("mediator",))
    if found is None:
        return
    await answer_query(update)
    lang = context.lang
    rows = [
        [(label(lang, "⬆️ Yes, hand it to staff"), f"cs:upy:{case_id}")],
        [(label(lang, "◀ Back to the case"), f"cs:v:{case_id}:0")],
    ]
    await reply(
        update,
        context,
        "cases/ask_escalate",
        keyboard(rows),
        edit=True,
        case=found[0],
        tz=context.tz,
    )


async def escalate_now(update: Update, context: JinroContext, case_id: int) -> None:
    try:
        async with context.db.write() as conn:
            await store.escalate(conn, case_id, context.user, now=context.now)
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused:
        await _alert(update, context, REFUSALS["closed"])
        return
    except AlreadyHandled:
        await _alert(update, context, N_("This case is already with staff."))
        return
    await answer_query(update)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/escalated",
        _open_case_keyboard(context.lang, case_id),
        edit=True,
        case_id=case_id,
    )


async def ask_outcome(update: Update, context: JinroContext, case_id: int) -> None:
    found = await _writable(update, context, case_id, MEDIATORS)
    if found is None:
        return
    await answer_query(update)
    lang = context.lang
    rows = [
        [(label(lang, name), f"cs:co:{case_id}:{index}")]
        for index, name in enumerate(OUTCOME_BUTTONS.values())
    ]
    rows.append([(label(lang, "◀ Back to the case"), f"cs:v:{case_id}:0")])
    await reply(
        update,
        context,
        "cases/ask_outcome",
        keyboard(rows),
        edit=True,
        case=found[0],
        tz=context.tz,
    )


async def outcome_chosen(update: Update, context: JinroContext, case_id: int, index: int) -> None:
    found = await _writable(update, context, case_id, MEDIATORS)
    if found is None:
        return
    if index >= len(store.OUTCOMES):
        await stale_button(update, context)
        return
    await answer_query(update)
    outcome = store.OUTCOMES[index]
    await set_flow(context, "case.note", {"c": case_id, "o": outcome})
    lang = context.lang
    rows = [
        [(label(lang, "✅ Close without a note"), f"cs:cz:{case_id}:{index}")],
        [(label(lang, "◀ Back to the case"), f"cs:v:{case_id}:0")],
    ]
    await reply(
        update,
        context,
        "cases/ask_note",
        keyboard(rows),
        edit=True,
        case=found[0],
        tz=context.tz,
        outcome=outcome,
        limit=store.NOTE_MAX,
    )


async def close_without_note(update: Update, context: JinroContext, case_id: int, index: int):
    if index >= len(store.OUTCOMES):
        await stale_button(update, context)
        return
    await _close(update, context, case_id, store.OUTCOMES[index], None)


async def note_typed(update: Update, context: JinroContext) -> None:
    data = context.user.flow_data
    text = " ".join((update.message.text or "").split()) if update.message.text else None
    if not text:
        await reply(update, context, "cases/text_or_photo", photos=False)
        return
    if len(text) > store.NOTE_MAX:
        await reply(update, context, "cases/too_long", limit=store.NOTE_MAX, length=len(text))
        return
    case_id, outcome = data.get("c"), data.get("o")
    if not isinstance(case_id, int) or outcome not in store.OUTCOMES:
        await set_flow(context, None)
        await reply(update, context, "common/cancelled")
        return
    await _close(update, context, case_id, outcome, text)


async def _close(update: Update, context: JinroContext, case_id: int, outcome: str, note):
    try:
        async with context.db.write() as conn:
            await store.close(conn, case_id, context.user, outcome, note, now=context.now)
            if (context.user.flow or "").startswith("case."):
                context.user = await users_store.set_flow(conn, context.user.id, None)
    except NotFound:
        await _leave_flow(context)
        if update.callback_query is not None:
            await stale_button(update, context)
        else:
            await reply(update, context, "cases/gone")
        return
    except store.Refused:
        await _leave_flow(context)
        if update.callback_query is not None:
            await _alert(update, context, REFUSALS["closed"])
        else:
            await reply(update, context, "cases/refused", reason="closed")
        return
    await answer_query(update)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/closed",
        _open_case_keyboard(context.lang, case_id),
        edit=True,
        case_id=case_id,
        outcome=outcome,
    )


async def _monitor_choices(conn, case, every: int) -> tuple[int, list]:
    """(every, the monitors staff choose from): the district's free ones, or all (also when
    the district has none)."""
    choices = await store.monitor_choices(conn, None if every else case.district)
    if not choices and not every:
        return 1, await store.monitor_choices(conn, None)
    return every, choices[:MONITOR_CHOICES]


async def pick_monitor(update: Update, context: JinroContext, case_id: int, every: int) -> None:
    if context.user.role != Role.STAFF or every not in (0, 1):
        await stale_button(update, context)
        return
    found = await _writable(update, context, case_id)
    if found is None:
        return
    case = found[0]
    async with context.db.read() as conn:
        every, choices = await _monitor_choices(conn, case, every)
    await answer_query(update)
    lang = context.lang
    rows = []
    for n, monitor in enumerate(choices):
        mark = "⏸ " if getattr(monitor, "paused", False) else ""
        current = "✔ " if monitor.id == case.monitor_id else ""
        text = f"{current}{mark}{monitor.name} ({monitor.district})"[:60]
        # The monitor's place in this list and a check number, not their user id.
        tag = store.party_tag(case_id, monitor.id)
        rows.append([(text, f"cs:am:{case_id}:{every}:{n}:{tag}")])
    if not every:
        rows.append([(label(lang, "All parent monitors"), f"cs:as:{case_id}:1")])
    rows.append([(label(lang, "◀ Back to the case"), f"cs:v:{case_id}:0")])
    await reply(
        update,
        context,
        "cases/pick_monitor",
        keyboard(rows),
        edit=True,
        case=case,
        tz=context.tz,
        every=bool(every),
        count=len(choices),
    )


async def monitor_chosen(
    update: Update, context: JinroContext, case_id: int, every: int, n: int, tag: int
):
    if context.user.role != Role.STAFF or every not in (0, 1):
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            case = await store.get(conn, case_id)
            if case is None:
                raise NotFound
            _, choices = await _monitor_choices(conn, case, every)
            if n >= len(choices) or store.party_tag(case_id, choices[n].id) != tag:
                raise NotFound  # the list changed since it was shown
            await store.assign(
                conn,
                case_id,
                context.user,
                choices[n].id,
                now=context.now,
                mediator_wait=context.settings.case_mediator,
            )
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused:
        await _alert(update, context, REFUSALS["closed"])
        return
    except AlreadyHandled:
        await _alert(update, context, N_("This monitor already mediates the case."))
        return
    await answer_query(update)
    async with context.db.read() as conn:
        found = await store.get(conn, case_id)
    outbox.kick(context)
    await reply(
        update,
        context,
        "cases/assigned",
        _open_case_keyboard(context.lang, case_id),
        edit=True,
        case=found,
        name=found.monitor_name,
    )


async def take_pressed(update: Update, context: JinroContext, case_id: int) -> None:
    if context.user.role != Role.MONITOR:
        await stale_button(update, context)
        return
    try:
        async with context.db.write() as conn:
            await store.take(
                conn,
                case_id,
                context.user,
                now=context.now,
                mediator_wait=context.settings.case_mediator,
            )
    except NotFound:
        await stale_button(update, context)
        return
    except store.Refused:
        await _alert(update, context, REFUSALS["closed"])
        return
    except AlreadyHandled:
        await _alert(update, context, N_("Another monitor has already taken this case."))
        return
    outbox.kick(context)
    await show_case(update, context, case_id, 0, edit=True)


# ----- typed text where a button is expected, and files ---------------------------------------


async def button_expected(update: Update, context: JinroContext) -> None:
    await reply(update, context, "common/press_button")


async def file_sent(update: Update, context: JinroContext) -> None:
    """A photo (or a sticker, a file) in a case flow: the steps that take photos read it;
    the others want a button or words."""
    flow = context.user.flow
    if flow == "case.text":
        await first_message(update, context)
    elif flow in ("case.reply", "case.private"):
        await post_typed(update, context)
    elif flow == "case.kind" and update.message.photo:
        await kind_typed(update, context)
    elif flow in ("case.proposal", "case.note"):
        await reply(update, context, "cases/text_or_photo", photos=False)
    else:
        await button_expected(update, context)


# What typed text and photos do in each flow of this area (handlers/fallback.py routes them).
text_step("case.text")(first_message)
text_step("case.reply", "case.private", "case.proposal")(post_typed)
text_step("case.note")(note_typed)
text_step("case.kind")(kind_typed)
text_step("case.pick", "case.confirm")(button_expected)
file_step(
    *FLOWS_WITH_PHOTOS, "case.proposal", "case.note", "case.pick", "case.kind", "case.confirm"
)(file_sent)


# ----- routing --------------------------------------------------------------------------------

# action -> (handler, how many integer parts follow it)
BUTTONS = {
    "l": (list_page, 1),
    "v": (view_case, 2),
    "o": (open_case_pressed, 1),
    "re": (reply_pressed, 1),
    "n": (new_pressed, 0),
    "nb": (pick_booking, 1),
    "ns": (session_bookings, 1),
    "new": (booking_chosen, 1),
    "k": (kind_chosen, 2),
    "go": (send_case, 0),
    "x": (drop_pressed, 0),
    "pp": (pick_party, 1),
    "pv": (party_chosen, 3),
    "pr": (propose_pressed, 1),
    "ok": (answer_pressed, 2),
    "no": (answer_pressed, 2),
    "up": (escalate_pressed, 1),
    "upy": (escalate_now, 1),
    "cl": (ask_outcome, 1),
    "co": (outcome_chosen, 2),
    "cz": (close_without_note, 2),
    "as": (pick_monitor, 2),
    "am": (monitor_chosen, 4),
    "tk": (take_pressed, 1),
    "pa": (pause_pressed, 1),
}


@requires(*PEOPLE)
async def on_button(update: Update, context: JinroContext) -> None:
    await route_button(update, context, BUTTONS)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("cases", cases_command),
        CallbackQueryHandler(on_button, pattern=r"^cs:"),
        MessageHandler(
            _AnswersACase() & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO),
            telegram_reply,
        ),
    ]


# ----- what the outbox says (handlers/reminders.py composes each row by its kind) -------------
# Each is composed when sent, from the case as it is then, and only for someone who may
# still see it: a monitor replaced meanwhile, or a proposal replaced, hears nothing.


async def _about(conn, row, user):
    """(case, how the user sees it, the line the notice is about), or None."""
    found = await store.get(conn, row.case_id) if row.case_id else None
    if found is None:
        return None
    line = await store.message(conn, int(row.detail)) if (row.detail or "").isdigit() else None
    if line is None or line.case_id != found.id:
        return None
    seen = await store.access(conn, found, user)
    return found, seen, line


def _copy(row, user, values: dict, rows: list, *, photo: str | None = None, urgent=False):
    """The notice as the bot composes it: the text (split when long), or the photo with the
    text as its caption (the text after it when too long for a caption)."""
    lang = user.lang
    values.setdefault("formal", speaks_formally(user))
    text = render("cases/news", lang, news=row.kind, short=False, **values)
    short = render("cases/news", lang, news=row.kind, short=True, **values)
    markup = keyboard(rows)

    async def deliver(context: JinroContext, chat_id: int):
        if photo is None:
            return await send(context, chat_id, text, markup, paced=True)
        paced = {"rate_limit_args": {"paced": True}}
        if len(text) <= MessageLimit.CAPTION_LENGTH:
            return await context.bot.send_photo(
                chat_id, photo, caption=text, reply_markup=markup, **paced
            )
        await context.bot.send_photo(chat_id, photo, caption=short[:1024], **paced)
        return await send(context, chat_id, text, markup)

    return outbox.Copy(deliver, urgent=urgent)


async def _relay(conn, context, row, user):
    """A message written in the case (case_message, case_opened): to a party, the mediator
    or staff following the case, while they may still see it."""
    about = await _about(conn, row, user)
    if about is None or about[1] is None:
        return None
    found, seen, line = about
    if line.kind == "private" and line.to_user_id != user.id and seen not in MEDIATORS:
        return None
    rows = [_case_buttons(user.lang, found.id)] if seen != "reader" else []
    if found.status == "closed" or seen == "reader":
        rows = [[(label(user.lang, "📂 Open case"), f"cs:o:{found.id}")]]
    values = {"case": found, "line": line_view(line), "seen": seen, "tz": context.tz}
    return _copy(row, user, values, rows, photo=line.photo, urgent=found.kind == "safety")


async def _proposal(conn, context, row, user):
    """A proposal to a party, while it is still the case's current one."""
    about = await _about(conn, row, user)
    if about is None or about[1] != "party":
        return None
    found, seen, line = about
    if found.status == "closed" or found.proposal_id != line.id:
        return None
    rows = [_answer_buttons(user.lang, found.id, line.id), _case_buttons(user.lang, found.id)]
    values = {"case": found, "line": line_view(line), "seen": seen, "tz": context.tz}
    return _copy(row, user, values, rows, urgent=found.kind == "safety")


async def _answer(conn, context, row, user):
    """A party's answer to the proposer (and monitor), with the tally; everyone accepted:
    closing as resolved is one press away."""
    about = await _about(conn, row, user)
    if about is None or about[1] not in MEDIATORS:
        return None
    found, seen, line = about
    tally = await store.tally(conn, found.id)
    rows = [_case_buttons(user.lang, found.id)]
    if tally.everyone and found.status != "closed":
        resolved = store.OUTCOMES.index("resolved")
        rows.insert(0, [(label(user.lang, "✅ Close as resolved"), f"cs:co:{found.id}:{resolved}")])
    values = {
        "case": found,
        "line": line_view(line),
        "seen": seen,
        "tally": tally,
        "tz": context.tz,
    }
    return _copy(row, user, values, rows)


async def _for_mediator(conn, context, row, user):
    """News for the case's mediator or staff (assigned, escalated, no mediator yet)."""
    about = await _about(conn, row, user)
    if about is None or about[1] not in MEDIATORS:
        return None
    found, seen, line = about
    if row.kind == "case_assigned" and found.monitor_id != user.id:
        return None  # assigned to someone else since
    if row.kind == "case_unassigned" and (found.monitor_id is not None or found.status == "closed"):
        return None
    if row.kind == "case_escalated" and found.status == "closed":
        return None
    rows = [[(label(user.lang, "📂 Open case"), f"cs:o:{found.id}")]]
    if row.kind == "case_unassigned" or (row.kind == "case_escalated" and seen == "staff"):
        rows.append([(label(user.lang, "👤 Assign a mediator"), f"cs:as:{found.id}:0")])
    values = {"case": found, "line": line_view(line), "seen": seen, "tz": context.tz}
    return _copy(row, user, values, rows)


async def _new_mediator(conn, context, row, user):
    """To the parties: who mediates the case from now (while they still do)."""
    about = await _about(conn, row, user)
    if about is None or about[1] != "party":
        return None
    found, seen, line = about
    if found.status == "closed" or found.monitor_id != line.sender_id:
        return None
    rows = [_case_buttons(user.lang, found.id)]
    values = {"case": found, "line": line_view(line), "seen": seen, "tz": context.tz}
    return _copy(row, user, values, rows, urgent=found.kind == "safety")


async def _closed(conn, context, row, user):
    about = await _about(conn, row, user)
    if about is None or about[1] is None:
        return None
    found, seen, line = about
    rows = [[(label(user.lang, "📂 Open case"), f"cs:o:{found.id}")]]
    values = {"case": found, "line": line_view(line), "seen": seen, "tz": context.tz}
    return _copy(row, user, values, rows, urgent=found.kind == "safety")


async def _sla_mediator(conn, context, row, user):
    """A case waits for its mediator's first word: to its monitor; with none, to the
    district's monitors, who may take it."""
    found = await store.get(conn, row.case_id) if row.case_id else None
    if found is None or found.status != "open" or found.mediator_at is not None:
        return None
    line = await store.message(conn, int(row.detail)) if (row.detail or "").isdigit() else None
    if line is None:
        return None
    values = {"case": found, "line": line_view(line), "tz": context.tz}
    hours = context.settings.case_mediator_hours
    if found.monitor_id == user.id:
        rows = [_case_buttons(user.lang, found.id)]
        return _copy(row, user, {**values, "seen": "mediator", "hours": hours}, rows)
    if found.monitor_id is not None or user.role != Role.MONITOR:
        return None  # taken meanwhile
    profile = await monitors_store.get(conn, user.id)
    if profile is None or profile.district != found.district:
        return None
    rows = [[(label(user.lang, "🙋 Take this case"), f"cs:tk:{found.id}")]]
    return _copy(row, user, {**values, "seen": None, "hours": hours}, rows)


async def _sla_answer(conn, context, row, user):
    """A mediator's message waits for an answer: to the parties it waits for, and the
    mediator."""
    about = await _about(conn, row, user)
    if about is None or about[1] is None:
        return None
    found, seen, line = about
    if found.status != "open" or found.due_what != "answer":
        return None  # answered, escalated or closed meanwhile
    rows = [_case_buttons(user.lang, found.id)]
    values = {
        "case": found,
        "line": line_view(line),
        "seen": seen,
        "hours": context.settings.case_answer_hours,
        "tz": context.tz,
    }
    return _copy(row, user, values, rows, urgent=found.kind == "safety")


REMINDERS = {
    "case_opened": _relay,
    "case_message": _relay,
    "case_proposal": _proposal,
    "case_answer": _answer,
    "case_assigned": _for_mediator,
    "case_mediator": _new_mediator,
    "case_escalated": _for_mediator,
    "case_unassigned": _for_mediator,
    "case_closed": _closed,
    "case_sla_mediator": _sla_mediator,
    "case_sla_answer": _sla_answer,
}


# ----- the clock ------------------------------------------------------------------------------


async def clock_tick(application) -> None:
    """Every minute: cases whose service level fell due are reminded, or escalated to staff
    (storage.cases.check_service_levels; safe with several bot processes)."""
    context = JinroContext(application)
    settings = context.settings
    try:
        async with context.db.write() as conn:
            acted = await store.check_service_levels(
                conn,
                now=context.now,
                mediator_wait=settings.case_mediator,
                answer_wait=settings.case_answer,
            )
        if acted:
            outbox.kick(context)
    except Exception:  # the next tick tries again; never let the clock die
        log.exception("case clock tick failed")
