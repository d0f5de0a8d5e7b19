"""The migrations build exactly the tables the models describe, on both databases: a column
added to a model without its migration (or the other way round) fails here, not in a city's
database."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import alembic_config, include_object, migrate
from storage.models import Base


def differences(connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": include_object},
    )
    return compare_metadata(context, Base.metadata)


async def test_the_migrated_database_matches_the_models(db_url):
    engine = create_async_engine(db_url)  # `db_url` is migrated to head by the fixture
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert found == []


def _downgrade(connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


async def test_people_already_here_get_a_last_seen_day_and_students_a_leaving_day(db_url):
    """0017 fills in what the retention sweep needs for people who came before it."""
    engine = create_async_engine(db_url)
    joined = datetime(2026, 2, 27, 16, 0, tzinfo=UTC)  # 28 February in Seoul
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_downgrade, "0016")
            await conn.commit()
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, role, lang, grade, active, flow_data, created_at)"
                    " VALUES (1, 'student', 'ko', 3, true, '{}', :at),"
                    " (2, 'teacher', 'ko', NULL, true, '{}', :at)"
                ),
                {"at": joined.replace(tzinfo=None) if "sqlite" in db_url else joined},
            )
        await migrate(db_url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT id, seen_on, leaves_on FROM users ORDER BY id"))
            ).all()
    finally:
        await engine.dispose()
    # A third-grader of the school year 2025 (which ends in February 2026) leaves on 1 March.
    assert [(r[0], str(r[1]), r[2] and str(r[2])) for r in rows] == [
        (1, "2026-02-28", "2026-03-01"),
        (2, "2026-02-28", None),
    ]
