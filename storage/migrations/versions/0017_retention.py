"""retention: a user's last day seen and a student's last day at school, and the indexes the
erasure, the retention sweep and a person's audit trail look people and old rows up by

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime
from storage.school_year import leaves_on

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As storage/models/bookings.py has it (a migration keeps its own copy of what it made).
WORDS_SQL = "reason IS NOT NULL OR (student_id IS NULL AND student_name IS NOT NULL)"
# The city's time zone is a setting the migration does not see; a joining day counted in
# Seoul's is off by a few hours at most elsewhere in Korea's one zone.
CITY = ZoneInfo("Asia/Seoul")
INDEXES = (
    ("bookings", "ix_bookings_booked_by", ["booked_by"]),
    ("bookings", "ix_bookings_decided_by", ["decided_by"]),
    ("survey_answers", "ix_survey_answers_answered_at", ["answered_at"]),
    ("cases", "ix_cases_closed_at", ["closed_at"]),
    ("case_messages", "ix_case_messages_sender_id", ["sender_id"]),
    ("case_messages", "ix_case_messages_to_user_id", ["to_user_id"]),
    ("mentor_requests", "ix_mentor_requests_closed_at", ["closed_at"]),
    ("audit_log", "ix_audit_log_actor_at", ["actor_id", "at"]),
    ("audit_log", "ix_audit_log_object_at", ["object_type", "object_id", "at"]),
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("seen_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("leaves_on", sa.Date(), nullable=True))
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    words = sa.text(WORDS_SQL)
    op.create_index(
        "ix_bookings_words", "bookings", ["id"], sqlite_where=words, postgresql_where=words
    )
    _backfill()


def _backfill() -> None:
    """Everyone was last seen no earlier than they came; a student leaves by the grade they
    gave when they came (the row's creation stands in for their joining)."""
    bind = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.BigInteger),
        sa.column("role", sa.String),
        sa.column("grade", sa.Integer),
        sa.column("created_at", UTCDateTime()),
        sa.column("seen_on", sa.Date),
        sa.column("leaves_on", sa.Date),
    )
    rows = bind.execute(sa.select(users.c.id, users.c.role, users.c.grade, users.c.created_at))
    values = []
    for user_id, role, grade, created in rows.all():
        day = created.astimezone(CITY).date()
        student = role == "student" and grade in (1, 2, 3)
        values.append(
            {"uid": user_id, "seen": day, "leaves": leaves_on(day, grade) if student else None}
        )
    if values:
        bind.execute(
            sa.update(users)
            .where(users.c.id == sa.bindparam("uid"))
            .values(seen_on=sa.bindparam("seen"), leaves_on=sa.bindparam("leaves")),
            values,
        )


def downgrade() -> None:
    op.drop_index("ix_bookings_words", table_name="bookings")
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("leaves_on")
        batch_op.drop_column("seen_on")
