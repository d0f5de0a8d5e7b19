"""Telegram's pace for the whole bot, shared by every process: one row (send_pace).

Telegram counts what a bot sends, whichever process sends it: about 30 messages a second in
all, and after a 429 nothing until its retry_after. Each message the bot sends on its own
takes the next slot here, in one statement (the row lock on PostgreSQL, the one writer on
SQLite, serialise the takers); replies, which never wait, are counted here in bulk by each
process (`count`), so the slots after them move on.

The one clock here is the database's, in seconds since the epoch: the pace is measured in
real seconds shared by processes on different hosts, whose own clocks (or a test's
travelling clock) need not agree. It decides how long to wait before a send, never what
is due: that stays with the `now` callers pass (the time rule, tests/test_time_rule.py).
"""

from __future__ import annotations

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import dialect_insert
from storage.tables import send_pace as pace

ROW = 1
# The database's time of the statement, as seconds since the epoch.
CLOCK = {
    "postgresql": literal_column("extract(epoch from statement_timestamp())::float8"),
    "sqlite": literal_column("((julianday('now') - 2440587.5) * 86400.0)"),
}


def _latest(conn: AsyncConnection, *moments):
    greatest = func.greatest if conn.dialect.name == "postgresql" else func.max
    return greatest(*moments)


async def take_slot(conn: AsyncConnection, *, interval: float) -> tuple[float, float]:
    """(seconds to wait before this message goes, seconds of pause left): the message goes
    `interval` after the slot taken before it by anyone, and not inside a pause."""
    now = CLOCK[conn.dialect.name]
    start = _latest(conn, pace.c.next_free, pace.c.paused_until, now)
    stmt = dialect_insert(conn)(pace).values(id=ROW, next_free=now + interval, paused_until=0.0)
    stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={"next_free": start + interval})
    taken = stmt.returning(pace.c.next_free - interval - now, pace.c.paused_until - now)
    wait, left = (await conn.execute(taken)).one()
    return max(0.0, wait), max(0.0, left)


async def count(conn: AsyncConnection, sent: int, *, interval: float) -> float:
    """`sent` replies went out lately: later slots make room for them. Returns the seconds of
    pause left (0 when none), which every process keeps for its replies too."""
    now = CLOCK[conn.dialect.name]
    moved = _latest(conn, pace.c.next_free, now) + sent * interval
    stmt = dialect_insert(conn)(pace).values(
        id=ROW, next_free=now + sent * interval, paused_until=0.0
    )
    stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={"next_free": moved})
    left = (await conn.execute(stmt.returning(pace.c.paused_until - now))).scalar_one()
    return max(0.0, left)


async def pause(conn: AsyncConnection, seconds: float) -> None:
    """Telegram said "retry after": no process sends for `seconds` from now."""
    until = CLOCK[conn.dialect.name] + seconds
    stmt = dialect_insert(conn)(pace).values(id=ROW, next_free=until, paused_until=until)
    later = _latest(conn, pace.c.paused_until, until)
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["id"], set_={"paused_until": later})
    )


async def pause_left(conn: AsyncConnection) -> float:
    """Seconds of pause left (0 when none)."""
    found = select(pace.c.paused_until - CLOCK[conn.dialect.name]).where(pace.c.id == ROW)
    left = (await conn.execute(found)).scalar_one_or_none()
    return max(0.0, left or 0.0)
