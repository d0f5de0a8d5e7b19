"""Shared fixtures: `db` on SQLite and PostgreSQL, the sandbox, the running bot and personas.

PostgreSQL runs when TEST_POSTGRES_URL is set (CI sets it). A set URL with no
server behind it fails the tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import Settings
from storage.db import Database
from storage.inspections import seed_checklist
from storage.migrate import migrate
from storage.models import Base

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
ADMIN_ID = 9001
KST = ZoneInfo("Asia/Seoul")
DEMO_TOKEN = "123456789:TEST-token-for-the-sandbox-only"

_sqlite_template: Path | None = None
_postgres_migrated = False


async def sqlite_database(tmp_path: Path) -> str:
    """A migrated SQLite file; migrating once and copying keeps each test fast."""
    global _sqlite_template
    if _sqlite_template is None or not _sqlite_template.exists():
        template_dir = Path(os.environ.get("PYTEST_TMP_TEMPLATE", tmp_path.parent))
        _sqlite_template = template_dir / "migrated-template.sqlite3"
        _sqlite_template.unlink(missing_ok=True)
        await migrate(f"sqlite+aiosqlite:///{_sqlite_template}")
    path = tmp_path / "jinro.sqlite3"
    shutil.copy(_sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def postgres_database() -> str:
    """The test database, migrated once per run and emptied before every test."""
    global _postgres_migrated
    engine = create_async_engine(POSTGRES_URL)
    try:
        if not _postgres_migrated:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await migrate(POSTGRES_URL)
            _postgres_migrated = True
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # The checklist's default items are data the migration seeds; put them back.
            await seed_checklist(conn)
    finally:
        await engine.dispose()
    return POSTGRES_URL


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return await sqlite_database(tmp_path)
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    return await postgres_database()


@pytest.fixture
async def db(db_url) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(tmp_path) -> AsyncIterator[Database]:
    """SQLite only, for tests of SQLite-specific behaviour."""
    database = Database(await sqlite_database(tmp_path))
    yield database
    await database.dispose()


def make_settings(db_url: str, api_url: str, **overrides) -> Settings:
    values = dict(
        bot_token=DEMO_TOKEN,
        bot_api_url=api_url,
        database_url=db_url,
        admin_ids=frozenset({ADMIN_ID}),
    )
    values.update(overrides)
    return Settings(**values)


async def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll an async or plain predicate until it is truthy; returns its value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


@pytest.fixture
def tuesday_morning():
    """Next Tuesday 10:00 in Seoul, the clock ticking from there. Students hear news only
    between 08:00 and 21:00 (and teachers' digests come on school days): a test that waits
    for such a message must not depend on the hour it runs at."""
    today = datetime.now(KST).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    start = datetime.combine(tuesday, time(10, 0), tzinfo=KST)
    with time_machine.travel(start, tick=True):
        yield start


# ----- the sandbox, the running bot and demo data -------------------------------------------


@pytest.fixture
async def sandbox() -> AsyncIterator:
    from sandbox.client import SandboxClient
    from sandbox.server import start_sandbox

    running = await start_sandbox(port=0, token=DEMO_TOKEN)
    async with SandboxClient(running.url, token=DEMO_TOKEN) as client:
        client.api_base = running.api_base
        yield client
    await running.stop()


@pytest.fixture
async def demo(db):
    """The demo data (schools, sites, programmes, mentors) loaded into `db`."""
    from storage.demo_data import load_demo_data

    await load_demo_data(db)
    return db


@pytest.fixture
async def bot(sandbox, db_url, demo):
    """The real bot, polling the sandbox over HTTP, on the test database."""
    from bot.runner import running_bot

    async with running_bot(make_settings(db_url, sandbox.api_base)) as application:
        yield application


async def join_as_student(sandbox, user_id, name, *, under14=False, school="정발", grade=2):
    """A student goes through joining by typing and pressing, as in the chat."""
    student = sandbox.user(user_id, name)
    await student.send("/start")
    await student.press("학생이에요")
    await student.send(school)
    await student.press(school)
    await student.press(f"{grade}학년")
    await student.send(name)
    await student.press("네 (만 14세 미만)" if under14 else "아니요")
    return student
