"""requests by school: the requests waiting for a school's teachers, found without reading
every request of the city

A teacher's /pending and morning digest ask for their school's bookings that wait for an
answer. With only `school_id` and `(status, expires_at)` indexed, PostgreSQL intersected a
school's every booking with the whole province's requests (31-38 ms for a school of 600 in
`python -m bench scale`); this small partial index holds only the waiting ones.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As storage/models/bookings.py has it (a migration keeps its own copy of what it made).
REQUESTED_SQL = "status = 'requested'"


def upgrade() -> None:
    requested = sa.text(REQUESTED_SQL)
    op.create_index(
        "ix_bookings_requested_school",
        "bookings",
        ["school_id", "session_id"],
        sqlite_where=requested,
        postgresql_where=requested,
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_requested_school", table_name="bookings")
