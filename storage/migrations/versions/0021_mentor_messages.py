"""mentor messages: words between a mentoring request's requester and its mentor, relayed by
the bot within the request (issue 20)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentor_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("from_mentor", sa.Boolean(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mentor_requests.id"],
            name=op.f("fk_mentor_messages_request_id_mentor_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_messages")),
    )
    op.create_index(
        op.f("ix_mentor_messages_request_id"), "mentor_messages", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mentor_messages_request_id"), table_name="mentor_messages")
    op.drop_table("mentor_messages")
