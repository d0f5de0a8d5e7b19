"""What each update has changed: its id recorded in the same transaction as its change.

An update's handlers may write in a few transactions (a flow step, then a booking). Each
write transaction of an update also records, before it commits, which write it was (named
by where in the code it was made: bot/effects.py) in `applied` (`note_write`). When a crash
makes the update be handled again, the writes it names are run and rolled back instead of
applied again, so nothing is applied twice, while the person still gets an answer (at most
one repeated answer per crash). `finish` marks an update whose handling ended: a second
delivery of it is dropped. Ids are forgotten after a few days (Telegram redelivers for at
most one).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import dialect_insert_for
from storage.tables import processed_updates as processed

SEEN = select(processed.c.applied, processed.c.finished).where(
    processed.c.update_id == bindparam("update_id")
)


async def seen(conn: AsyncConnection, update_id: int) -> Row | None:
    """(applied, finished) of an update handled before, or None for a new one."""
    return (await conn.execute(SEEN, {"update_id": update_id})).first()


async def newest(conn: AsyncConnection) -> int:
    """The highest update id recorded (0 for none): every later one is new to the database."""
    return await conn.scalar(select(func.coalesce(func.max(processed.c.update_id), 0)))


@cache
def _upsert(dialect: str, column: str):
    stmt = dialect_insert_for(dialect)(processed).values(
        update_id=bindparam("update_id"),
        at=bindparam("at"),
        applied=bindparam("applied"),
        finished=bindparam("finished"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["update_id"], set_={column: stmt.excluded[column]}
    )


async def note_write(
    conn: AsyncConnection, update_id: int, applied: list[str], *, now: datetime
) -> None:
    """In the update's write transaction: these are its writes committed, this one too."""
    params = {"update_id": update_id, "at": now, "applied": applied, "finished": False}
    await conn.execute(_upsert(conn.dialect.name, "applied"), params)


async def finish(conn: AsyncConnection, update_id: int, *, now: datetime) -> None:
    """The update's handling ended (answered, or failed and reported): never again."""
    params = {"update_id": update_id, "at": now, "applied": None, "finished": True}
    await conn.execute(_upsert(conn.dialect.name, "finished"), params)


async def finish_many(conn: AsyncConnection, finished: dict[int, datetime]) -> None:
    """`finish` for many updates (update id: when) in one statement of many rows."""
    rows = [
        {"update_id": update_id, "at": at, "applied": None, "finished": True}
        for update_id, at in finished.items()
    ]
    await conn.execute(_upsert(conn.dialect.name, "finished"), rows)


async def forget_before(conn: AsyncConnection, moment: datetime) -> int:
    result = await conn.execute(delete(processed).where(processed.c.at < moment))
    return result.rowcount
