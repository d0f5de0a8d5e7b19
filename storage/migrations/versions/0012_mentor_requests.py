"""mentor requests: profiles, free slots, requests offered one mentor at a time, meetings

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_NAME = "fk_reminders_mentor_request_id_mentor_requests"


def upgrade() -> None:
    # The mentors table has no partial index: plain ALTER TABLE on both databases.
    op.add_column(
        "mentors",
        sa.Column("group_sessions", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "mentors",
        sa.Column("school_visits", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("mentors", sa.Column("title", sa.String(length=120), nullable=True))
    op.add_column("mentors", sa.Column("districts", sa.String(length=40), nullable=True))
    op.add_column(
        "mentors", sa.Column("max_open", sa.Integer(), server_default=sa.text("3"), nullable=False)
    )
    op.add_column(
        "mentors",
        sa.Column("open_requests", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "mentors", sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False)
    )

    op.create_table(
        "mentor_fields",
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["mentors.id"],
            name=op.f("fk_mentor_fields_mentor_id_mentors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mentor_id", "field", name=op.f("pk_mentor_fields")),
    )
    op.create_index(op.f("ix_mentor_fields_field"), "mentor_fields", ["field"], unique=False)

    op.create_table(
        "mentor_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(weekday IS NULL) <> (day IS NULL)", name=op.f("ck_mentor_slots_one_kind")
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["mentors.id"],
            name=op.f("fk_mentor_slots_mentor_id_mentors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_slots")),
    )
    op.create_index(op.f("ix_mentor_slots_mentor_id"), "mentor_slots", ["mentor_id"], unique=False)

    op.create_table(
        "mentor_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=500), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("joined <= capacity", name=op.f("ck_mentor_meetings_schools")),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["mentors.id"], name=op.f("fk_mentor_meetings_mentor_id_mentors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_meetings")),
    )
    op.create_index(
        op.f("ix_mentor_meetings_mentor_id"), "mentor_meetings", ["mentor_id"], unique=False
    )
    op.create_index(
        "ix_mentor_meetings_status_starts",
        "mentor_meetings",
        ["status", "starts_at"],
        unique=False,
    )

    op.create_table(
        "mentor_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.BigInteger(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("times", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("counted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mentor_meetings.id"],
            name=op.f("fk_mentor_requests_meeting_id_mentor_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["mentors.id"], name=op.f("fk_mentor_requests_mentor_id_mentors")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_mentor_requests_requester_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_mentor_requests_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_requests")),
    )
    op.create_index(
        op.f("ix_mentor_requests_meeting_id"), "mentor_requests", ["meeting_id"], unique=False
    )
    op.create_index(
        op.f("ix_mentor_requests_requester_id"), "mentor_requests", ["requester_id"], unique=False
    )
    op.create_index(
        op.f("ix_mentor_requests_school_id"), "mentor_requests", ["school_id"], unique=False
    )
    op.create_index(
        "ix_mentor_requests_status_offer",
        "mentor_requests",
        ["status", "offer_expires_at"],
        unique=False,
    )
    op.create_index(
        "ix_mentor_requests_mentor_status",
        "mentor_requests",
        ["mentor_id", "status"],
        unique=False,
    )

    op.create_table(
        "mentor_offers",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["mentors.id"], name=op.f("fk_mentor_offers_mentor_id_mentors")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["mentor_requests.id"],
            name=op.f("fk_mentor_offers_request_id_mentor_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "mentor_id", name=op.f("pk_mentor_offers")),
    )
    op.create_index(
        "ix_mentor_offers_mentor_offered",
        "mentor_offers",
        ["mentor_id", "offered_at"],
        unique=False,
    )

    # The outbox points at a request. reminders has no partial index; on SQLite a foreign key
    # needs a copy of the table (as 0011 does for broadcast_id), keeping the key's name.
    column = sa.Column("mentor_request_id", sa.Integer(), nullable=True)
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table("reminders") as batch_op:
            batch_op.add_column(column)
            batch_op.create_foreign_key(
                batch_op.f(FK_NAME),
                "mentor_requests",
                ["mentor_request_id"],
                ["id"],
                ondelete="CASCADE",
            )
    else:
        op.add_column("reminders", column)
        op.create_foreign_key(
            op.f(FK_NAME),
            "reminders",
            "mentor_requests",
            ["mentor_request_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index(
        op.f("ix_reminders_mentor_request_id"), "reminders", ["mentor_request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_mentor_request_id"), table_name="reminders")
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table("reminders") as batch_op:
            batch_op.drop_column("mentor_request_id")
    else:
        op.drop_constraint(op.f(FK_NAME), "reminders", type_="foreignkey")
        op.drop_column("reminders", "mentor_request_id")
    op.drop_index("ix_mentor_offers_mentor_offered", table_name="mentor_offers")
    op.drop_table("mentor_offers")
    op.drop_index("ix_mentor_requests_mentor_status", table_name="mentor_requests")
    op.drop_index("ix_mentor_requests_status_offer", table_name="mentor_requests")
    op.drop_index(op.f("ix_mentor_requests_school_id"), table_name="mentor_requests")
    op.drop_index(op.f("ix_mentor_requests_requester_id"), table_name="mentor_requests")
    op.drop_index(op.f("ix_mentor_requests_meeting_id"), table_name="mentor_requests")
    op.drop_table("mentor_requests")
    op.drop_index("ix_mentor_meetings_status_starts", table_name="mentor_meetings")
    op.drop_index(op.f("ix_mentor_meetings_mentor_id"), table_name="mentor_meetings")
    op.drop_table("mentor_meetings")
    op.drop_index(op.f("ix_mentor_slots_mentor_id"), table_name="mentor_slots")
    op.drop_table("mentor_slots")
    op.drop_index(op.f("ix_mentor_fields_field"), table_name="mentor_fields")
    op.drop_table("mentor_fields")
    for name in (
        "paused",
        "open_requests",
        "max_open",
        "districts",
        "title",
        "school_visits",
        "group_sessions",
    ):
        op.drop_column("mentors", name)
