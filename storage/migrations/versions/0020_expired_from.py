"""expired from: whether an expired booking was a request no teacher answered in time or a
seat offered from the waiting list that was not taken, so /my can say which (issue 20)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("expired_from", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("expired_from")
