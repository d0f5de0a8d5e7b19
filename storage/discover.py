"""Finding programmes without typing: the filter choices, and "for you" suggestions.

"For you" ranks upcoming programmes for the student's grade: fields they opened most
first, then their school's district (and online programmes, which suit everyone), then
the soonest session. Only a per-field count of opened cards is kept (field_interests).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.bookings.common import bookable_sites
from storage.db import dialect_insert
from storage.reminders import city_day
from storage.search import Hit, Page
from storage.tables import field_interests as interests
from storage.tables import programs, sites


async def program_fields(conn: AsyncConnection) -> list[str]:
    """Every field some programme has, sorted: the field filter's buttons."""
    found = await conn.execute(select(programs.c.field).distinct().order_by(programs.c.field))
    return list(found.scalars())


async def note_interest(conn: AsyncConnection, user_id: int, field: str) -> None:
    """Count one opened card of `field` for this user."""
    stmt = dialect_insert(conn)(interests).values(user_id=user_id, field=field, views=1)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "field"], set_={"views": interests.c.views + 1}
        )
    )


async def top_interests(conn: AsyncConnection, user_id: int, limit: int = 3) -> list[str]:
    found = await conn.execute(
        select(interests.c.field)
        .where(interests.c.user_id == user_id)
        .order_by(interests.c.views.desc(), interests.c.field)
        .limit(limit)
    )
    return list(found.scalars())


async def for_you(
    conn: AsyncConnection,
    *,
    grade: int | None,
    district: str | None,
    fields: list[str],
    offset: int = 0,
    limit: int = 5,
    now: datetime,
    unchecked_ok: bool = False,
) -> Page:
    where = [
        programs.c.next_start > now,
        # Not bookable (failed, never checked, or the check ran out): never suggested. A
        # site that needs fixing stays bookable, and suggested.
        bookable_sites(city_day(now), unchecked_ok=unchecked_ok),
        or_(
            programs.c.district == district,
            programs.c.online.is_(True),
            programs.c.field.in_(fields),
        ),
    ]
    if grade is not None:
        # target_grades is "1,2,3"-style: single digits, so containment is exact enough.
        where.append(programs.c.target_grades.contains(str(grade)))
    field_rank = (
        case(*((programs.c.field == f, n) for n, f in enumerate(fields)), else_=len(fields))
        if fields
        else literal(0)
    )
    near = case((programs.c.district == district, 0), else_=1)
    base = select(programs.c.id).join(sites, sites.c.id == programs.c.site_id).where(*where)
    total = (await conn.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await conn.execute(
        select(
            programs.c.id,
            programs.c.title,
            programs.c.district,
            sites.c.name.label("site"),
            programs.c.next_start,
            programs.c.next_seats,
        )
        .join(sites, sites.c.id == programs.c.site_id)
        .where(*where)
        .order_by(field_rank, near, programs.c.next_start, programs.c.id)
        .offset(offset)
        .limit(limit)
    )
    hits = [Hit(r.id, r.title, r.site, r.district, r.next_start, r.next_seats) for r in rows]
    return Page(hits, total)
