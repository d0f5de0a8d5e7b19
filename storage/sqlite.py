"""A leaner aiosqlite adapter for SQLAlchemy: one thread hop per statement instead of four.

aiosqlite runs every call on its connection's own thread. SQLAlchemy's adapter
makes four such calls per statement (open a cursor, execute, fetch, close), and
each hop costs a thread wake-up and a GIL hand-over: a one-row read cost about
2 ms of CPU, which made the database the bot's bottleneck. This cursor does
the whole statement in one call on that thread and keeps the results, so a
statement costs one hop. A write transaction's BEGIN IMMEDIATE waits for its first
statement and goes to the thread with it: one hop less per write. Everything else is
SQLAlchemy's own adapter.

It leans on private parts of aiosqlite and SQLAlchemy (PRIVATE_PARTS). A release of either
that renames one must not stop the bot: at import they are looked for, and if one is gone
`one_hop_dbapi()` gives SQLAlchemy's stock adapter instead, with one warning in the log
(four hops a statement: slower, still correct; BEGIN IMMEDIATE is then its own statement).
"""

from __future__ import annotations

import collections
import logging
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

try:
    from sqlalchemy.util.concurrency import await_
except ImportError:  # moved in a later SQLAlchemy: the stock adapter is used (below)
    await_ = None

log = logging.getLogger(__name__)

# storage/db.py begins every write transaction so; it is sent with the first statement.
BEGIN_IMMEDIATE = "BEGIN IMMEDIATE"

# What the one-hop adapter uses that neither library promises to keep.
PRIVATE_PARTS: dict[type, tuple[str, ...]] = {
    AsyncAdapt_aiosqlite_connection: (
        "_connection",
        "_execute_mutex",
        "_handle_exception",
        "_cursor_cls",
    ),
    AsyncAdapt_aiosqlite_cursor: ("_adapt_connection", "_connection", "_cursor", "_rows"),
    aiosqlite.Connection: ("_execute", "_conn", "in_transaction"),
}


def missing_parts(parts: dict[type, tuple[str, ...]] = PRIVATE_PARTS) -> list[str]:
    """The private parts the one-hop adapter needs that these library versions lack."""
    missing = [
        f"{owner.__module__}.{owner.__qualname__}.{name}"
        for owner, names in parts.items()
        for name in names
        if not hasattr(owner, name)
    ]
    if await_ is None:
        missing.append("sqlalchemy.util.concurrency.await_")
    return missing


MISSING = missing_parts()
if MISSING:
    log.warning(
        "SQLite: the fast adapter needs %s, which this aiosqlite or SQLAlchemy lacks; "
        "using SQLAlchemy's own adapter (slower, still correct)",
        ", ".join(MISSING),
    )


def _run_statement(
    raw: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: bool
):
    """Runs on aiosqlite's thread: (begin,) execute, fetch everything, close."""
    if begin:
        raw.execute(BEGIN_IMMEDIATE)
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No cursor is opened here: the statement opens and closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None

    @property
    def description(self):
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self):
        return self._lastrowid

    async def _async_soft_close(self) -> None:
        """Nothing to close: results are already fetched."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        if operation == BEGIN_IMMEDIATE:
            self._adapt_connection._begin = True  # sent with the next statement
            self._description, self._rowcount, self._rows = None, -1, collections.deque()
            return
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            result = await_(self._hop(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows)

    async def _hop(self, operation: Any, parameters: Any, many: bool):
        adapted = self._adapt_connection
        async with adapted._execute_mutex:
            begin, adapted._begin = adapted._begin, False
            return await self._connection._execute(
                _run_statement, self._connection._conn, operation, parameters, many, begin
            )


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi, connection) -> None:
        super().__init__(dbapi, connection)
        self._begin = False  # a BEGIN IMMEDIATE waiting for the transaction's first statement

    # Outside a transaction COMMIT and ROLLBACK do nothing; skip their thread hop (a
    # transaction that ran no statement never began).
    def commit(self) -> None:
        self._begin = False
        if self._connection.in_transaction:
            super().commit()

    def rollback(self) -> None:
        self._begin = False
        if self._connection.in_transaction:
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to create_async_engine for a sqlite+aiosqlite URL."""

    def connect(self, *args: Any, **kwargs: Any) -> OneHopConnection:
        adapted = super().connect(*args, **kwargs)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The one-hop adapter, or SQLAlchemy's own when a private part it needs is gone."""
    if MISSING:
        return AsyncAdapt_aiosqlite_dbapi(aiosqlite, sqlite3)
    return OneHopDBAPI(aiosqlite, sqlite3)
