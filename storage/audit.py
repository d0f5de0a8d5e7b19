"""The audit log: every staff action and every change of role or consent is written here,
and every read of other people's personal data by an adult (`read`)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AuditEntry

READ = "read"  # the action of every audited read; object_type says what was read
_CODE = re.compile(r"[a-z_]{1,20}")  # a code in a read's detail: "staff", "party"


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


def _plain(value: object) -> bool:
    """What a read's detail may hold: a count, an id, a flag, a short code, a list of ids."""
    if value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, str):
        return _CODE.fullmatch(value) is not None
    if isinstance(value, list | tuple):
        return all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return False


async def read(
    conn: AsyncConnection,
    actor_id: int,
    kind: str,
    object_id: object = None,
    *,
    now: datetime,
    answer: str | None = None,
    **detail,
) -> None:
    """One entry for an adult's read of other people's personal data, in the caller's write
    transaction: action "read", `kind` what was read (object_type: case, roster, pending…),
    `object_id` which one (for a list, what it is the list of: a session, a school), the
    answer the reader got ("shown"; "empty" when `rows` is 0, a list with nobody on it), and
    counts, ids and codes in detail. Never a name or a text: a detail value that is not a
    number, a flag, a short lowercase code or a list of ids is refused (ValueError)."""
    if answer is None:
        answer = "empty" if detail.get("rows") == 0 else "shown"
    wrong = sorted(key for key, value in detail.items() if not _plain(value))
    if wrong or not _CODE.fullmatch(answer):
        raise ValueError(f"an audited read keeps ids, counts and codes only: {wrong or answer}")
    await record(conn, actor_id, READ, kind, object_id, now=now, answer=answer, **detail)
