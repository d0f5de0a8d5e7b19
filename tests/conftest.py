"""Shared fixtures: `db` on SQLite and PostgreSQL, the sandbox, the running bot and personas.

PostgreSQL runs when TEST_POSTGRES_URL is set (CI sets it). A set URL with no
server behind it fails the tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import Settings
from storage.db import Database
from storage.inspections import seed_checklist
from storage.migrate import migrate
from storage.models import Base, utcnow

# Parallel workers (pytest-xdist, `make test` runs several) each get a database of their own,
# the given one's name with the worker's after it (test_gw0, test_gw1, ...), made when missing.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
_GIVEN_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL") or None
POSTGRES_URL = (
    _GIVEN_POSTGRES_URL
    if _GIVEN_POSTGRES_URL is None or _WORKER is None
    else make_url(_GIVEN_POSTGRES_URL)
    .set(database=f"{make_url(_GIVEN_POSTGRES_URL).database}_{_WORKER}")
    .render_as_string(hide_password=False)
)
ADMIN_ID = 9001
KST = ZoneInfo("Asia/Seoul")
DEMO_TOKEN = "123456789:TEST-token-for-the-sandbox-only"

_sqlite_template: Path | None = None
_moved_clock = None


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        default=os.environ.get("JINRO_TEST_CLOCK"),
        help="run the whole session with the machine's clock moved to this ISO 8601 moment "
        "(ticking from there), e.g. 2026-12-31T23:30+09:00; also JINRO_TEST_CLOCK",
    )


def pytest_configure(config):
    """Time is an input: the suite must pass at any date and hour, so `make test-clocks` runs
    it with the clock moved to moments that have broken date code elsewhere (a year's last
    minutes, a month's first, a leap day, the small hours of a Monday)."""
    global _moved_clock
    moment = config.getoption("--clock")
    if moment:
        start = datetime.fromisoformat(moment)
        if start.tzinfo is None:
            raise pytest.UsageError("--clock needs a time zone, e.g. 2027-03-01T00:10+09:00")
        _moved_clock = time_machine.travel(start, tick=True)
        _moved_clock.start()


def pytest_unconfigure(config):
    if _moved_clock is not None:
        _moved_clock.stop()


def pytest_report_header(config):
    moment = config.getoption("--clock")
    return f"clock moved to {moment}" if moment else None


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
    if not _postgres_migrated and POSTGRES_URL != _GIVEN_POSTGRES_URL:
        await _create_database(POSTGRES_URL)
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


async def _create_database(url: str) -> None:
    """CREATE DATABASE for a worker, from a connection to the given database."""
    name = make_url(url).database
    engine = create_async_engine(_GIVEN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


# Loggers whose ERROR records mean the bot failed: the error handler (bot.errors), a clock
# tick that caught its own failure (handlers.*), a clock job that raised (apscheduler), PTB.
FAILURE_LOGGERS = ("bot", "handlers", "storage", "apscheduler", "telegram.ext")


class _Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if any(record.name == p or record.name.startswith(p + ".") for p in FAILURE_LOGGERS):
            self.records.append(record)


@pytest.fixture(autouse=True)
def no_handler_errors(request):
    """A test during which the bot's error handler ran (or a clock job failed) fails, unless
    it says it expects that with `@pytest.mark.handler_errors`: a broken button must not hide
    behind a test that only checks the other chats."""
    failures = _Failures()
    root = logging.getLogger()
    root.addHandler(failures)
    try:
        yield failures
    finally:
        root.removeHandler(failures)
    if failures.records and request.node.get_closest_marker("handler_errors") is None:
        first = failures.records[0]
        detail = f"{first.name}: {first.getMessage()}"
        if first.exc_info and first.exc_info[1] is not None:
            detail += f" ({type(first.exc_info[1]).__name__}: {first.exc_info[1]})"
        pytest.fail(f"the bot failed {len(failures.records)} time(s) during the test: {detail}")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(("sandbox", "tests")):  # the stand-ins, not the bot
            self.records.append(record)


def _personal(text: str) -> bool:
    """Worth looking for in a log: a name or words a person wrote, not "/help" or "2"."""
    return not text.startswith("/") and (not text.isascii() or len(text) >= 6)


@pytest.fixture(autouse=True)
def no_personal_data_in_logs():
    """No log line written during a test (INFO and up, by the bot and its libraries) holds a
    name or a text any simulated person typed: logs keep ids and types only."""
    from sandbox.client import SAID

    SAID.clear()
    records = _Records()
    root = logging.getLogger()
    root.addHandler(records)
    try:
        yield
    finally:
        root.removeHandler(records)
    formatter = logging.Formatter()
    said = [text for text in SAID if _personal(text)]
    for record in records.records:
        line = record.getMessage()
        if record.exc_info:
            line += formatter.formatException(record.exc_info)
        leaked = [text for text in said if text in line]
        assert not leaked, f"{record.name} logged what a person wrote: {leaked}"


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
async def postgres_db() -> AsyncIterator[Database]:
    """PostgreSQL only, for what only PostgreSQL does (two connections racing, one-statement
    paths); skipped without TEST_POSTGRES_URL."""
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    database = Database(await postgres_database())
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
        # A test's person presses far faster than a real one; tests/test_flood_e2e.py sets
        # its own limit to see the flood guard at work.
        flood_rate=100,
        flood_burst=1000,
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

    await load_demo_data(db, now=utcnow())
    return db


@pytest.fixture
async def bot(sandbox, db_url, demo):
    """The real bot, polling the sandbox over HTTP, on the test database."""
    from bot.runner import running_bot
    from sandbox.client import HandledUpdates

    async with running_bot(make_settings(db_url, sandbox.api_base)) as application:
        sandbox.handled = HandledUpdates()
        application.update_processor.on_handled = sandbox.handled.mark
        yield application
        sandbox.handled = None


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
