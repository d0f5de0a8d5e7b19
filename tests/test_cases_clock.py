"""The cases' service levels in storage, on SQLite and PostgreSQL, with explicit moments: a
reminder, then staff; the mediator's first word and an answer stop the clock; two clocks
at once act once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from storage.models import AuditEntry, CaseMessage, Monitor
from tests.cases_helpers import (
    M1,
    M2,
    NOW,
    SITE,
    STAFF,
    STUDENT,
    TEACHER,
    H,
    check,
    open_case,
    outbox,
    post,
    the_case,
    world,
)

# ----- service levels ---------------------------------------------------------------------------


async def test_a_case_without_its_mediators_word_is_reminded_then_escalated(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    assert await check(db, NOW + 4 * H - timedelta(seconds=1)) == []
    assert await check(db, NOW + 4 * H) == [case_id]
    assert await outbox(db, "case_sla_mediator") == [("case_sla_mediator", M1)]
    found = await the_case(db, case_id)
    assert (found.due_step, found.due_at, found.status) == (1, NOW + 8 * H, "open")
    assert await check(db, NOW + 6 * H) == []
    assert await check(db, NOW + 8 * H) == [case_id]
    found = await the_case(db, case_id)
    assert (found.status, found.escalation, found.due_at) == ("escalated", "no_mediator", None)
    assert await outbox(db, "case_escalated") == [("case_escalated", STAFF)]
    assert await check(db, NOW + 100 * H) == []  # once escalated, the clock leaves it


async def test_with_no_monitor_at_all_it_goes_straight_to_staff(db):
    ids = await world(db)
    async with db.write() as conn:
        await conn.execute(update(Monitor).values(paused=True))
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    assert await check(db, NOW + 4 * H) == [case_id]
    found = await the_case(db, case_id)
    assert (found.status, found.escalation) == ("escalated", "no_mediator")
    assert await outbox(db, "case_sla_mediator") == []


async def test_the_mediators_first_word_stops_the_mediator_clock(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    await post(db, case_id, M1, "안녕하세요, 중재를 맡은 수진입니다", now=NOW + 2 * H)
    assert await check(db, NOW + 5 * H) == []
    assert await outbox(db, "case_sla_mediator") == []


async def test_an_unanswered_mediator_is_reminded_then_escalated_and_an_answer_stops_it(db):
    ids = await world(db)
    quiet = (await open_case(db, ids["own"], STUDENT)).case_id
    talked = (await open_case(db, ids["own"], SITE)).case_id
    for case_id in (quiet, talked):
        await post(db, case_id, STAFF, "어떻게 된 일인지 알려 주세요", now=NOW + H)
    t0 = NOW + H
    assert await check(db, t0 + 48 * H - timedelta(seconds=1)) == []
    assert sorted(await check(db, t0 + 48 * H)) == sorted([quiet, talked])
    reminded = [u for _, u in await outbox(db, "case_sla_answer")]
    # Both cases: the three parties and the mediator (the monitor assigned).
    assert sorted(reminded) == sorted([STUDENT, TEACHER, SITE, M1, STUDENT, TEACHER, SITE, M2])
    await post(db, talked, TEACHER, "제가 확인해 볼게요", now=t0 + 50 * H)
    assert await check(db, t0 + 72 * H) == [quiet]
    assert (await the_case(db, quiet)).escalation == "no_answer"
    assert (await the_case(db, talked)).status == "open"


async def test_two_clocks_at_once_remind_and_escalate_once(db):
    ids = await world(db)
    opened = [(await open_case(db, ids["own"], STUDENT)).case_id for _ in range(6)]

    async def both(moment):
        results = await asyncio.gather(check(db, moment), check(db, moment))
        return sorted(results[0] + results[1])

    assert await both(NOW + 4 * H) == sorted(opened)
    assert await both(NOW + 8 * H) == sorted(opened)
    async with db.read() as conn:
        reminded = await conn.scalar(
            select(func.count()).where(CaseMessage.text == "reminded:mediator")
        )
        escalated = await conn.scalar(
            select(func.count()).where(CaseMessage.text == "escalated:no_mediator")
        )
        audits = await conn.scalar(select(func.count()).where(AuditEntry.action == "case.remind"))
    assert (reminded, escalated, audits) == (6, 6, 6)
    assert len(await outbox(db, "case_escalated")) == 6  # each case once, to the one staff
