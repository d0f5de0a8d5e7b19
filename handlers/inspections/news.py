"""What the outbox says about inspections: each kind's composer (REMINDERS) and buttons
(KEYBOARDS), declared to handlers/outbox as OUTGOING."""

from __future__ import annotations

from handlers.common import keyboard
from handlers.common.buttons import ID
from handlers.inspections.buttons import DETAIL, PICK, SITE, START
from handlers.inspections.common import Line, _who, lines
from handlers.outbox import Kind
from messages import label
from storage import inspections as store
from storage.models import Role


async def _inspection(conn, row, *statuses):
    found = await store.view(conn, row.inspection_id) if row.inspection_id else None
    return found if found is not None and found.status in statuses else None


def _problems(lang: str, all_items) -> list[Line]:
    """The items that need fixing or failed, as lines."""
    return [line for line in lines(lang, all_items) if line.result in ("fix", "fail")]


def _news(news: str, found, items=None, who: str = "", *, count=None, sessions=None):
    """One inspection notice as the outbox sends it: which `news`, the inspection, the items
    to look at, the monitor's given name (and a failure's bookings: `count` to staff,
    `sessions` to a teacher)."""
    return "inspections/news", {
        "news": news,
        "inspection": found,
        "items": items or [],
        "who": who,
        "count": count,
        "sessions": sessions or [],
        "recheck": store.RECHECK_AFTER,  # a re-inspection's day, as every screen counts it
    }


def _to_its_monitor(status: str):
    """To the inspection's monitor while it is still `status` (assigned, cancelled): the news
    of that."""

    async def compose(conn, context, row, user):
        found = await _inspection(conn, row, status)
        if found is None or found.monitor_id != user.id:
            return None  # started, or called off, meanwhile
        return _news(status, found)

    return compose


async def _result(conn, context, row, user):
    """The site's people: their result, with what to fix."""
    found = await _inspection(conn, row, "done")
    if found is None or user.role != Role.SITE or user.site_id != found.site_id:
        return None
    problems = _problems(user.lang, await store.inspection_items(conn, found.id))
    return _news("result", found, problems, _who(found))


async def _failed_staff(conn, context, row, user):
    found = await _inspection(conn, row, "done")
    if found is None or found.result != "failed" or user.role != Role.STAFF:
        return None
    problems = _problems(user.lang, await store.inspection_items(conn, found.id))
    booked = await store.upcoming_bookings(conn, found.site_id, context.now)
    return _news("failed_staff", found, problems, _who(found), count=booked)


async def _failed_teacher(conn, context, row, user):
    """A teacher whose students are booked at the site: the sessions, so they can decide."""
    found = await _inspection(conn, row, "done")
    if found is None or found.result != "failed" or user.role != Role.TEACHER:
        return None
    booked = await store.teacher_sessions(conn, found.site_id, user.id, context.now)
    if not booked:
        return None  # their students' bookings there are over
    sessions = [{"session": s, "count": n} for s, n in booked]
    return _news("failed_teacher", found, who=_who(found), sessions=sessions)


def _follow_up(news: str, *roles: Role):
    async def compose(conn, context, row, user):
        found = await _inspection(conn, row, "done")
        if found is None or user.role not in roles or await store.superseded(conn, found):
            return None  # inspected again since, or the status changed
        if user.role == Role.SITE and user.site_id != found.site_id:
            return None
        if user.role == Role.MONITOR and found.monitor_id != user.id:
            return None
        return _news(news, found, who=_who(found))

    return compose


REMINDERS = {
    "inspection_assigned": _to_its_monitor("assigned"),
    "inspection_cancelled": _to_its_monitor("cancelled"),
    "inspection_result": _result,
    "inspection_failed_staff": _failed_staff,
    "inspection_failed_teacher": _failed_teacher,
    "inspection_recheck": _follow_up("recheck", Role.MONITOR),
    "inspection_recheck_staff": _follow_up("recheck_staff", Role.STAFF),
    "inspection_expiry": _follow_up("expiry", Role.SITE),
    "inspection_expiry_staff": _follow_up("expiry_staff", Role.STAFF),
}


def _site_button(text: str, button):
    """A button about the site the row's detail names (its id)."""

    def build(row, lang: str):
        site_id = ID.match(row.detail or "")
        if site_id is None:
            return None
        return keyboard([[button(label(lang, text), site_id)]])

    return build


def _see(row, lang: str):
    return keyboard([[DETAIL(label(lang, "📄 See the result"), row.inspection_id)]])


KEYBOARDS = {
    "inspection_assigned": lambda row, lang: keyboard(
        [[START(label(lang, "▶ Start the inspection"), row.inspection_id)]]
    ),
    "inspection_result": _see,
    "inspection_failed_staff": _see,
    "inspection_recheck": _site_button("📋 Take the re-inspection", PICK),
    "inspection_recheck_staff": _site_button("👤 Assign a monitor", SITE),
    "inspection_expiry": _see,
    "inspection_expiry_staff": _site_button("👤 Assign a monitor", SITE),
}


# The kinds this area sends, registered in bot/app.py.
OUTGOING = [Kind(name, compose, KEYBOARDS.get(name)) for name, compose in REMINDERS.items()]
