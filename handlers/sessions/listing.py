"""The site's list of sessions (/sessions) and one session with its roster."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.cases import buttons as cases
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
from handlers.sessions.buttons import (
    ADD,
    ATTENDANCE,
    CANCEL,
    CAPACITY,
    CLASS_ROSTER,
    LIST,
    OPEN,
    ROSTER_FILE,
)
from handlers.sessions.helpers import _leave_flow, _local_today, _midnight, _short_when, _site_id
from messages import label
from storage import rosters
from storage import sessions as store
from storage.models import Role

PAGE = 5
CLASS_FILES = 6  # buttons for class bookings' files; the whole roster has them all


# ----- the list -------------------------------------------------------------------------------


@requires(Role.SITE)
async def sessions_command(update: Update, context: JinroContext) -> None:
    if _site_id(context) is None:
        await reply(update, context, "common/not_allowed")
        return
    await _leave_flow(context)
    await show_list(update, context, 0)


async def show_list(update: Update, context: JinroContext, page: int, *, edit: bool = False):
    now = context.now
    today_from = _midnight(context, _local_today(context, now))
    async with context.db.read() as conn:
        shown = await fetch_page(
            store.site_sessions,
            conn,
            _site_id(context),
            today_from=today_from,
            now=now,
            index=page,
            size=PAGE,
        )
    if shown.beyond:  # an old page button after sessions were cancelled
        await show_list(update, context, shown.pages - 1, edit=edit)
        return
    lang = context.lang
    rows = [
        [(f"{n}. {_short_when(context, s.starts_at)} {s.title}"[:60], OPEN.pack(s.id, page))]
        for n, s in shown.numbered()
    ]
    await reply_page(
        update,
        context,
        "sessions/list",
        shown,
        shown.markup(lang, rows, LIST, below=[[ADD(label(lang, "➕ Add a session"))]]),
        edit=edit,
        sessions=shown.items,
        today=_local_today(context, now),
        tz=context.tz,
    )


# ----- one session ----------------------------------------------------------------------------


async def show_session(
    update: Update, context: JinroContext, session_id: int, back: int = 0, *, edit: bool = True
) -> bool:
    """The session with its roster; False (nothing shown) when it is not this site's."""
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
        people = await store.roster(conn, session_id) if session else []
        classes = (await rosters.roster(conn, session_id)).classes if people else []
    if session is None:
        return False
    await audit_read(context, "roster", session_id, rows=len(people))
    lang, now = context.lang, context.now
    rows = []
    if session.status == "scheduled":
        if session.starts_at > now:
            rows.append(
                [
                    CAPACITY(label(lang, "👥 Change capacity"), session_id),
                    CANCEL(label(lang, "❌ Cancel session"), session_id),
                ]
            )
        if session.starts_at <= now:  # attendance is what happened: from the start on
            rows.append([ATTENDANCE(label(lang, "✅ Take attendance"), session_id, 0)])
    if people:  # printable: the whole roster, and each class booking's with its teacher
        rows.append([ROSTER_FILE(label(lang, "📄 Roster file (XLSX)"), session_id)])
        for c in classes[:CLASS_FILES]:
            text = label(lang, "📄 Class of %(school)s", school=c.school)
            rows.append([CLASS_ROSTER(f"{text} · {c.teacher or ''}"[:60], session_id, c.key)])
        # a problem with a booking goes to a parent monitor (handlers/cases/)
        rows.append([cases.SESSION_BOOKINGS(label(lang, "🆘 Ask for mediation"), session_id)])
    rows.append([LIST(label(lang, "◀ Back to the list"), back)])
    await reply(
        update,
        context,
        "sessions/detail",
        keyboard(rows),
        edit=edit,
        session=session,
        people=people,
        started=session.starts_at <= now,
        tz=context.tz,
    )
    return True


@OPEN.handles
async def open_session(update: Update, context: JinroContext, session_id: int, back: int):
    if await pressed_session(update, context, session_id) is None:
        return
    await answer_query(update)
    await _leave_flow(context)
    if not await show_session(update, context, session_id, back):  # gone this very moment
        await reply(update, context, "sessions/not_found")


@LIST.handles
async def list_page(update: Update, context: JinroContext, page: int) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await show_list(update, context, page, edit=True)


async def pressed_session(update: Update, context: JinroContext, session_id: int):
    """The site's session a pressed button names, as it is now; None when it is gone or
    another site's (a forged press), the press then answered as stale."""
    async with context.db.read() as conn:
        session = await store.site_session(conn, session_id, _site_id(context))
    if session is None:
        await stale_button(update, context)
    return session


async def _own_open_session(update: Update, context: JinroContext, session_id: int):
    """The site's session if it can still change (scheduled, not started); else the press is
    answered (stale, or why not) and None returned."""
    session = await pressed_session(update, context, session_id)
    if session is None:
        return None
    if session.status != "scheduled" or session.starts_at <= context.now:
        text = label(context.lang, "This session has started or was cancelled; it cannot change.")
        await answer_query(update, text, alert=True)
        return None
    return session
