"""What every part of bookings shares: the refusal, reading a booking or a session, and the
compare-and-swap that every change of a booking's status goes through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import AlreadyHandled, NotFound
from storage.tables import bookings, programs, sessions, sites


@dataclass
class Freed:
    """A seat given back, and whom the waiting list offered it to."""

    booking_id: int
    session_id: int
    offered: list[int] = field(default_factory=list)  # booking ids now offered a seat
    was: str | None = None  # the booking's status before


# ----- reading --------------------------------------------------------------------------------


SESSION_VIEW = (
    select(
        sessions,
        programs.c.title,
        programs.c.site_id,
        programs.c.online,
        programs.c.place.label("program_place"),
        programs.c.bring,
        programs.c.directions,
        sites.c.name.label("site_name"),
        sites.c.directions.label("site_directions"),
        sites.c.address.label("site_address"),
        sites.c.safety_status,
        sites.c.safety_valid_until,
    )
    .join(programs, programs.c.id == sessions.c.program_id)
    .join(sites, sites.c.id == programs.c.site_id)
)


async def session_view(conn: AsyncConnection, session_id: int) -> Row | None:
    return (await conn.execute(SESSION_VIEW.where(sessions.c.id == session_id))).first()


async def get(conn: AsyncConnection, booking_id: int) -> Row | None:
    return (await conn.execute(select(bookings).where(bookings.c.id == booking_id))).first()


async def own_booking(conn: AsyncConnection, booking_id: int, student_id: int) -> Row:
    """The student's own booking; anyone else's is NotFound, as is a missing one."""
    booking = await get(conn, booking_id)
    if booking is None or booking.student_id != student_id:
        raise NotFound
    return booking


async def session_views(conn: AsyncConnection, session_ids: set[int]) -> dict[int, Row]:
    """session_view for several sessions at once, by id."""
    if not session_ids:
        return {}
    found = await conn.execute(SESSION_VIEW.where(sessions.c.id.in_(session_ids)))
    return {row.id: row for row in found.all()}


async def get_many(conn: AsyncConnection, booking_ids: set[int]) -> dict[int, Row]:
    if not booking_ids:
        return {}
    found = await conn.execute(select(bookings).where(bookings.c.id.in_(booking_ids)))
    return {row.id: row for row in found.all()}


def bookable_site(session: Row, today: date, *, unchecked_ok: bool = False) -> bool:
    """A failed or expired safety check closes a site to bookings, and so does never having
    been checked ("pending") unless the city allows it (UNCHECKED_SITES_BOOKABLE); a check
    that found things to fix does not. bookable_sites says the same in SQL."""
    if session.safety_status == "failed":
        return False
    if session.safety_status == "pending" and not unchecked_ok:
        return False
    return session.safety_valid_until is None or session.safety_valid_until >= today


def bookable_sites(today: date, *, unchecked_ok: bool = False):
    """bookable_site as a condition on the sites table."""
    closed = ("failed",) if unchecked_ok else ("failed", "pending")
    return and_(
        sites.c.safety_status.not_in(closed),
        or_(sites.c.safety_valid_until.is_(None), sites.c.safety_valid_until >= today),
    )


# ----- changing a booking's status ------------------------------------------------------------
# Every change of a booking's status is a compare-and-swap on the status it was seen in: when
# two people act at once, one wins and the other gets AlreadyHandled.


async def _swap(
    conn: AsyncConnection,
    booking: Row,
    before,
    after: str,
    actor: int | None,
    now: datetime,
    **values,
) -> None:
    """Move the booking from one of `before` to `after`, unless someone moved it first."""
    changed = await conn.execute(
        update(bookings)
        .where(bookings.c.id == booking.id, bookings.c.status.in_(before))
        .values(status=after, decided_by=actor, decided_at=now, **values)
    )
    if changed.rowcount != 1:
        raise AlreadyHandled
