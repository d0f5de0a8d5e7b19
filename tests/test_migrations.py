"""The migrations build exactly the tables the models describe, on both databases: a column
added to a model without its migration (or the other way round) fails here, not in a city's
database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import include_object
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
