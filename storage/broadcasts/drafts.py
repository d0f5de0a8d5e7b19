"""Drafts: a broadcast from the author's first message until the confirm."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.audience import Audience, check_choice, limited
from storage.errors import NotAllowed, NotFound
from storage.models import Role
from storage.tables import broadcasts


async def start_draft(
    conn: AsyncConnection,
    author: Row,
    *,
    text: str,
    media_kind: str | None,
    media_file_id: str | None,
    now: datetime,
) -> int:
    """A new draft; the author's abandoned drafts (a flow left with /cancel) go."""
    limited(author, Audience())  # NotAllowed for anyone who may not broadcast
    await conn.execute(
        delete(broadcasts).where(
            broadcasts.c.author_id == author.id, broadcasts.c.status == "draft"
        )
    )
    stmt = insert(broadcasts).values(
        author_id=author.id,
        author_role=author.role,
        text=text,
        media_kind=media_kind,
        media_file_id=media_file_id,
        audience={},
        urgent=False,
        status="draft",
        created_at=now,
        total=0,
    )
    return (await conn.execute(stmt.returning(broadcasts.c.id))).scalar_one()


async def draft(conn: AsyncConnection, broadcast_id: int, author: Row) -> Row | None:
    """The author's own draft; None for anyone else's or one already confirmed."""
    stmt = select(broadcasts).where(
        broadcasts.c.id == broadcast_id,
        broadcasts.c.author_id == author.id,
        broadcasts.c.status == "draft",
    )
    return (await conn.execute(stmt)).first()


DRAFT_FIELDS = {"text", "media_kind", "media_file_id", "audience", "urgent", "scheduled_at"}


async def update_draft(conn: AsyncConnection, broadcast_id: int, author: Row, **values) -> Row:
    """Change the author's draft; NotFound when it is not (or no longer) one. Only staff
    mark a broadcast urgent (quiet hours protect students from everyone else)."""
    assert set(values) <= DRAFT_FIELDS, values
    if values.get("urgent") and author.role != Role.STAFF:
        raise NotAllowed
    if "audience" in values:
        audience = Audience.from_json(values["audience"])
        await check_choice(conn, author, audience)
        values["audience"] = audience.to_json()
    stmt = (
        update(broadcasts)
        .where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.author_id == author.id,
            broadcasts.c.status == "draft",
        )
        .values(**values)
        .returning(*broadcasts.c)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound
    return row


async def discard(conn: AsyncConnection, broadcast_id: int, author: Row) -> bool:
    found = await conn.execute(
        delete(broadcasts).where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.author_id == author.id,
            broadcasts.c.status == "draft",
        )
    )
    return found.rowcount > 0
