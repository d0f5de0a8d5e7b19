"""Cases in storage, on SQLite and PostgreSQL: who may read and write, messages relayed and
private ones kept private, proposals answered once (a compare-and-swap), closing, staff
assigning and a monitor taking a case."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, insert, select, update

from storage import cases
from storage.errors import AlreadyHandled, NotFound
from storage.models import AuditEntry, CaseMessage, Monitor, User
from tests.cases_helpers import (
    LATE_TEACHER,
    M1,
    M2,
    M3,
    NOW,
    OTHER_TEACHER,
    SITE,
    STAFF,
    STUDENT,
    TEACHER,
    TEACHER3,
    H,
    open_case,
    outbox,
    post,
    the_case,
    user,
    world,
)

# ----- reading and writing ---------------------------------------------------------------------


async def test_who_may_read_and_write(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT)
    assert opened.monitor_id == M1
    async with db.write() as conn:  # a teacher of grade 2 who joined after it opened
        await conn.execute(
            insert(User).values(
                id=LATE_TEACHER,
                role="teacher",
                name="문선생",
                school_id=ids["school"],
                grades="1,2",
                flow_data={},
            )
        )
    seen = {}
    for viewer in (STUDENT, TEACHER, SITE, M1, M2, STAFF, LATE_TEACHER, TEACHER3, OTHER_TEACHER):
        async with db.read() as conn:
            try:
                seen[viewer] = (await cases.case_for(conn, opened.case_id, await user(db, viewer)))[
                    1
                ]
            except NotFound:
                seen[viewer] = None
    assert seen == {
        STUDENT: "party",
        TEACHER: "party",
        SITE: "party",
        M1: "mediator",
        M2: None,  # another monitor: as if it did not exist
        STAFF: "staff",
        LATE_TEACHER: "reader",
        TEACHER3: None,
        OTHER_TEACHER: None,
    }
    with pytest.raises(NotFound):
        await post(db, opened.case_id, M2)
    with pytest.raises(cases.Refused, match="read_only"):
        await post(db, opened.case_id, LATE_TEACHER)
    with pytest.raises(NotFound):  # a party cannot write privately or propose
        await post(db, opened.case_id, STUDENT, kind="proposal")
    # Lists: the late teacher sees their student's case, the other monitor nothing.
    async with db.read() as conn:
        for viewer, expected in ((LATE_TEACHER, 1), (M2, 0), (M1, 1), (STAFF, 1), (TEACHER3, 0)):
            _, total = await cases.list_for(conn, await user(db, viewer), offset=0, limit=5)
            assert total == expected, viewer


async def test_messages_are_relayed_and_private_ones_stay_private(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT)
    case_id = opened.case_id
    before = len(await outbox(db))
    await post(db, case_id, STUDENT, "제가 그날 시험이에요")
    relayed = (await outbox(db))[before:]
    assert sorted(u for _, u in relayed) == sorted([TEACHER, SITE, M1])
    found = await the_case(db, case_id)
    assert found.last_party_at is not None and found.mediator_at is None
    # The mediator's first word: from then on it has a mediator, and waits for an answer.
    private = await post(
        db, case_id, M1, "민지 학생, 다른 날로 바꿀까요?", kind="private", to_user_id=STUDENT
    )
    found = await the_case(db, case_id)
    assert found.mediator_at is not None and found.due_what == "answer"
    assert (await outbox(db))[-1] == ("case_message", STUDENT)
    with pytest.raises(cases.Refused, match="not_party"):
        await post(db, case_id, M1, "?", kind="private", to_user_id=M2)

    async def visible(viewer):
        async with db.read() as conn:
            who = await user(db, viewer)
            _, seen = await cases.case_for(conn, case_id, who)
            lines, _ = await cases.thread(conn, case_id, who, seen, skip=0, limit=50)
            return {line.id for line in lines}

    assert private in await visible(STUDENT)
    assert private in await visible(M1) and private in await visible(STAFF)
    assert private not in await visible(TEACHER) and private not in await visible(SITE)


async def test_a_proposal_is_answered_once_and_a_replaced_one_not_at_all(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    first = await post(db, case_id, M1, "다음 주 화요일로 옮기면 어떨까요?", kind="proposal")
    assert sorted(u for _, u in await outbox(db, "case_proposal")) == [STUDENT, TEACHER, SITE]

    async def answer(user_id, proposal, accept=True):
        async with db.write() as conn:
            return await cases.answer(
                conn, case_id, proposal, await user(db, user_id), accept, now=NOW + 2 * H
            )

    tally = await answer(STUDENT, first)
    assert (tally.accepted, tally.parties, tally.everyone) == (1, 3, False)
    with pytest.raises(AlreadyHandled):
        await answer(STUDENT, first, accept=False)
    with pytest.raises(NotFound):  # not a party
        await answer(M2, first)
    second = await post(db, case_id, M1, "수요일은 어떨까요?", kind="proposal")
    with pytest.raises(cases.Refused, match="replaced"):
        await answer(TEACHER, first)
    for party in (STUDENT, TEACHER):
        await answer(party, second)
    tally = await answer(SITE, second)
    assert tally.everyone
    # The proposer heard of each answer.
    assert [u for _, u in await outbox(db, "case_answer")].count(M1) == 4


async def test_two_answers_at_once_count_once(db):
    """The same party pressing accept twice at once (two devices): one answer."""
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    proposal = await post(db, case_id, M1, "제안", kind="proposal")
    student = await user(db, STUDENT)

    async def press():
        try:
            async with db.write() as conn:
                await cases.answer(conn, case_id, proposal, student, True, now=NOW + 2 * H)
            return "ok"
        except AlreadyHandled:
            return "already"

    assert sorted(await asyncio.gather(press(), press())) == ["already", "ok"]
    async with db.read() as conn:
        events = await conn.scalar(
            select(func.count()).where(
                CaseMessage.case_id == case_id, CaseMessage.text == "accepted"
            )
        )
    assert events == 1


async def test_closing_tells_everyone_and_stops_posts(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    proposal = await post(db, case_id, M1, "제안", kind="proposal")
    with pytest.raises(NotFound):  # only the mediator or staff close
        async with db.write() as conn:
            await cases.close(conn, case_id, await user(db, SITE), "resolved", now=NOW + 3 * H)
    async with db.write() as conn:
        await cases.close(
            conn, case_id, await user(db, M1), "resolved", "잘 해결됐어요", now=NOW + 3 * H
        )
    assert sorted(u for _, u in await outbox(db, "case_closed")) == [STUDENT, TEACHER, SITE]
    with pytest.raises(cases.Refused, match="closed"):
        await post(db, case_id, STUDENT, "하나 더요")
    with pytest.raises(cases.Refused, match="closed"):
        async with db.write() as conn:
            await cases.answer(conn, case_id, proposal, await user(db, STUDENT), True, now=NOW)
    with pytest.raises(cases.Refused, match="closed"):
        async with db.write() as conn:
            await cases.close(conn, case_id, await user(db, STAFF), "unresolved", now=NOW + 4 * H)
    found = await the_case(db, case_id)
    assert (found.status, found.outcome, found.closed_by) == ("closed", "resolved", M1)
    async with db.read() as conn:
        actions = (await conn.execute(select(AuditEntry.action, AuditEntry.detail))).all()
    assert ("case.close", {"outcome": "resolved"}) in [tuple(a) for a in actions]
    # Ids only in the audit log, never words or names.
    assert not any("해결" in str(detail) or "민지" in str(detail) for _, detail in actions)


async def test_staff_assign_and_a_monitor_takes_a_case_nobody_mediates(db):
    ids = await world(db)
    async with db.write() as conn:
        await conn.execute(update(Monitor).values(paused=True))
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    async with db.write() as conn:
        await conn.execute(update(Monitor).where(Monitor.user_id == M2).values(paused=False))
    with pytest.raises(NotFound):  # another district's monitor
        async with db.write() as conn:
            await cases.take(conn, case_id, await user(db, M3), now=NOW)
    async with db.write() as conn:
        await cases.take(conn, case_id, await user(db, M2), now=NOW + H)
    with pytest.raises(AlreadyHandled):
        async with db.write() as conn:
            await cases.take(conn, case_id, await user(db, M1), now=NOW + H)
    found = await the_case(db, case_id)
    assert (found.monitor_id, found.due_at) == (M2, NOW + H + cases.MEDIATOR_WAIT)
    with pytest.raises(NotFound):  # only staff assign
        async with db.write() as conn:
            await cases.assign(conn, case_id, await user(db, M2), M3, now=NOW + 2 * H)
    async with db.write() as conn:
        await cases.assign(conn, case_id, await user(db, STAFF), M3, now=NOW + 2 * H)
    assert (await the_case(db, case_id)).monitor_id == M3
    assert [u for _, u in await outbox(db, "case_assigned")] == [M2, M3]
    with pytest.raises(NotFound):  # M2 no longer sees it
        async with db.read() as conn:
            await cases.case_for(conn, case_id, await user(db, M2))
