"""The teacher's side of students' requests: /pending, confirm, reject with a reason.

Buttons: handlers/pending/buttons.py. ✅ and ❌ sit on the notice a teacher gets when a
student applies and on each /pending page; "confirm all" acts only on the page as it was
shown.

Every teacher who covers the student is asked; the first to act decides (storage swaps the
status only from "requested"), and the others are told it was handled, never by whom. A
booking the teacher may not decide on gets the same answer as a missing one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import JinroContext
from handlers import outbox
from handlers.common import (
    answer_query,
    audit_read,
    fetch_page,
    keyboard,
    leave_flow,
    reply,
    reply_page,
    requires,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.handled import pressed_message_id, settle_message
from handlers.common.questions import hold
from handlers.common.shorten import ask_to_shorten
from handlers.common.told import student_hears_at
from handlers.pending.buttons import CONFIRM, CONFIRM_ALL, KEEP, LIST, REJECT, REJECT_NOW
from handlers.pending.kept import clashes_of, decide_keyboard, restore_request
from handlers.pending.news import OUTGOING as OUTGOING  # the outbox kinds this area sends
from messages import label
from storage import bookings as store
from storage import commitments
from storage import pending as pending_store
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role

PAGE = 8
REASON_LIMIT = 200


# ----- the list -------------------------------------------------------------------------------


@requires(Role.TEACHER)
async def pending_command(update: Update, context: JinroContext) -> None:
    # Text typed after /pending must not land in a step the teacher left behind (a reason
    # for an earlier ❌, or seat names); a reason no longer asked gives its request back.
    await _restore_asked(context)
    await leave_flow(context, "tp.", "cb.")
    await _opened(context, fresh=True)
    await show_page(update, context, 0)


# The key of the teacher's flow data that keeps when the list was opened: its numbers hold
# from then on (decided requests stay in their place, saying so) until /pending again.
OPENED = "pl"


async def _page(conn, context: JinroContext, page: int, since: datetime):
    """Page `page` of the teacher's requests as the list opened at `since` shows them."""
    return await fetch_page(
        pending_store.pending_for_teacher, conn, context.user, index=page, size=PAGE, since=since
    )


async def _opened(context: JinroContext, *, fresh: bool = False) -> datetime:
    """When the list the teacher works down was opened (now, if it was not, or `fresh`)."""
    data = dict(context.user.flow_data or {})
    try:
        opened = None if fresh else datetime.fromisoformat(data.get(OPENED) or "")
    except ValueError:
        opened = None
    if opened is None:
        opened = context.now
        await set_flow(context, context.user.flow, {**data, OPENED: opened.isoformat()})
    return opened


@LIST.handles
async def page_pressed(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await show_page(update, context, page, edit=True)


async def show_page(
    update: Update,
    context: JinroContext,
    page: int,
    *,
    edit: bool = False,
    note: str | None = None,
    count: int = 0,
) -> None:
    """One page of requests; `note` says what just happened (a decision, a handled one, and
    for a decision when the students hear of it)."""
    since = await _opened(context)
    async with context.db.read() as conn:
        shown = await _page(conn, context, page, since)
        _, waiting = await pending_store.pending_for_teacher(conn, context.user, limit=0)
        # Each student's other commitments at an overlapping time, for the whole page at once:
        # the teacher decides knowing of them (a warning, nothing is refused).
        clashes = await commitments.of_requests(conn, shown.items)
    if not shown.items and page > 0:  # the last request of a page was just decided
        await show_page(update, context, page - 1, edit=edit, note=note, count=count)
        return
    # What is read: the students' names and grades, and the titles and times of their other
    # commitments that clash.
    await audit_read(
        context,
        "pending",
        context.user.school_id,
        page=shown.index,
        rows=len(shown.items),
        clashes=len(clashes),
    )
    lang = context.lang
    # A request decided since the list was opened keeps its number, without buttons.
    rows = [
        [
            CONFIRM(_confirm_label(number, r.name, r.id in clashes), r.id, page),
            REJECT(f"❌ {number}.", r.id, page),
        ]
        for number, r in shown.numbered()
        if r.status == "requested"
    ]
    open_here = [r for r in shown.items if r.status == "requested"]
    if len(open_here) > 1:
        rows.append(
            [
                CONFIRM_ALL(
                    label(lang, "✅ Confirm all %(count)s on this page", count=len(open_here)),
                    page,
                    _digest(shown.items),
                )
            ]
        )
    shown_page = await reply_page(
        update,
        context,
        "pending/list",
        shown,
        shown.markup(lang, rows, LIST),
        edit=edit,
        requests=shown.items,
        waiting=waiting,
        clashes=clashes,
        note=note,
        count=count,
        when=student_hears_at(context.now, context.tz) if note == "confirmed" else None,
        tz=context.tz,
    )
    if waiting:  # its ✅ and ❌ answer it: typed words are not a search meanwhile
        await hold(context, shown_page, "tp.list")


def _confirm_label(number: int, name: str, clash: bool) -> str:
    """✅ and the request's number and student; ⚠️ when the student has a clash then."""
    text = f"✅ {number}. {name}"[:36]
    return f"{text} ⚠️" if clash else text


def _digest(requests) -> str:
    """Names exactly the requests a page showed, and which of them still waited: "confirm
    all" acts only on what was seen."""
    ids = ",".join(f"{r.id}{'' if r.status == 'requested' else 'x'}" for r in requests)
    return hashlib.sha256(ids.encode()).hexdigest()[:10]


# ----- deciding -------------------------------------------------------------------------------


async def _request(context: JinroContext, booking_id: int):
    """The request if this teacher may decide on it (in any status); None otherwise."""
    async with context.db.read() as conn:
        try:
            return await pending_store.request_for_teacher(conn, booking_id, context.user)
        except NotFound:
            return None


async def _pressed(update: Update, context: JinroContext, booking_id: int):
    """The request a ✅ or ❌ names, the press answered; None when this teacher may not
    decide on it (answered like a missing one)."""
    request = await _request(context, booking_id)
    if request is None:
        await stale_button(update, context)
    else:
        await answer_query(update)
    return request


@CONFIRM.handles
async def confirm_pressed(
    update: Update, context: JinroContext, booking_id: int, page: int | None
) -> None:
    """✅ on a notice (`page` None: the notice says what was done) or on a /pending page."""
    request = await _pressed(update, context, booking_id)
    if request is None:
        return
    try:
        async with context.db.write() as conn:
            await store.confirm(conn, booking_id, context.user, now=context.now)
    except (AlreadyHandled, NotFound):
        await _handled(update, context, booking_id, page)
        return
    if page is None:
        await reply(
            update,
            context,
            "pending/decided",
            edit=True,
            request=request,
            decision="confirmed",
            reason="",
            when=student_hears_at(context.now, context.tz),
            tz=context.tz,
        )
    else:
        await show_page(update, context, page, edit=True, note="confirmed", count=1)
    outbox.kick(context)  # the student's notice


async def _handled(update: Update, context: JinroContext, booking_id: int, page: int | None):
    """Someone got there first: the notice says so, or the page is shown afresh."""
    request = await _request(context, booking_id)
    if (
        request is None
        or request.decided_by is None
        or request.status
        not in (
            "confirmed",
            "rejected",
        )
    ):
        who = "gone"  # cancelled by the student, expired, or no longer theirs to decide
    else:
        who = "mine" if request.decided_by == context.user.id else "other"
    if page is None:
        await reply(update, context, "pending/handled", edit=True, who=who)
    else:
        await show_page(update, context, page, edit=True, note=who)


@CONFIRM_ALL.handles
async def confirm_all(update: Update, context: JinroContext, page: int, digest: str) -> None:
    since = await _opened(context)
    async with context.db.read() as conn:
        shown = await _page(conn, context, page, since)
    requests = shown.items  # the page as the teacher saw it, if nothing changed since
    if not requests or _digest(requests) != digest:
        await answer_query(
            update, label(context.lang, "The list changed meanwhile; please check it again.")
        )
        await show_page(update, context, page, edit=True)
        return
    await answer_query(update)
    confirmed = []
    async with context.db.write() as conn:
        for request in requests:
            if request.status != "requested":
                continue  # decided already, shown in its place
            try:
                await store.confirm(conn, request.id, context.user, now=context.now)
            except (AlreadyHandled, NotFound):
                continue  # another teacher, or the student, got there first: leave it
            confirmed.append(request)
    await show_page(update, context, page, edit=True, note="confirmed", count=len(confirmed))
    outbox.kick(context)  # the students' notices


# ----- rejecting, with a reason ---------------------------------------------------------------


@REJECT.handles
async def reject_pressed(
    update: Update, context: JinroContext, booking_id: int, page: int | None
) -> None:
    """❌ on a notice or a /pending page (whose page is not needed: the reason comes next)."""
    request = await _pressed(update, context, booking_id)
    if request is None:
        return
    if request.status != "requested":
        await _handled(update, context, booking_id, None)
        return
    if pressed_message_id(update) != (context.user.flow_data or {}).get("m"):
        await _restore_asked(context)  # another request's reason was asked elsewhere
    async with context.db.write() as conn:
        # The pressed message becomes the question; its id is kept so that a typed reason
        # settles it.
        context.user = await users_store.set_flow(
            conn,
            context.user.id,
            "tp.reason",
            {"booking": booking_id, "m": pressed_message_id(update)},
        )
    lang = context.lang
    await reply(
        update,
        context,
        "pending/ask_reason",
        keyboard(
            [
                [REJECT_NOW(label(lang, "Reject without a reason"), booking_id)],
                [KEEP(label(lang, "Do not reject"), booking_id, page)],
            ]
        ),
        edit=True,
        request=request,
        limit=REASON_LIMIT,
        tz=context.tz,
    )


@text_step("tp.reason")
async def reason_typed(update: Update, context: JinroContext) -> None:
    reason = " ".join(update.message.text.split())
    if len(reason) > REASON_LIMIT:
        await ask_to_shorten(update, context, len(reason), REASON_LIMIT)
        return
    booking_id = context.user.flow_data.get("booking")
    await _reject(update, context, booking_id if isinstance(booking_id, int) else 0, reason)


@REJECT_NOW.handles
async def reject_without_reason(update: Update, context: JinroContext, booking_id: int) -> None:
    if await _pressed(update, context, booking_id) is not None:
        await _reject(update, context, booking_id, "")


async def _reject(update: Update, context: JinroContext, booking_id: int, reason: str) -> None:
    edit = update.callback_query is not None
    prompt = None if edit else (context.user.flow_data or {}).get("m")
    try:
        async with context.db.write() as conn:
            request = await pending_store.request_for_teacher(conn, booking_id, context.user)
            await store.reject(
                conn,
                booking_id,
                context.user,
                reason,
                now=context.now,
                offer=context.settings.offer,
            )
            context.user = await _leave_reason_flow(conn, context)
    except (AlreadyHandled, NotFound):
        async with context.db.write() as conn:
            context.user = await _leave_reason_flow(conn, context)
        await settle_message(context, prompt, label(context.lang, "⏹ Already decided"))
        await _handled(update, context, booking_id, None)
        return
    await settle_message(context, prompt, label(context.lang, "❌ Rejected"))
    await reply(
        update,
        context,
        "pending/decided",
        keyboard([[LIST(label(context.lang, "📋 Pending requests"), 0)]]),
        edit=edit,
        request=request,
        decision="rejected",
        reason=reason,
        when=student_hears_at(context.now, context.tz),
        tz=context.tz,
    )
    outbox.kick(context)  # the student's notice, and the freed seat's offer


@KEEP.handles
async def keep_pressed(
    update: Update, context: JinroContext, booking_id: int | None, page: int | None
) -> None:
    """Not rejected after all: the screen the ❌ was pressed on comes back with its buttons,
    the notice with ✅ and ❌ (`page` None) or the /pending page."""
    asked = (context.user.flow_data or {}) if context.user.flow == "tp.reason" else {}
    if booking_id is None:  # a "do not reject" sent before it named its request
        booking_id = asked.get("booking")
    request = await _pressed(update, context, booking_id) if isinstance(booking_id, int) else None
    if request is None:
        if not isinstance(booking_id, int):
            await stale_button(update, context)
        return
    if asked.get("booking") == booking_id:  # its reason is no longer asked
        async with context.db.write() as conn:
            context.user = await _leave_reason_flow(conn, context)
    if request.status != "requested":  # decided, cancelled or expired meanwhile: say so
        await _handled(update, context, booking_id, page)
    elif page is not None:
        await show_page(update, context, page, edit=True, note="kept")
    else:
        await reply(
            update,
            context,
            "pending/kept",
            decide_keyboard(context.lang, booking_id),
            edit=True,
            request=request,
            clashes=await clashes_of(context, request),
            tz=context.tz,
        )


async def _restore_asked(context: JinroContext) -> None:
    """The reason asked on an earlier message is no longer asked there: its request comes
    back on it, as it was (handlers/pending/kept.py)."""
    if context.user.flow == "tp.reason":
        asked = context.user.flow_data or {}
        await restore_request(context, asked.get("m"), asked.get("booking"))


async def _leave_reason_flow(conn, context: JinroContext):
    if context.user.flow != "tp.reason":
        return context.user
    return await users_store.set_flow(conn, context.user.id, None)


def handlers() -> list[BaseHandler]:
    return [CommandHandler("pending", pending_command)]
