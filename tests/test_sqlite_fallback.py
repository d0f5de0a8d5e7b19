"""The SQLite fast path is guarded (storage/sqlite.py): it leans on private parts of aiosqlite
and SQLAlchemy, and when a release renames one the bot falls back to SQLAlchemy's own adapter
with one warning, and stays correct: no seat sold twice, nothing half-written."""

from __future__ import annotations

import importlib
import logging

import aiosqlite
import pytest
from sqlalchemy import select
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

import storage.sqlite as fast
from storage import bookings
from storage.db import Database
from storage.models import Booking
from tests.conftest import sqlite_database
from tests.test_bookings import HOLD, NOW, apply, contend, seat_counts, user, world


class Renamed:
    """A library class whose private method a new release renamed."""

    def _execute_renamed(self): ...


def test_the_versions_installed_have_every_part_the_fast_path_needs():
    # What CI installs (the lock) runs the fast path: the fallback is for a surprise upgrade.
    assert fast.MISSING == []
    assert isinstance(fast.one_hop_dbapi(), fast.OneHopDBAPI)


def test_a_renamed_private_part_is_named():
    missing = fast.missing_parts({Renamed: ("_execute", "_execute_renamed")})
    assert missing == [f"{__name__}.Renamed._execute"]


def test_a_library_without_a_part_gives_the_stock_adapter_and_one_warning(monkeypatch, caplog):
    monkeypatch.delattr(aiosqlite.Connection, "_execute")
    try:
        with caplog.at_level(logging.WARNING, logger="storage.sqlite"):
            importlib.reload(fast)
        assert fast.MISSING == ["aiosqlite.core.Connection._execute"]
        warnings = [r for r in caplog.records if r.name == "storage.sqlite"]
        assert len(warnings) == 1 and "Connection._execute" in warnings[0].getMessage()
        dbapi = fast.one_hop_dbapi()
        assert type(dbapi) is AsyncAdapt_aiosqlite_dbapi
    finally:
        monkeypatch.undo()
        importlib.reload(fast)
    assert fast.MISSING == []


@pytest.fixture
async def stock_db(tmp_path, monkeypatch):
    """A database on SQLAlchemy's stock aiosqlite adapter, as after a surprise upgrade."""
    monkeypatch.setattr(fast, "MISSING", ["a renamed private part"])
    database = Database(await sqlite_database(tmp_path))
    assert type(database.writer.dialect.dbapi) is AsyncAdapt_aiosqlite_dbapi
    yield database
    await database.dispose()


async def test_the_stock_adapter_sells_no_seat_twice(stock_db):
    w = await world(stock_db, capacity=20, students=200)
    await contend(stock_db, lambda s: apply(stock_db, s, w["session"]), w["students"])
    assert await seat_counts(stock_db, w["session"]) == (20, 20, 20, 180)


async def test_the_stock_adapter_writes_nothing_half(stock_db):
    w = await world(stock_db, capacity=5, students=1)
    student = await user(stock_db, w["students"][0])
    with pytest.raises(RuntimeError):
        async with stock_db.write() as conn:
            await bookings.apply(conn, student, w["session"], hold=HOLD, now=NOW)
            raise RuntimeError("the handler failed after the booking was written")
    async with stock_db.read() as conn:
        assert (await conn.execute(select(Booking.id))).first() is None
    assert await seat_counts(stock_db, w["session"]) == (5, 0, 0, 0)
