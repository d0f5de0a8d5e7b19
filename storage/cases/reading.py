"""Reading cases: one case and how a person may see it (access), its parties, its record
as a person may see it, and the open cases /cases lists."""

from __future__ import annotations

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.cases.common import _covers
from storage.errors import NotFound
from storage.models import Role
from storage.tables import case_messages as messages
from storage.tables import case_parties as parties
from storage.tables import cases, programs, sessions, sites, users
from storage.users import covered_grades

# ----- reading --------------------------------------------------------------------------------


monitor_user = users.alias("monitor_user")
CASE_VIEW = (
    select(
        cases,
        programs.c.title,
        sessions.c.starts_at,
        sites.c.name.label("site_name"),
        sites.c.district,
        monitor_user.c.name.label("monitor_name"),
    )
    .select_from(cases)
    .join(sites, sites.c.id == cases.c.site_id)
    .outerjoin(sessions, sessions.c.id == cases.c.session_id)
    .outerjoin(programs, programs.c.id == sessions.c.program_id)
    .outerjoin(monitor_user, monitor_user.c.id == cases.c.monitor_id)
)


async def get(conn: AsyncConnection, case_id: int) -> Row | None:
    """The case with its programme, session, site and monitor's name (CASE_VIEW)."""
    return (await conn.execute(CASE_VIEW.where(cases.c.id == case_id))).first()


async def _lock(conn: AsyncConnection, case_id: int) -> Row | None:
    """The case row, locked until commit on PostgreSQL (SQLite has one writer anyway)."""
    stmt = select(cases).where(cases.c.id == case_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def party_role(conn: AsyncConnection, case_id: int, user_id: int) -> str | None:
    return await conn.scalar(
        select(parties.c.role).where(parties.c.case_id == case_id, parties.c.user_id == user_id)
    )


async def access(conn: AsyncConnection, case: Row, user: Row | None) -> str | None:
    """How `user` may see `case`: staff | mediator (its monitor) | party | reader (a teacher
    of the student, not a party) | None (not at all: the same as a missing case)."""
    if user is None or user.role is None:
        return None
    if user.role == Role.STAFF:
        return "staff"
    if user.role == Role.MONITOR:
        return "mediator" if case.monitor_id == user.id else None
    if await party_role(conn, case.id, user.id) is not None:
        return "party"
    if (
        user.role == Role.TEACHER
        and case.student_id is not None
        and user.school_id == case.school_id
    ):
        student = (
            await conn.execute(
                select(users.c.grade, users.c.school_id).where(users.c.id == case.student_id)
            )
        ).first()
        if student is not None and student.school_id == user.school_id:
            if _covers(user, student.grade):
                return "reader"
    return None


async def case_for(conn: AsyncConnection, case_id: int, user: Row) -> tuple[Row, str]:
    """(the case, how this user sees it); NotFound for a case they may not read."""
    found = await get(conn, case_id)
    seen = await access(conn, found, user) if found is not None else None
    if seen is None:
        raise NotFound
    return found, seen


async def party_list(conn: AsyncConnection, case_id: int) -> list[Row]:
    """The case's parties with their first names' source (name), role and answer; students
    first, then teachers, then the site."""
    order = case({"student": 0, "teacher": 1, "site": 2}, value=parties.c.role, else_=3)
    found = await conn.execute(
        select(parties.c.user_id, parties.c.role, parties.c.answer, users.c.name)
        .join(users, users.c.id == parties.c.user_id)
        .where(parties.c.case_id == case_id)
        .order_by(order, parties.c.user_id)
    )
    return list(found.all())


def _visible(viewer_id: int, every_private: bool):
    if every_private:
        return messages.c.id.is_not(None)
    return or_(
        messages.c.kind != "private",
        messages.c.sender_id == viewer_id,
        messages.c.to_user_id == viewer_id,
    )


async def thread(
    conn: AsyncConnection, case_id: int, viewer: Row, seen: str, *, skip: int, limit: int
) -> tuple[list[Row], int]:
    """The case's record as `viewer` may see it (private messages only to their sender,
    their recipient, the mediator and staff): the `limit` lines before the last `skip`,
    oldest first, and how many there are in all."""
    visible = _visible(viewer.id, seen in ("mediator", "staff"))
    where = and_(messages.c.case_id == case_id, visible)
    total = await conn.scalar(select(func.count()).select_from(messages).where(where))
    found = await conn.execute(
        select(messages).where(where).order_by(messages.c.id.desc()).offset(skip).limit(limit)
    )
    return list(reversed(found.all())), total


async def message(conn: AsyncConnection, message_id: int) -> Row | None:
    return (await conn.execute(select(messages).where(messages.c.id == message_id))).first()


def _list_where(user: Row):
    """The cases `user`'s /cases lists: not closed; staff all, a monitor their own, parties
    theirs, a teacher also their students'."""
    not_closed = cases.c.status != "closed"
    if user.role == Role.STAFF:
        return not_closed
    if user.role == Role.MONITOR:
        return and_(not_closed, cases.c.monitor_id == user.id)
    mine = cases.c.id.in_(select(parties.c.case_id).where(parties.c.user_id == user.id))
    if user.role == Role.TEACHER and user.school_id is not None:
        students = select(users.c.id).where(
            users.c.role == Role.STUDENT, users.c.school_id == user.school_id
        )
        grades = covered_grades(user)
        if grades:
            students = students.where(users.c.grade.in_(grades))
        theirs = and_(cases.c.school_id == user.school_id, cases.c.student_id.in_(students))
        return and_(not_closed, or_(mine, theirs))
    return and_(not_closed, mine)


async def list_for(
    conn: AsyncConnection, user: Row, *, offset: int, limit: int
) -> tuple[list[Row], int]:
    """The open cases /cases lists for `user`, escalated first, then the newest."""
    where = _list_where(user)
    total = await conn.scalar(select(func.count()).select_from(cases).where(where))
    found = await conn.execute(
        CASE_VIEW.where(where)
        .order_by((cases.c.status == "escalated").desc(), cases.c.opened_at.desc(), cases.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(found.all()), total
