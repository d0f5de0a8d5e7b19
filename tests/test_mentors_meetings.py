"""Mentor requests in storage: meetings and their reminders, a cancelled meeting back in line,
and group sessions' school places."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from storage import mentors
from storage.errors import NotFound
from storage.models import MentorRequest, Reminder, School
from tests.mentors_helpers import (
    KST,
    NOW,
    accepted,
    add_mentor,
    add_student,
    add_teacher,
    assert_places_match,
    request,
    schools,
    user,
)

# ----- meetings -------------------------------------------------------------------------------


async def test_a_meeting_at_a_free_slot_with_reminders_for_both(db):
    s = await schools(db)
    mentor_id = await add_mentor(db, 590)
    await add_student(db, 10_070, s["덕양구"])
    request_id = await accepted(db, 10_070, 590)
    async with db.read() as conn:
        free = await mentors.free_openings(conn, mentor_id, now=NOW)
    assert free[0].starts_at == datetime(2026, 12, 1, 16, tzinfo=KST)
    pick = free[1].starts_at  # Thursday 16:00
    async with db.write() as conn:
        with pytest.raises(mentors.Refused):  # not one of the slots
            await mentors.schedule(
                conn, request_id, await user(db, 590), starts_at=pick + timedelta(hours=1), now=NOW
            )
    async with db.write() as conn:
        meeting_id = await mentors.schedule(
            conn,
            request_id,
            await user(db, 590),
            starts_at=pick,
            link="https://meet.example/x",
            now=NOW,
        )
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(Reminder.kind, Reminder.user_id, Reminder.due_at, Reminder.key).where(
                    Reminder.mentor_request_id == request_id
                )
            )
        ).all()
        free = await mentors.free_openings(conn, mentor_id, now=NOW)
    due = {(r.kind, r.user_id): r.due_at for r in rows}
    evening = datetime(2026, 12, 2, 18, tzinfo=KST)
    assert due[("mentor_meeting_day_before", 10_070)] == evening
    assert due[("mentor_meeting_day_before", 590)] == evening
    assert due[("mentor_meeting_hour", 10_070)] == pick - timedelta(hours=1)
    assert due[("mentor_meeting_hour", 590)] == pick - timedelta(hours=1)
    assert due[("mentor_log", 590)] == pick + timedelta(hours=1)
    assert ("mentor_scheduled", 10_070) in due
    assert f"mentor_meeting_day_before:{meeting_id}:10070" in {r.key for r in rows}
    assert pick not in {o.starts_at for o in free}  # taken now
    # Logged held: the request closes, its place is given back, the student is asked to rate.
    async with db.write() as conn:
        with pytest.raises(mentors.Refused):
            await mentors.log_meeting(
                conn, meeting_id, await user(db, 590), held=True, minutes=60, now=NOW
            )
        await mentors.log_meeting(
            conn,
            meeting_id,
            await user(db, 590),
            held=True,
            minutes=50,
            now=pick + timedelta(hours=1),
        )
        await mentors.rate(conn, request_id, await user(db, 10_070), 5, now=pick)
        await mentors.comment(conn, request_id, await user(db, 10_070), "정말 도움이 됐어요")
        with pytest.raises(NotFound):
            await mentors.rate(conn, request_id, await user(db, 590), 1, now=pick)
    row = await request(db, request_id)
    assert (row.status, row.rating, row.counted) == ("held", 5, False)
    await assert_places_match(db)


async def test_a_cancelled_meeting_goes_back_in_line_for_another_mentor(db):
    s = await schools(db)
    await add_mentor(db, 600)
    other = await add_mentor(db, 601, districts="일산서구")
    await add_student(db, 10_080, s["덕양구"])
    request_id = await accepted(db, 10_080, 600)
    async with db.write() as conn:
        mentor_id = (await user(db, 600)).mentor_id
        free = await mentors.free_openings(conn, mentor_id, now=NOW)
        meeting_id = await mentors.schedule(
            conn,
            request_id,
            await user(db, 600),
            starts_at=free[0].starts_at,
            link="https://x.example",
            now=NOW,
        )
        await mentors.cancel_meeting(conn, meeting_id, await user(db, 600), "아파요", now=NOW)
    row = await request(db, request_id)
    assert (row.status, row.mentor_id) == ("offered", other)
    await assert_places_match(db)


# ----- group sessions -------------------------------------------------------------------------


async def test_a_group_session_takes_five_schools_and_no_more(db):
    s = await schools(db)
    await add_mentor(db, 610, online=False, group=True)
    school_ids = [s["덕양구"]]
    async with db.write() as conn:
        for n in range(9):
            school_ids.append(
                await conn.scalar(
                    insert(School).values(name=f"학교{n}", district="덕양구").returning(School.id)
                )
            )
    for n, school_id in enumerate(school_ids):
        await add_teacher(db, 21_000 + n, school_id)
    request_id = await accepted(db, 21_000, 610, mode="group")
    async with db.write() as conn:
        mentor = await user(db, 610)
        free = await mentors.free_openings(conn, mentor.mentor_id, now=NOW)
        meeting_id = await mentors.schedule(
            conn,
            request_id,
            mentor,
            starts_at=free[0].starts_at,
            link="https://x.example/g",
            now=NOW,
        )
    async with db.read() as conn:
        listed = await mentors.open_groups(conn, school_ids[1], now=NOW)
    assert [(g.id, g.joined, g.capacity, g.ours) for g in listed] == [(meeting_id, 1, 5, 0)]

    async def join(n):
        async with db.write() as conn:
            return await mentors.join_group(conn, meeting_id, await user(db, 21_000 + n), now=NOW)

    results = await asyncio.gather(*(join(n) for n in range(1, 10)), return_exceptions=True)
    joined = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, mentors.Refused)]
    assert len(joined) == 4 and len(refused) == 5
    assert {r.reason for r in refused} == {"full"}
    async with db.read() as conn:
        found = await mentors.meeting(conn, meeting_id)
        in_it = await conn.scalar(
            select(func.count()).where(
                MentorRequest.meeting_id == meeting_id, MentorRequest.status == "scheduled"
            )
        )
    assert (found.joined, in_it) == (5, 5)
    # A school already in it cannot join twice; one leaving frees its place.
    async with db.write() as conn:
        first_joined = await mentors.get(conn, joined[0])
        teacher = await user(db, first_joined.requester_id)
        await mentors.cancel_request(conn, joined[0], teacher, now=NOW)
    with pytest.raises(mentors.Refused) as refused:  # out of the transaction: undone
        async with db.write() as conn:
            await mentors.join_group(conn, meeting_id, await user(db, 21_000), now=NOW)
    assert refused.value.reason == "already"
    turned_away = next(n for n, r in enumerate(results, start=1) if isinstance(r, mentors.Refused))
    assert await join(turned_away) > 0
    await assert_places_match(db)
