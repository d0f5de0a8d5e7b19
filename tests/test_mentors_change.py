"""A waiting request changed by its requester, in storage, on SQLite and PostgreSQL: only
theirs, only while it waits, only to a related field or one of their own modes; matched again
at once; audited. And the suggestions are exactly the changes that would be matched now."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage import mentors
from storage.errors import AlreadyHandled, NotFound
from storage.models import AuditEntry
from tests.mentors_helpers import (
    NOW,
    WINDOW,
    add_mentor,
    add_student,
    add_teacher,
    ask,
    assert_places_match,
    request,
    schools,
    user,
)


async def change(db, requester_id: int, request_id: int, **change):
    requester = await user(db, requester_id)
    async with db.write() as conn:
        return await mentors.change_request(
            conn, request_id, requester, now=NOW, window=WINDOW, **change
        )


async def suggestions(db, request_id: int, role: str = "student") -> mentors.Alternatives:
    async with db.read() as conn:
        found = await mentors.get(conn, request_id)
        return await mentors.alternatives(conn, found, now=NOW, role=role)


async def test_only_the_requester_changes_a_waiting_request_and_it_is_matched_at_once(db):
    district = (await schools(db))["덕양구"]
    await add_student(db, 9101, district)
    await add_student(db, 9102, district, name="이지호")
    created = await ask(db, 9101, times=("weekend",))
    assert created.offered_to is None  # nobody at all yet
    request_id = created.request_id
    # Free on weekday afternoons only: not at the weekend the student chose.
    design = await add_mentor(db, 9001, "디자인")
    found = await suggestions(db, request_id)
    assert found.any_time and found.fields == [] and found.modes == []  # 디자인 at weekends: no

    with pytest.raises(NotFound):  # someone else's
        await change(db, 9102, request_id, any_time=True)
    with pytest.raises(NotFound):  # not a related field
        await change(db, 9101, request_id, field="제과·제빵")
    with pytest.raises(NotFound):  # a teacher's mode
        await change(db, 9101, request_id, mode="group")
    with pytest.raises(AlreadyHandled):  # what it asks for already
        await change(db, 9101, request_id, mode="online")
    assert (await request(db, request_id)).status == "waiting"

    offered = await change(db, 9101, request_id, any_time=True)
    assert offered is not None and offered.mentor_id == design
    changed = await request(db, request_id)
    assert (changed.status, changed.times, changed.mentor_id) == ("offered", "", design)
    assert changed.question == "방송 PD가 되려면 무엇을 공부해야 하나요?"
    with pytest.raises(AlreadyHandled):  # a second press: it waits no more
        await change(db, 9101, request_id, any_time=True)
    await assert_places_match(db)
    async with db.read() as conn:
        audited = (
            await conn.execute(
                select(AuditEntry.__table__).where(AuditEntry.action == "mentor_request.changed")
            )
        ).all()
    assert [(a.actor_id, a.object_id, a.detail) for a in audited] == [
        (9101, str(request_id), {"changed": ["times"]})
    ]


async def test_a_related_field_or_another_mode_is_suggested_only_where_it_would_match(db):
    ids = await schools(db)
    await add_teacher(db, 9201, ids["덕양구"])
    created = await ask(db, 9201, mode="visit")
    request_id = created.request_id
    assert created.offered_to is None
    group = await add_mentor(db, 9002, online=False, group=True)
    # A mentor of a related field who was offered it already is no suggestion: the request
    # keeps its offers when it changes, and is never offered to them again.
    asked = await add_mentor(db, 9003, "디자인", online=False, visits=True)
    declining = await user(db, 9003)
    async with db.write() as conn:
        assert (await mentors.offer_next(conn, request_id, now=NOW)).mentor_id == asked
        await mentors.decline(conn, request_id, declining, None, now=NOW, window=WINDOW)
    found = await suggestions(db, request_id, role="teacher")
    assert found.fields == [] and found.modes == ["group"] and not found.any_time

    with pytest.raises(NotFound):  # a student's mode
        await change(db, 9201, request_id, mode="online")
    offered = await change(db, 9201, request_id, mode="group")
    assert offered is not None and offered.mentor_id == group
    assert (await request(db, request_id)).mode == "group"
    await assert_places_match(db)
