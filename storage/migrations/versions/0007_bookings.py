"""bookings, surveys and fair opening of sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 03:10:31.441608
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=True),
        sa.Column("student_name", sa.String(length=60), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("booked_by", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("attendance", sa.String(length=10), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("survey_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_bookings_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_bookings_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["users.id"],
            name=op.f("fk_bookings_student_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookings_school_id"), ["school_id"], unique=False)
        batch_op.create_index("ix_bookings_session_status", ["session_id", "status"], unique=False)
        batch_op.create_index("ix_bookings_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bookings_student_id"), ["student_id"], unique=False)
        batch_op.create_index(
            "uq_bookings_active_student",
            ["session_id", "student_id"],
            unique=True,
            sqlite_where=sa.text(
                "status IN ('requested', 'confirmed', 'offered', 'waitlisted', 'entered')"
            ),
            postgresql_where=sa.text(
                "status IN ('requested', 'confirmed', 'offered', 'waitlisted', 'entered')"
            ),
        )

    op.create_table(
        "survey_answers",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_survey_answers_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_survey_answers")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("school_cap", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lottery_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lottery_seed", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("lottery_seed")
        batch_op.drop_column("lottery_until")
        batch_op.drop_column("opens_at")
        batch_op.drop_column("school_cap")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("place")

    op.drop_table("survey_answers")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_bookings_active_student",
            sqlite_where=sa.text(
                "status IN ('requested', 'confirmed', 'offered', 'waitlisted', 'entered')"
            ),
            postgresql_where=sa.text(
                "status IN ('requested', 'confirmed', 'offered', 'waitlisted', 'entered')"
            ),
        )
        batch_op.drop_index(batch_op.f("ix_bookings_student_id"))
        batch_op.drop_index("ix_bookings_status_expires")
        batch_op.drop_index("ix_bookings_session_status")
        batch_op.drop_index(batch_op.f("ix_bookings_school_id"))

    op.drop_table("bookings")
