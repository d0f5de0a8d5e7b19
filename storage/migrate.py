"""Run Alembic migrations from code: the bot, the demo and the tests all migrate this way."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


# Indexes Alembic cannot compare: PostgreSQL's trigram index and its search indexes of the
# type and online filters are made by hand in a migration (0019: SQLite, with no statistics,
# chose those over better ones), and an index over an expression (in_title DESC) reads back
# only approximately.
UNCOMPARED_INDEXES = {
    "ix_program_search_doc_trgm",
    "ix_program_grams_order",
    "ix_programs_type_next",
    "ix_programs_online_next",
}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What Alembic compares with the models: not SQLite's FTS5 table and its shadow
    tables, which a migration makes by hand, nor the indexes above."""
    if type_ == "index" and name in UNCOMPARED_INDEXES:
        return False
    return not (type_ == "table" and name.startswith("program_fts"))


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def migrate(database_url: str, revision: str = "head") -> None:
    """Upgrade the database to `revision` (creating a SQLite file's folder if needed)."""
    if database_url.startswith("sqlite") and ":///" in database_url:
        path = database_url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_upgrade, revision)
            await conn.commit()
    finally:
        await engine.dispose()


def _upgrade(connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)
