"""Invites: staff create deep-link codes; invited roles join by opening them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import users as users_store
from storage.errors import AlreadyRegistered, InviteInvalid
from storage.models import INVITED_ROLES, Role
from storage.moments import round_deadline
from storage.tables import invites, schools, sites

DEFAULT_DAYS = 7
# What staff choose from in the chat: people a link may sign up, and days it works (a letter
# to schools needs longer than a message to one teacher).
USES_OFFERED = (1, 5, 30)
DAYS_OFFERED = (7, 30, 90)
CODE_PATTERN = r"i[A-Za-z0-9_-]{16}"  # new_code's form
GRANTS = ("role", "school_id", "site_id", "mentor_id")  # what the one who opens it becomes
MAX_USES = 500


def new_code() -> str:
    # 12 url-safe bytes -> 16 characters, well inside Telegram's 64-character start parameter.
    return "i" + secrets.token_urlsafe(12)


async def create(
    conn: AsyncConnection,
    *,
    role: str,
    created_by: int | None,
    school_id: int | None = None,
    site_id: int | None = None,
    mentor_id: int | None = None,
    max_uses: int = 1,
    days: int = DEFAULT_DAYS,
    now: datetime,
) -> Row:
    if role not in INVITED_ROLES:
        raise ValueError(f"role {role!r} does not join by invite")
    if role == Role.TEACHER and school_id is None:
        raise ValueError("a teacher invite needs a school")
    if role == Role.SITE and site_id is None:
        raise ValueError("a site invite needs a site")
    if not 1 <= max_uses <= MAX_USES or not 1 <= days <= 90:
        raise ValueError("uses must be 1-500 and days 1-90")
    grants = {"role": role, "school_id": school_id, "site_id": site_id, "mentor_id": mentor_id}
    stmt = (
        insert(invites)
        .values(
            code=new_code(),
            **grants,
            created_by=created_by,
            created_at=now,
            expires_at=round_deadline(now + timedelta(days=days), now),  # as staff see it
            max_uses=max_uses,
            uses=0,
        )
        .returning(*invites.c)
    )
    row = (await conn.execute(stmt)).one()
    await audit.record(
        conn,
        created_by,
        "invite.create",
        "invite",
        row.code,
        **grants,
        max_uses=max_uses,
        days=days,
        now=now,
    )
    return row


async def accept(conn: AsyncConnection, code: str, user: Row, *, now: datetime) -> Row:
    """Use one place of an invite and give the user its role (one transaction).

    The use is taken with a conditional UPDATE, so two people racing for the
    last place cannot both get it.
    """
    current = (await conn.execute(select(invites).where(invites.c.code == code))).first()
    if current is None:
        raise InviteInvalid("unknown")
    if user.role is not None:
        # Changing someone's role is a staff decision, never a side effect of a link.
        raise AlreadyRegistered(user.role)
    taken = await conn.execute(
        update(invites)
        .where(
            invites.c.code == code, invites.c.uses < invites.c.max_uses, invites.c.expires_at > now
        )
        .values(uses=invites.c.uses + 1)
        .returning(*invites.c)
    )
    invite = taken.first()
    if invite is None:
        if current.expires_at <= now:
            raise InviteInvalid("expired", current.expires_at)
        raise InviteInvalid("used_up")
    grants = {name: getattr(invite, name) for name in GRANTS}
    await users_store.change(conn, user.id, **grants, grade=None, under14=None)
    await audit.record(conn, user.id, "invite.accept", "invite", code, role=invite.role, now=now)
    return invite


def _working(now: datetime):
    return (invites.c.expires_at > now, invites.c.uses < invites.c.max_uses)


async def working(
    conn: AsyncConnection, *, now: datetime, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Invites that still sign people up, newest first, with the name of their school or
    site (`place`); and how many there are."""
    total = await conn.scalar(select(func.count()).select_from(invites).where(*_working(now)))
    place = func.coalesce(schools.c.name, sites.c.name).label("place")
    rows = await conn.execute(
        select(*invites.c, place)
        .outerjoin(schools, schools.c.id == invites.c.school_id)
        .outerjoin(sites, sites.c.id == invites.c.site_id)
        .where(*_working(now))
        .order_by(invites.c.created_at.desc(), invites.c.code)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def revoke(conn: AsyncConnection, code: str, *, by: int, now: datetime) -> bool:
    """Make an invite stop working now (False: it had already stopped); audited."""
    stopped = await conn.execute(
        update(invites).where(invites.c.code == code, *_working(now)).values(expires_at=now)
    )
    if not stopped.rowcount:
        return False
    await audit.record(conn, by, "invite.revoke", "invite", code, now=now)
    return True
