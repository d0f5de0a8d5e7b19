"""broadcasts, and the outbox rows that deliver them

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_NAME = "fk_reminders_broadcast_id_broadcasts"


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_role", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media_kind", sa.String(length=10), nullable=True),
        sa.Column("media_file_id", sa.String(length=200), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("progress_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.Integer(), nullable=True),
        sa.Column("progress_shown", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_broadcasts_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_broadcasts_author_id"), "broadcasts", ["author_id"], unique=False)
    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot ALTER a constraint in: batch mode copies the outbox with the new
        # column and its named foreign key (a column's inline REFERENCES loses the name).
        with op.batch_alter_table("reminders") as batch_op:
            batch_op.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(FK_NAME), "broadcasts", ["broadcast_id"], ["id"], ondelete="CASCADE"
            )
    else:
        op.add_column("reminders", sa.Column("broadcast_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(FK_NAME), "reminders", "broadcasts", ["broadcast_id"], ["id"], ondelete="CASCADE"
        )
    op.create_index(op.f("ix_reminders_broadcast_id"), "reminders", ["broadcast_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_broadcast_id"), table_name="reminders")
    if op.get_context().dialect.name == "sqlite":
        # SQLite will not drop a column a foreign key uses: copy the table without it.
        with op.batch_alter_table("reminders") as batch_op:
            batch_op.drop_column("broadcast_id")
    else:
        op.drop_constraint(op.f(FK_NAME), "reminders", type_="foreignkey")
        op.drop_column("reminders", "broadcast_id")
    op.drop_index(op.f("ix_broadcasts_author_id"), table_name="broadcasts")
    op.drop_table("broadcasts")
