"""a guardian's consent names the guardian: the mobile number the student gave, the
relationship the guardian confirmed, how they were identified, and a later withdrawal

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consent_requests") as batch_op:
        batch_op.add_column(sa.Column("guardian_phone", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("relationship", sa.String(10), nullable=True))
        batch_op.add_column(sa.Column("method", sa.String(10), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_consent_requests_answered_by", ["answered_by", "status"], unique=False
        )
    # Answers recorded before this came through the link alone (or on paper, recorded by a
    # teacher): say so, so every answered request names how its guardian was identified.
    op.execute(
        "UPDATE consent_requests SET method = CASE WHEN answered_by IN "
        "(SELECT id FROM users WHERE role = 'teacher') THEN 'paper' ELSE 'link' END "
        "WHERE status IN ('given', 'declined')"
    )


def downgrade() -> None:
    with op.batch_alter_table("consent_requests") as batch_op:
        batch_op.drop_index("ix_consent_requests_answered_by")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("method")
        batch_op.drop_column("relationship")
        batch_op.drop_column("guardian_phone")
