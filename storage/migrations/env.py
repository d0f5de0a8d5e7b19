"""Alembic environment: migrates the database named by DATABASE_URL, or a given connection."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import include_object
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    from bot.settings import load_settings

    engine = create_async_engine(load_settings().database_url)
    async with engine.connect() as conn:
        await conn.run_sync(run_with)
        await conn.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    asyncio.run(run_from_settings())
