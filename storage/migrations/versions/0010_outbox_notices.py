"""what a notice in the outbox needs to say; the unused survey_sent_at goes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (SQLite has had DROP COLUMN since 3.35): a batch
    # copy of bookings would have to rebuild its partial unique index by hand.
    op.add_column("reminders", sa.Column("detail", sa.String(length=200), nullable=True))
    # The survey is a reminder row (student_survey); this column was never written.
    op.drop_column("bookings", "survey_sent_at")


def downgrade() -> None:
    op.add_column("bookings", sa.Column("survey_sent_at", sa.DateTime(timezone=True)))
    op.drop_column("reminders", "detail")
