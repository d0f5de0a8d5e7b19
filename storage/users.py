"""Users, their roles and their conversation state (the flow)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import contains_pattern, dialect_insert
from storage.names import NAME_MAX
from storage.tables import mentors, schools, sites, users
from storage.tables import reminder_optouts as optouts

# Every update runs this: built once, it skips SQLAlchemy's per-call construction.
USER_BY_ID = select(users).where(users.c.id == bindparam("user_id"))


async def load_or_create(
    conn: AsyncConnection, user_id: int, lang: str, *, now: datetime, today: date | None = None
) -> Row:
    """The user's row, created on first contact with the language Telegram reports (and, given
    `today`, seen that day: the newcomer's row needs no second write)."""
    stmt = dialect_insert(conn)(users).values(
        id=user_id, lang=lang, flow_data={}, active=True, created_at=now, seen_on=today
    )
    made = await conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["id"]).returning(*users.c)
    )
    row = made.first()
    if row is not None:
        return row
    return (await conn.execute(USER_BY_ID, {"user_id": user_id})).one()


async def get(conn: AsyncConnection, user_id: int) -> Row | None:
    return (await conn.execute(USER_BY_ID, {"user_id": user_id})).first()


async def change(conn: AsyncConnection, user_id: int, **values) -> Row:
    """Update a user's columns and return the new row."""
    stmt = _change(tuple(sorted(values)))
    return (await conn.execute(stmt, {"the_user": user_id, **values})).one()


@cache
def _change(columns: tuple[str, ...]):
    """The UPDATE of these columns, built once: most updates of a chat change a user's flow,
    and building the statement anew cost more than running it."""
    return (
        update(users)
        .where(users.c.id == bindparam("the_user"))
        .values({column: bindparam(column) for column in columns})
        .returning(*users.c)
    )


async def set_flow(
    conn: AsyncConnection, user_id: int, flow: str | None, data: dict | None = None
) -> Row:
    return await change(conn, user_id, flow=flow, flow_data=data or {})


async def hold_question(
    conn: AsyncConnection, user_id: int, key: str, question: dict, idle: tuple
) -> None:
    """A question only buttons answer was sent to the user: kept in their flow data under
    `key` while they are in one of the `idle` flows (None: none); a step that asks for words
    is left as it is (handlers/common/questions.py)."""
    user = await get(conn, user_id)
    if user is not None and user.flow in idle:
        await change(conn, user_id, flow_data={**(user.flow_data or {}), key: question})


async def mark_inactive(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(active=False))


async def find_schools(conn: AsyncConnection, text: str, limit: int = 8) -> list[Row]:
    """Schools whose name contains the typed text (spaces ignored), shortest names first."""
    return await _find_by_name(conn, schools, text, limit)


async def find_sites(conn: AsyncConnection, text: str, limit: int = 8) -> list[Row]:
    return await _find_by_name(conn, sites, text, limit)


async def _find_by_name(conn: AsyncConnection, table, text: str, limit: int) -> list[Row]:
    # "정발 중" and "정발중" both find 정발중학교: spaces are ignored on both sides.
    needle = "".join(text.split())
    stmt = (
        select(table)
        .where(func.replace(table.c.name, " ", "").like(contains_pattern(needle), escape="\\"))
        .order_by(func.length(table.c.name), table.c.name)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


# A person with what tells them apart from others of their name: role, school and grade, site.
PEOPLE_VIEW = select(
    users.c.id,
    users.c.name,
    users.c.role,
    users.c.grade,
    schools.c.name.label("school"),
    sites.c.name.label("site"),
).select_from(
    users.outerjoin(schools, schools.c.id == users.c.school_id).outerjoin(
        sites, sites.c.id == users.c.site_id
    )
)
TYPED_MAX = NAME_MAX  # characters of a typed name searched: no name is longer


async def find_people(
    conn: AsyncConnection, typed: str, *, offset: int, limit: int
) -> tuple[list[Row], int]:
    """People whose name holds the typed text (spaces ignored on both sides, "김 하늘" finds
    김하늘; letters in any case), for staff to pick (/audit, /erase): one page by name, then
    school and grade (students share names: these tell them apart), then site; and how many
    there are in all."""
    needle = "".join(typed.split())[:TYPED_MAX].lower()
    name = func.lower(func.replace(users.c.name, " ", ""))
    match = name.like(contains_pattern(needle), escape="\\")
    total = await conn.scalar(select(func.count()).select_from(users).where(match))
    found = await conn.execute(
        PEOPLE_VIEW.where(match)
        .order_by(users.c.name, schools.c.name, users.c.grade, sites.c.name, users.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(found.all()), total or 0


async def person_view(conn: AsyncConnection, person_id: int) -> Row | None:
    """A person as PEOPLE_VIEW shows them; None when they are no longer registered."""
    return (await conn.execute(PEOPLE_VIEW.where(users.c.id == person_id))).first()


async def school(conn: AsyncConnection, school_id: int | None) -> Row | None:
    if school_id is None:
        return None
    return (await conn.execute(select(schools).where(schools.c.id == school_id))).first()


async def site(conn: AsyncConnection, site_id: int | None) -> Row | None:
    if site_id is None:
        return None
    return (await conn.execute(select(sites).where(sites.c.id == site_id))).first()


async def mentor(conn: AsyncConnection, mentor_id: int | None) -> Row | None:
    if mentor_id is None:
        return None
    return (await conn.execute(select(mentors).where(mentors.c.id == mentor_id))).first()


async def create_mentor(conn: AsyncConnection, *, kind: str, name: str, field: str) -> int:
    stmt = insert(mentors).values(kind=kind, name=name, field=field, online=True)
    return (await conn.execute(stmt.returning(mentors.c.id))).scalar_one()


def covered_grades(teacher: Row) -> list[int]:
    """The grades a teacher covers; an empty list means every grade."""
    return [int(g) for g in (teacher.grades or "").split(",") if g]


async def site_people(conn: AsyncConnection, site_id: int) -> list[Row]:
    """The active users who speak for an experience site."""
    found = await conn.execute(
        select(users).where(
            users.c.role == "site", users.c.site_id == site_id, users.c.active.is_(True)
        )
    )
    return list(found.all())


async def active_staff(conn: AsyncConnection) -> list[int]:
    """The ids of the staff who have not blocked the bot: whom escalations and alerts reach."""
    found = await conn.execute(
        select(users.c.id).where(users.c.role == "staff", users.c.active.is_(True))
    )
    return list(found.scalars())


# ----- reminders a user turned off (/settings) ------------------------------------------------

# Kinds each role may turn off. A student's reminders of their own confirmed bookings
# (the day before, the online link) are not here: those always come.
OPTIONAL_REMINDERS = {
    "student": ("student_survey",),
    "teacher": ("teacher_digest", "teacher_expiring"),
    "site": ("site_roster_day_before", "site_roster_morning", "site_change"),
    "staff": ("staff_dead",),
}


async def reminders_off(conn: AsyncConnection, user_id: int) -> set[str]:
    found = await conn.execute(select(optouts.c.kind).where(optouts.c.user_id == user_id))
    return set(found.scalars())


async def set_reminder(conn: AsyncConnection, user: Row, kind: str, on: bool) -> None:
    """Turn one optional kind on or off; a kind the role may not turn off raises ValueError."""
    if kind not in OPTIONAL_REMINDERS.get(user.role, ()):
        raise ValueError(kind)
    if on:
        await conn.execute(
            delete(optouts).where(optouts.c.user_id == user.id, optouts.c.kind == kind)
        )
    else:
        stmt = dialect_insert(conn)(optouts).values(user_id=user.id, kind=kind)
        await conn.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "kind"]))
