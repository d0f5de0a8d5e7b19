"""Opening cases in storage, on SQLite and PostgreSQL: who may open one and who are its
parties, the round-robin of monitors (paused and inactive ones skipped), a safety concern
at once to staff, empty or too long first messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from storage import cases
from storage.errors import NotFound
from storage.models import Case, CaseMessage, CaseParty, Monitor
from tests.cases_helpers import (
    M1,
    M2,
    NOW,
    OTHER_SITE,
    OTHER_TEACHER,
    SITE,
    STAFF,
    STUDENT,
    STUDENT2,
    TEACHER,
    TEACHER3,
    open_case,
    outbox,
    the_case,
    world,
)

# ----- opening ----------------------------------------------------------------------------------


async def test_who_may_open_a_case(db):
    ids = await world(db)
    for outsider in (TEACHER3, OTHER_TEACHER, OTHER_SITE, M1, STAFF, STUDENT2):
        with pytest.raises(NotFound):
            await open_case(db, ids["own"], outsider)
    with pytest.raises(NotFound):  # a booking that does not exist
        await open_case(db, 999_999, STUDENT)
    with pytest.raises(NotFound):  # the class booking is its teacher's, not grade 3's
        await open_case(db, ids["class"][0], TEACHER3)
    for opener in (STUDENT, TEACHER, SITE):
        opened = await open_case(db, ids["own"], opener)
        assert opened.status == "open"
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(Case)) == 3
        roles = (await conn.execute(select(Case.opened_role).order_by(Case.id))).scalars().all()
    assert roles == ["student", "teacher", "site"]


async def test_parties_are_the_student_their_teachers_and_the_site(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT)
    async with db.read() as conn:
        found = await conn.execute(
            select(CaseParty.user_id, CaseParty.role).where(CaseParty.case_id == opened.case_id)
        )
        parties = dict(found.all())
    assert parties == {STUDENT: "student", TEACHER: "teacher", SITE: "site"}
    # Everyone but the opener hears of it, and so does the mediator; the opener does not.
    told = await outbox(db, "case_opened")
    assert sorted(u for _, u in told) == sorted([TEACHER, SITE, opened.monitor_id])
    # A class booking: its teacher and the site; no student joins in.
    opened = await open_case(db, ids["class"][0], SITE, kind="no_show", text="두 명이 안 왔어요")
    async with db.read() as conn:
        found = await conn.execute(
            select(CaseParty.user_id, CaseParty.role).where(CaseParty.case_id == opened.case_id)
        )
        assert dict(found.all()) == {TEACHER: "teacher", SITE: "site"}


async def test_round_robin_skips_paused_inactive_and_other_districts(db):
    ids = await world(db)
    mediators = [
        (await open_case(db, ids["own"], STUDENT, now=NOW + n * timedelta(minutes=1))).monitor_id
        for n in range(4)
    ]
    assert mediators == [M1, M2, M1, M2]
    async with db.write() as conn:
        await conn.execute(update(Monitor).where(Monitor.user_id.in_([M1, M2])).values(paused=True))
    opened = await open_case(db, ids["own"], STUDENT)
    assert opened.monitor_id is None
    # Staff are asked to assign one, at once.
    assert (await outbox(db, "case_unassigned")) == [("case_unassigned", STAFF)]


async def test_a_safety_concern_goes_to_staff_at_once(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT, kind="safety", text="계단 난간이 흔들려요")
    found = await the_case(db, opened.case_id)
    assert (found.status, found.escalation, found.due_at) == ("escalated", "safety", None)
    assert (await outbox(db, "case_escalated")) == [("case_escalated", STAFF)]


async def test_empty_or_too_long_first_messages_are_refused(db):
    ids = await world(db)
    with pytest.raises(cases.Refused, match="empty"):
        await open_case(db, ids["own"], STUDENT, text="   ")
    with pytest.raises(cases.Refused, match="too_long"):
        await open_case(db, ids["own"], STUDENT, text="가" * (cases.TEXT_MAX + 1))
    opened = await open_case(db, ids["own"], STUDENT, text=None, photo="PHOTO-FILE-ID")
    async with db.read() as conn:
        first = (
            await conn.execute(
                select(CaseMessage.__table__).where(
                    CaseMessage.case_id == opened.case_id, CaseMessage.kind == "message"
                )
            )
        ).one()
    assert (first.photo, first.sender_role, first.sender_name) == (
        "PHOTO-FILE-ID",
        "student",
        "민지",
    )
