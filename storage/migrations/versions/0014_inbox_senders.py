"""the inbox keeps each sender's updates in order across processes; poison updates are
quarantined

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Updates stored before this have no sender: they are handed out as before, each alone.
    op.add_column("inbox_updates", sa.Column("sender", sa.BigInteger(), nullable=True))
    op.add_column(
        "inbox_updates",
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("inbox_updates", sa.Column("quarantined_at", UTCDateTime(), nullable=True))
    op.add_column("inbox_updates", sa.Column("problem", sa.String(length=80), nullable=True))
    op.create_index(
        "ix_inbox_updates_sender", "inbox_updates", ["sender", "update_id"], unique=False
    )
    op.create_table(
        "inbox_holders",
        sa.Column("sender", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("leased_until", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sender", name=op.f("pk_inbox_holders")),
    )


def downgrade() -> None:
    op.drop_table("inbox_holders")
    op.drop_index("ix_inbox_updates_sender", table_name="inbox_updates")
    for column in ("problem", "quarantined_at", "attempts", "sender"):
        op.drop_column("inbox_updates", column)
