"""What the inspection modules share: the open statuses, the refusal, what makes a site due,
and the inspection row with its site and monitor (VIEW)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import inspections, sites, users

OPEN = ("assigned", "in_progress")
NOTE_MAX = 500
DUE_SOON = timedelta(days=30)  # "expiring": within this many days, or already expired


def due_for_inspection(site: Row, today: date) -> bool:
    """A site a monitor may pick: never checked, needing fixes, failed, or its check
    running out within DUE_SOON (or run out)."""
    if site.safety_checked_on is None or site.safety_status in ("needs_fix", "failed"):
        return True
    return site.safety_valid_until is not None and site.safety_valid_until <= today + DUE_SOON


def _due_condition(today: date):
    return or_(
        sites.c.safety_checked_on.is_(None),
        sites.c.safety_status.in_(("needs_fix", "failed")),
        and_(
            sites.c.safety_valid_until.is_not(None),
            sites.c.safety_valid_until <= today + DUE_SOON,
        ),
    )


VIEW = (
    select(
        inspections,
        sites.c.name.label("site_name"),
        sites.c.district,
        sites.c.safety_status,
        sites.c.safety_valid_until.label("site_valid_until"),
        users.c.name.label("monitor_name"),
    )
    .join(sites, sites.c.id == inspections.c.site_id)
    .outerjoin(users, users.c.id == inspections.c.monitor_id)
)


async def get(conn: AsyncConnection, inspection_id: int) -> Row | None:
    return (
        await conn.execute(select(inspections).where(inspections.c.id == inspection_id))
    ).first()
