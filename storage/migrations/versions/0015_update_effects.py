"""each update's changes are recorded with its id: a re-handled update applies nothing twice;
Telegram's pace is shared by every process; the outbox sends one message at a time per person

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Ids recorded before this were claimed before handling: they count as finished.
    op.add_column("processed_updates", sa.Column("applied", sa.JSON(), nullable=True))
    op.add_column(
        "processed_updates",
        sa.Column("finished", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_table(
        "send_pace",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_free", sa.Double(), nullable=False),
        sa.Column("paused_until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_pace")),
    )
    # The outbox's claim skips people written to in the last second.
    op.create_index(op.f("ix_reminders_sent_at"), "reminders", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_sent_at"), table_name="reminders")
    op.drop_table("send_pace")
    with op.batch_alter_table("processed_updates") as batch_op:
        batch_op.drop_column("finished")
        batch_op.drop_column("applied")
