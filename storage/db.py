"""Database engines: one writer and a reader pool on SQLite, one pool on PostgreSQL.

SQLite has one writer. Every write transaction goes through one dedicated
connection (a pool of one) and starts with BEGIN IMMEDIATE, so writers queue in
the pool instead of failing with "database is locked"; reads use their own
engine and, thanks to WAL, never wait for the writer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.sqlite import BEGIN_IMMEDIATE, one_hop_dbapi

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(engine: AsyncEngine, *, writer: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn) -> None:
        # IMMEDIATE takes the write lock at the start, so a transaction never fails
        # halfway when it first writes after reading. Readers open no transaction:
        # each SELECT reads its own consistent snapshot, and a thread hop is saved.
        if writer:
            conn.exec_driver_sql(BEGIN_IMMEDIATE)  # sent with the first statement (sqlite.py)


class Database:
    """The application's database: `write()` and `read()` give transactional connections."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            sqlite = {"module": one_hop_dbapi()}
            self.writer = create_async_engine(
                url, echo=echo, pool_size=1, max_overflow=0, pool_timeout=60, **sqlite
            )
            self.reader = create_async_engine(url, echo=echo, pool_size=4, max_overflow=4, **sqlite)
            _sqlite_pragmas(self.writer, writer=True)
            _sqlite_pragmas(self.reader, writer=False)
        else:
            self.writer = create_async_engine(
                url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True
            )
            self.reader = self.writer

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def write(self, *, idempotent: bool = False) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed on success, rolled back on any error.
        (`idempotent` matters only while an update is handled: bot/effects.py.)"""
        async with self.writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.reader.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def dialect_insert(conn: AsyncConnection):
    """The dialect's INSERT construct, which has ON CONFLICT on SQLite and PostgreSQL alike."""
    return dialect_insert_for(conn.dialect.name)


def dialect_insert_for(dialect: str):
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


def contains_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its wildcards escaped (use escape="\\")."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
