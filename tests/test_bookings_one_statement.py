"""The usual application on PostgreSQL is one statement (storage/bookings/apply.py,
_APPLY_AT_ONCE) that repeats the general path's rules and writes: the booking, the seat, the
audit entry and the teachers' notices (storage.reminders.plan_request). Both must write the
same rows; this test applies once each way and compares everything they wrote."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import insert, select

from storage import bookings
from storage.models import AuditEntry, Booking, Reminder, Session, User
from tests.test_bookings import HOLD, NOW, user, world
from tests.world_helpers import teacher_row

# The module, not the function storage.bookings.apply that the package re-exports.
apply_module = importlib.import_module("storage.bookings.apply")


async def _written(db, booking_id: int, student_id: int) -> dict:
    """What one application wrote, with the booking's own ids taken out of the keys."""
    async with db.read() as conn:
        booking = (await conn.execute(select(Booking).where(Booking.id == booking_id))).one()
        notices = (
            await conn.execute(
                select(Reminder.kind, Reminder.user_id, Reminder.key, Reminder.due_at)
                .where(Reminder.booking_id == booking_id)
                .order_by(Reminder.kind, Reminder.user_id)
            )
        ).all()
        audit = (
            await conn.execute(
                select(AuditEntry.actor_id, AuditEntry.action, AuditEntry.at).where(
                    AuditEntry.object_type == "booking", AuditEntry.object_id == str(booking_id)
                )
            )
        ).all()
    return {
        "booking": (
            booking.status,
            booking.expires_at,
            booking.created_at,
            booking.booked_by == student_id,
        ),
        "notices": [
            (k, u, key.replace(f":{booking_id}:", ":B:"), due) for k, u, key, due in notices
        ],
        "audit": [(a == student_id, action, at) for a, action, at in audit],
    }


@pytest.fixture
async def db(postgres_db):
    """PostgreSQL only: the one-statement path is PostgreSQL's."""
    return postgres_db


@pytest.mark.postgres
async def test_one_statement_and_the_general_path_write_the_same(db, monkeypatch):
    w = await world(db, capacity=5, students=2)
    async with db.write() as conn:  # teachers who cover grade 2, and one who does not
        school_id = w["schools"][0]
        teachers = [teacher_row(20_001, "가", school_id), teacher_row(20_002, "나", school_id, "1")]
        await conn.execute(insert(User), teachers)
    first, second = w["students"]
    taken = []
    at_once = apply_module._apply_at_once

    async def spy(*args, **kwargs):
        done = await at_once(*args, **kwargs)
        taken.append(done is not None)
        return done

    monkeypatch.setattr(apply_module, "_apply_at_once", spy)
    async with db.write() as conn:
        one = await bookings.apply(conn, await user(db, first), w["session"], hold=HOLD, now=NOW)
    assert taken == [True]  # the one statement did it

    async def usual_case_not_taken(*args, **kwargs):
        return None

    monkeypatch.setattr(apply_module, "_apply_at_once", usual_case_not_taken)
    async with db.write() as conn:
        general = await bookings.apply(
            conn, await user(db, second), w["session"], hold=HOLD, now=NOW
        )
    assert one.status == general.status == "requested"
    wrote_one = await _written(db, one.booking_id, first)
    wrote_general = await _written(db, general.booking_id, second)
    assert wrote_one == wrote_general
    assert {n[1] for n in wrote_one["notices"]} == {20_000, 20_001}  # not the grade-1 teacher
    async with db.read() as conn:
        booked = await conn.scalar(select(Session.booked).where(Session.id == w["session"]))
    assert booked == 2
