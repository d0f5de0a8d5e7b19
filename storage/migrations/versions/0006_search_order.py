"""search order kept beside the index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 04:00:00

Each short search piece carries whether it is in the title and its programme's next
session, so the index `ix_program_grams_order` lists a term's matches in result order;
programmes also keep their next session with a free seat, and the session indexes carry
what the date and free-seat filters test. See storage/search.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# storage.search.NEVER, as each database stores it (the migration must not import the app).
NEVER = {"sqlite": "9999-12-31 00:00:00.000000", "postgresql": "9999-12-31 00:00:00+00"}
WINDOW = ("status", "booked", "capacity")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_free_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_programs_next_free_start"), ["next_free_start"], unique=False
        )
    # On SQLite the table is rebuilt WITHOUT ROWID (rows kept in the primary key's b-tree).
    with op.batch_alter_table(
        "program_grams",
        recreate="always" if dialect == "sqlite" else "auto",
        table_kwargs={"sqlite_with_rowid": False},
    ) as batch_op:
        batch_op.add_column(
            sa.Column("in_title", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "sort_start",
                sa.DateTime(timezone=True),
                server_default=sa.text(f"'{NEVER[dialect]}'"),
                nullable=False,
            )
        )
    op.create_index(
        "ix_program_grams_order",
        "program_grams",
        ["gram", sa.text("in_title DESC"), "sort_start", "program_id"],
        unique=False,
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_program_starts")
        batch_op.drop_index("ix_sessions_starts_at")
        batch_op.create_index(
            "ix_sessions_program_window", ["program_id", "starts_at", *WINDOW], unique=False
        )
        batch_op.create_index(
            "ix_sessions_window", ["starts_at", "program_id", *WINDOW], unique=False
        )
    # Fill the new columns for programmes already indexed.
    found = "instr" if dialect == "sqlite" else "strpos"
    op.execute(
        "UPDATE program_grams SET "
        f"in_title = COALESCE((SELECT {found}(s.title, program_grams.gram) > 0 "
        "FROM program_search s WHERE s.program_id = program_grams.program_id), FALSE), "
        "sort_start = COALESCE((SELECT p.next_start FROM programs p "
        f"WHERE p.id = program_grams.program_id), '{NEVER[dialect]}')"
    )
    op.execute(
        "UPDATE programs SET next_free_start = (SELECT min(s.starts_at) FROM sessions s "
        "WHERE s.program_id = programs.id AND s.status = 'scheduled' "
        "AND s.starts_at > CURRENT_TIMESTAMP AND s.booked < s.capacity)"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_window")
        batch_op.drop_index("ix_sessions_program_window")
        batch_op.create_index("ix_sessions_starts_at", ["starts_at"], unique=False)
        batch_op.create_index(
            "ix_sessions_program_starts", ["program_id", "starts_at"], unique=False
        )
    op.drop_index("ix_program_grams_order", table_name="program_grams")
    with op.batch_alter_table(
        "program_grams",
        recreate="always" if dialect == "sqlite" else "auto",
        table_kwargs={"sqlite_with_rowid": True},
    ) as batch_op:
        batch_op.drop_column("sort_start")
        batch_op.drop_column("in_title")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programs_next_free_start"))
        batch_op.drop_column("next_free_start")
