"""cases (mediation threads), parent monitors, site inspections and their checklist

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default checklist, from the national experience-site certification (its words are in
# messages/, by key: storage/inspections.py DEFAULT_ITEMS).
DEFAULT_ITEMS = (
    "exits",
    "first_aid",
    "insurance",
    "hazards",
    "briefing",
    "rest_area",
    "supervisor",
    "as_described",
)
REMINDER_LINKS = (("case_id", "cases"), ("inspection_id", "inspections"))


def fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    checklist = op.create_table(
        "checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=30), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_items")),
        sa.UniqueConstraint("key", name=op.f("uq_checklist_items_key")),
    )
    op.bulk_insert(
        checklist,
        [
            {"position": position, "key": key, "text": None, "active": True}
            for position, key in enumerate(DEFAULT_ITEMS, start=1)
        ],
    )

    op.create_table(
        "monitors",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("district", sa.String(length=20), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_case_at", UTCDateTime(timezone=True), nullable=True),
        fk("monitors", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_monitors")),
    )
    op.create_index(op.f("ix_monitors_district"), "monitors", ["district"], unique=False)

    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.BigInteger(), nullable=True),
        sa.Column("assigned_by", sa.BigInteger(), nullable=True),
        sa.Column("assigned_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        fk("inspections", "monitor_id", "users", "SET NULL"),
        fk("inspections", "site_id", "sites", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_index(op.f("ix_inspections_monitor_id"), "inspections", ["monitor_id"])
    op.create_index(op.f("ix_inspections_site_id"), "inspections", ["site_id"])

    op.create_table(
        "inspection_items",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=30), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=True),
        sa.Column("result", sa.String(length=10), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("photo", sa.String(length=200), nullable=True),
        fk("inspection_items", "inspection_id", "inspections", "CASCADE"),
        sa.PrimaryKeyConstraint("inspection_id", "position", name=op.f("pk_inspection_items")),
    )

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=True),
        sa.Column("opened_role", sa.String(length=10), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("monitor_id", sa.BigInteger(), nullable=True),
        sa.Column("assigned_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("mediator_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_party_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation", sa.String(length=12), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_what", sa.String(length=10), nullable=True),
        sa.Column("due_step", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        fk("cases", "booking_id", "bookings", "SET NULL"),
        fk("cases", "monitor_id", "users", "SET NULL"),
        fk("cases", "opened_by", "users", "SET NULL"),
        fk("cases", "school_id", "schools", None),
        fk("cases", "session_id", "sessions", "SET NULL"),
        fk("cases", "site_id", "sites", "CASCADE"),
        fk("cases", "student_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    for column in ("booking_id", "monitor_id", "school_id", "site_id", "student_id"):
        op.create_index(op.f(f"ix_cases_{column}"), "cases", [column])
    op.create_index("ix_cases_status_due", "cases", ["status", "due_at"])

    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("sender_role", sa.String(length=10), nullable=True),
        sa.Column("sender_name", sa.String(length=30), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("to_user_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("photo", sa.String(length=200), nullable=True),
        fk("case_messages", "case_id", "cases", "CASCADE"),
        fk("case_messages", "sender_id", "users", "SET NULL"),
        fk("case_messages", "to_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_messages")),
    )
    op.create_index(op.f("ix_case_messages_case_id"), "case_messages", ["case_id"])

    op.create_table(
        "case_parties",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        fk("case_parties", "case_id", "cases", "CASCADE"),
        fk("case_parties", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_parties")),
    )
    op.create_index(op.f("ix_case_parties_user_id"), "case_parties", ["user_id"])

    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot ALTER a constraint in: batch mode copies the outbox with the new
        # columns and their named foreign keys.
        with op.batch_alter_table("reminders") as batch_op:
            for column, target in REMINDER_LINKS:
                batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
                batch_op.create_foreign_key(
                    batch_op.f(f"fk_reminders_{column}_{target}"),
                    target,
                    [column],
                    ["id"],
                    ondelete="CASCADE",
                )
    else:
        for column, target in REMINDER_LINKS:
            op.add_column("reminders", sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(
                op.f(f"fk_reminders_{column}_{target}"),
                "reminders",
                target,
                [column],
                ["id"],
                ondelete="CASCADE",
            )
    for column, _ in REMINDER_LINKS:
        op.create_index(op.f(f"ix_reminders_{column}"), "reminders", [column])


def downgrade() -> None:
    for column, _ in REMINDER_LINKS:
        op.drop_index(op.f(f"ix_reminders_{column}"), table_name="reminders")
    if op.get_context().dialect.name == "sqlite":
        # SQLite will not drop a column a foreign key uses: copy the table without them.
        with op.batch_alter_table("reminders") as batch_op:
            for column, _ in REMINDER_LINKS:
                batch_op.drop_column(column)
    else:
        for column, target in REMINDER_LINKS:
            op.drop_constraint(
                op.f(f"fk_reminders_{column}_{target}"), "reminders", type_="foreignkey"
            )
            op.drop_column("reminders", column)
    for table in (
        "case_parties",
        "case_messages",
        "cases",
        "inspection_items",
        "inspections",
        "monitors",
        "checklist_items",
    ):
        op.drop_table(table)
