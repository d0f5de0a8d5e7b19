"""fields a user looked at, for /foryou

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "field_interests",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_field_interests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "field", name=op.f("pk_field_interests")),
    )


def downgrade() -> None:
    op.drop_table("field_interests")
