"""/cases, a person's open cases (and a monitor's pause), and one case with its record."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.cases.buttons import (
    ACCEPT,
    ADD_PARTY,
    CLOSE,
    ESCALATE,
    LIST,
    MONITORS,
    NEW,
    OPEN,
    PAUSE,
    PICK_PARTY,
    PROPOSE,
    REJECT,
    REPLY,
    VIEW,
)
from handlers.cases.common import (
    MEDIATORS,
    OPENERS,
    PAGE,
    PEOPLE,
    THREAD_PAGE,
    Person,
    _leave_flow,
    _short_when,
    line_view,
)
from handlers.common import (
    answer_query,
    audit_read,
    fetch_page,
    keyboard,
    reply,
    reply_page,
    requires,
    stale_button,
)
from messages import label
from messages.labels import N_
from storage import cases as store
from storage import monitors as monitors_store
from storage.errors import NotFound
from storage.models import Role
from storage.names import shared_name

# ----- /cases ---------------------------------------------------------------------------------


@requires(*PEOPLE)
async def cases_command(update: Update, context: JinroContext) -> None:
    await _leave_flow(context)
    await show_list(update, context, 0)


async def show_list(update: Update, context: JinroContext, page: int, *, edit: bool = False):
    user, lang = context.user, context.lang
    async with context.db.read() as conn:
        shown = await fetch_page(store.list_for, conn, user, index=page, size=PAGE)
        profile = await monitors_store.get(conn, user.id) if user.role == Role.MONITOR else None
    if shown.beyond:  # an old page button after cases closed
        await show_list(update, context, shown.pages - 1, edit=edit)
        return
    rows = [
        [VIEW(f"#{c.id} · {_short_when(context, c.starts_at)} {c.title or ''}"[:60], c.id, 0)]
        for c in shown.items
    ]
    below = []
    if user.role in OPENERS:
        below.append([NEW(label(lang, "➕ New case / ask for help"))])
    if profile is not None:
        below.append(
            [PAUSE(label(lang, "▶ Resume taking cases"), 0)]
            if profile.paused
            else [PAUSE(label(lang, "⏸ Pause taking cases"), 1)]
        )
    await reply_page(
        update,
        context,
        "cases/list",
        shown,
        shown.markup(lang, rows, LIST, below=below),
        edit=edit,
        cases=shown.items,
        role=user.role,
        paused=profile.paused if profile is not None else None,
        tz=context.tz,
    )


@LIST.handles
async def list_page(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_list(update, context, page, edit=True)


@PAUSE.handles
async def pause_pressed(update: Update, context: JinroContext, on: int) -> None:
    async with context.db.write() as conn:
        changed = await monitors_store.set_paused(conn, context.user.id, bool(on), now=context.now)
    if not changed:
        await stale_button(update, context)
        return
    text = N_("Paused: no new cases come to you.") if on else N_("Resumed: new cases come to you.")
    await answer_query(update, label(context.lang, text))
    await show_list(update, context, 0, edit=True)


# ----- one case -------------------------------------------------------------------------------


@VIEW.handles
async def view_case(update: Update, context: JinroContext, case_id: int, page: int) -> None:
    if not await show_case(update, context, case_id, page, edit=True):
        await stale_button(update, context)


@OPEN.handles
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
    if user.role != Role.STUDENT:  # an adult reads the others' messages and names
        await audit_read(context, "case", case_id, seen=seen, page=page, lines=len(lines))
    if context.user.flow in ("case.pick",):
        await _leave_flow(context)
    names = {p.user_id: (p.role, shared_name(p.name, p.role)) for p in people}
    mine = next((p for p in people if p.user_id == user.id), None)
    rows = []
    if found.status != "closed":
        if seen == "party":
            rows.append([REPLY(label(lang, "↩️ Reply in case"), case_id)])
            if found.proposal_id and mine is not None and mine.answer is None:
                rows.append(_answer_buttons(lang, case_id, found.proposal_id))
        elif seen in MEDIATORS:
            rows.append(
                [
                    REPLY(label(lang, "📣 To everyone"), case_id),
                    PICK_PARTY(label(lang, "🔒 To one person"), case_id),
                ]
            )
            rows.append([PROPOSE(label(lang, "🤝 Propose a resolution"), case_id)])
            rows.append([ADD_PARTY(label(lang, "👥 Bring in a teacher or the site"), case_id)])
            last = [CLOSE(label(lang, "✅ Close"), case_id)]
            if seen == "mediator" and found.status == "open":
                last.insert(0, ESCALATE(label(lang, "⬆️ Hand to staff"), case_id))
            rows.append(last)
            if seen == "staff":
                rows.append([MONITORS(label(lang, "👤 Assign a mediator"), case_id, 0)])
    shown_to = page * THREAD_PAGE + len(lines)
    paging = []
    if shown_to < total:
        paging.append(VIEW(label(lang, "◀ Earlier"), case_id, page + 1))
    if page > 0:
        paging.append(VIEW(label(lang, "Later ▶"), case_id, page - 1))
    rows.append(paging)
    rows.append([LIST(label(lang, "◀ My cases"), 0)])
    await reply(
        update,
        context,
        "cases/view",
        keyboard(rows),
        edit=edit,
        case=found,
        seen=seen,
        people=[Person(p.role, shared_name(p.name, p.role), p.answer) for p in people],
        lines=[line_view(line, names) for line in lines],
        earlier=total - shown_to,
        tally=tally,
        mediator=shared_name(found.monitor_name, "monitor") if found.monitor_name else None,
        tz=context.tz,
    )
    return True


def _answer_buttons(lang: str, case_id: int, proposal_id: int) -> list:
    return [
        ACCEPT(label(lang, "✅ Accept"), case_id, proposal_id),
        REJECT(label(lang, "❌ Reject"), case_id, proposal_id),
    ]
