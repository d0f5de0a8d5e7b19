"""The audit log: every staff action and every change of role or consent is written here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AuditEntry


async def record(
    conn: AsyncConnection,
    actor_id: int | None,
    action: str,
    object_type: str | None = None,
    object_id: object = None,
    *,
    now: datetime,
    **detail,
) -> None:
    """Write one entry in the caller's transaction; detail holds ids and codes, no names."""
    await conn.execute(
        insert(AuditEntry.__table__).values(
            at=now,
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            detail=detail,
        )
    )
