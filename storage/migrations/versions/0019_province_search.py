"""province search: what a search reads at a province's 40,000 programmes (`python -m bench
scale`)

- program_search keeps a copy of its programme's next session (`sort_start`), as
  program_grams does, so a search by a longer word ranks its matches (5,400 for a common
  word) without reading each one's programme;
- the field and the district, the filters that narrow most, are indexed with the next
  session (and the next with a free seat) and the id, so a search by one of them counts and
  orders its matches from the index instead of reading every programme's wide row twice;
  these take the place of their own indexes. The type and the online flag are indexed so
  on PostgreSQL only (PROVINCE_ONLY, storage/migrate.py leaves them out of the comparison
  with the models): there they took a province's search p95 from 25 to 11 ms, while SQLite,
  which keeps no statistics, chose them over better indexes (filters p95 15 to 25 ms).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:40:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# storage.search.NEVER when this was written (a migration keeps its own copy).
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


# As storage/models/programs.py has it (a migration keeps its own copy of what it made).
SEARCH_FILTERS = ("field", "district")
PROVINCE_ONLY = ("type", "online")


def upgrade() -> None:
    op.drop_index("ix_programs_field", table_name="programs")
    op.drop_index("ix_programs_district", table_name="programs")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for column in SEARCH_FILTERS + (PROVINCE_ONLY if postgresql else ()):
        columns = [column, "next_start", "next_free_start", "id"]
        op.create_index(f"ix_programs_{column}_next", "programs", columns)
    with op.batch_alter_table("program_search") as batch_op:
        batch_op.add_column(sa.Column("sort_start", UTCDateTime(), nullable=True))
    docs = sa.table("program_search", sa.column("program_id"), sa.column("sort_start"))
    programs = sa.table("programs", sa.column("id"), sa.column("next_start"))
    next_start = (
        sa.select(programs.c.next_start).where(programs.c.id == docs.c.program_id).scalar_subquery()
    )
    never = sa.literal(NEVER, UTCDateTime())
    op.execute(docs.update().values(sort_start=sa.func.coalesce(next_start, never)))
    with op.batch_alter_table("program_search") as batch_op:
        batch_op.alter_column("sort_start", existing_type=UTCDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("program_search") as batch_op:
        batch_op.drop_column("sort_start")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for column in SEARCH_FILTERS + (PROVINCE_ONLY if postgresql else ()):
        op.drop_index(f"ix_programs_{column}_next", table_name="programs")
    op.create_index("ix_programs_district", "programs", ["district"])
    op.create_index("ix_programs_field", "programs", ["field"])
