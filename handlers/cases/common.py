"""What the case handlers share: the area's pages, roles (declared with its buttons in
handlers/cases/buttons.py), labels and refusals, and small helpers (a line of the record
as the templates show it, the case's buttons)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from telegram import Update

from bot.context import JinroContext
from handlers.cases.buttons import OPEN, REPLY, VIEW
from handlers.cases.buttons import OPENERS as OPENERS  # the area's roles: on its buttons
from handlers.cases.buttons import PEOPLE as PEOPLE
from handlers.common import answer_query, keyboard, leave_flow, speaks_formally
from handlers.common.days import short
from handlers.common.told import student_hears_at
from messages import label
from messages.labels import N_
from storage import cases as store
from storage import users as users_store

log = logging.getLogger("handlers.cases")  # the area's logger, named as before the split

PAGE = 5  # cases, and bookings to pick, a page
THREAD_PAGE = 10  # lines of a case's record a page
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
        N_("You can read this case, but only the people in it can write."),
    ),
    "replaced": (
        N_("This proposal was replaced by a newer one."),
        N_("A newer proposal has replaced this one."),
    ),
    "not_party": (N_("This person is not in the case."), N_("This person isn't in the case.")),
    "answered": (
        N_("You have already answered this proposal."),
        N_("You already answered this proposal."),
    ),
}
FLOWS_WITH_PHOTOS = ("case.text", "case.reply", "case.private")


# ----- small helpers --------------------------------------------------------------------------


def _open_case_keyboard(lang: str, case_id: int):
    """The one button under what is said after an action: the case, opened anew."""
    return keyboard([[OPEN(label(lang, "📂 Open case"), case_id)]])


def _question_keyboard(lang: str, case_id: int, rows: list):
    """The keyboard under a question about a case (escalate? which outcome? to whom?): its
    answers, then the way back to the case, which asks nothing."""
    return keyboard([*rows, [VIEW(label(lang, "◀ Back to the case"), case_id, 0)]])


async def _leave_flow(context: JinroContext) -> None:
    await leave_flow(context, "case.")


async def _end_flow_in(conn, context: JinroContext) -> None:
    """Leave a case flow within the transaction of the step it led to, so the step and the
    end of its flow are stored together (a post, a closing note)."""
    if (context.user.flow or "").startswith("case."):
        context.user = await users_store.set_flow(conn, context.user.id, None)


async def _student_hears_at(context: JinroContext, case_id: int, *, only: int | None = None):
    """When the student in case `case_id` hears of what the user just wrote or did there (to
    everyone, or `only` to that party), if not at once: a student's case news waits through
    quiet hours, but for a safety concern (handlers/cases/composers.py). None when no
    student other than the user hears of it."""
    async with context.db.read() as conn:
        found = await store.get(conn, case_id)
        people = await store.party_list(conn, case_id)
    students = [
        p.user_id
        for p in people
        if p.role == "student" and p.user_id != context.user.id and only in (None, p.user_id)
    ]
    if found is None or not students:
        return None
    return student_hears_at(context.now, context.tz, urgent=found.kind == "safety")


def _short_when(context: JinroContext, moment) -> str:
    return short(context.lang, moment, context.tz) if moment else "—"


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
        REPLY(label(lang, "↩️ Reply in case"), case_id),
        OPEN(label(lang, "📂 Open case"), case_id),
    ]
