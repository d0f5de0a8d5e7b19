"""Mentor requests in storage, on SQLite and PostgreSQL: small pieces (times of day, free
occurrences), the order of matching, who gets nothing (paused, full), the line and its
priority, consent and limits, and fields found from typed words."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import insert, update

from storage import mentors
from storage.errors import NotFound
from storage.models import Mentor, MentorOffer, MentorRequest, User
from tests.mentors_helpers import (
    KST,
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

# ----- small pieces ---------------------------------------------------------------------------


def test_times_of_day_in_seoul():
    assert mentors.time_bucket(datetime(2026, 12, 1, 10, tzinfo=KST)) == "day"
    assert mentors.time_bucket(datetime(2026, 12, 1, 16, tzinfo=KST)) == "after"
    assert mentors.time_bucket(datetime(2026, 12, 1, 19, tzinfo=KST)) == "evening"
    assert mentors.time_bucket(datetime(2026, 12, 5, 10, tzinfo=KST)) == "weekend"


def test_openings_skip_busy_times_and_stay_ahead():
    class Slot:
        id, weekday, day, starts, minutes = 1, 1, None, time(16, 0), 60  # Tuesdays

    busy = [(datetime(2026, 12, 8, 16, tzinfo=KST), datetime(2026, 12, 8, 17, tzinfo=KST))]
    found = mentors.openings([Slot()], busy, now=NOW, tz=KST)
    assert [o.starts_at.astimezone(KST).day for o in found] == [1, 15]  # 8th taken; 3 weeks
    late = datetime(2026, 12, 1, 15, tzinfo=KST)  # 16:00 today is within the lead time
    assert mentors.openings([Slot()], [], now=late, tz=KST)[0].starts_at.day == 8


# ----- the order of matching ------------------------------------------------------------------


async def ranked(db, school_id, field="방송영상", mode="online", times=()):
    async with db.read() as conn:
        found = await mentors.rank(conn, mentors.Wish(field, mode, school_id, times), now=NOW)
    return [c.mentor_id for c in found]


async def test_field_first_then_district_then_fewest_open(db):
    s = await schools(db)
    related = await add_mentor(db, 501, "디자인")  # a related field, nobody busy
    far = await add_mentor(db, 502, districts="일산서구", open_requests=0)
    busy = await add_mentor(db, 503, open_requests=2)
    idle = await add_mentor(db, 504, open_requests=1)
    extra = await add_mentor(db, 505, "문화예술", extra=["방송영상"], open_requests=2)
    await add_mentor(db, 506, "환경")  # unrelated: never
    assert await ranked(db, s["덕양구"]) == [idle, busy, extra, far, related]
    # Seen from 일산서구 the far mentor is the local one.
    assert (await ranked(db, s["일산서구"]))[0] == far


async def test_the_quick_answerer_first_then_the_least_asked(db):
    s = await schools(db)
    slow, quick, quicker = [await add_mentor(db, 510 + n) for n in range(3)]
    await add_student(db, 10_001, s["덕양구"])

    async def past_offers(mentor_id, count, wait):
        async with db.write() as conn:
            for n in range(count):
                request_id = await conn.scalar(
                    insert(MentorRequest)
                    .values(
                        requester_id=10_001,
                        school_id=s["덕양구"],
                        mode="online",
                        field="방송영상",
                        question="질문입니다",
                        status="held",
                        created_at=NOW - timedelta(days=3),
                    )
                    .returning(MentorRequest.id)
                )
                offered = NOW - timedelta(days=2, hours=n)
                await conn.execute(
                    insert(MentorOffer).values(
                        request_id=request_id,
                        mentor_id=mentor_id,
                        offered_at=offered,
                        expires_at=offered + WINDOW,
                        answered_at=offered + wait,
                        seconds=int(wait.total_seconds()),
                        outcome="accepted",
                    )
                )

    await past_offers(slow, 1, timedelta(hours=20))
    await past_offers(quick, 3, timedelta(hours=2))
    await past_offers(quicker, 1, timedelta(minutes=30))
    # All at zero open requests: the quick ones first, the least asked of them first; the
    # slow one last although it was asked least.
    assert await ranked(db, s["덕양구"]) == [quicker, quick, slow]


async def test_paused_full_slotless_and_elsewhere_mentors_get_nothing(db):
    s = await schools(db)
    await add_mentor(db, 520, paused=True)
    await add_mentor(db, 521, max_open=2, open_requests=2)
    await add_mentor(db, 522, slots=())
    await add_mentor(db, 523, online=False, visits=True, districts="일산동구")
    await add_mentor(db, 524)
    async with db.write() as conn:  # a mentor whose user left (blocked the bot)
        await conn.execute(update(User).where(User.id == 524).values(active=False))
    assert await ranked(db, s["덕양구"]) == []
    assert await ranked(db, s["덕양구"], mode="visit") == []
    assert len(await ranked(db, s["일산동구"], mode="visit")) == 1
    # Preferred times: only Tuesday and Thursday 16:00 are free, after school.
    visiting = await ranked(db, s["일산동구"], mode="visit", times=("after",))
    assert len(visiting) == 1
    assert await ranked(db, s["일산동구"], mode="visit", times=("weekend",)) == []


async def test_a_paused_mentor_is_offered_nothing_and_resuming_takes_the_line(db):
    s = await schools(db)
    mentor_id = await add_mentor(db, 530, paused=True)
    await add_student(db, 10_002, s["덕양구"])
    created = await ask(db, 10_002)
    assert created.offered_to is None
    assert (await request(db, created.request_id)).status == "waiting"
    async with db.write() as conn:
        await mentors.set_paused(conn, mentor_id, 530, False, now=NOW)
        line = await mentors.waiting_in_line(conn, now=NOW)
        assert line == [created.request_id]
        offered = await mentors.offer_next(conn, line[0], now=NOW, window=WINDOW)
    assert offered.mentor_id == mentor_id
    await assert_places_match(db)


async def test_priority_requests_are_offered_first_from_the_line(db):
    s = await schools(db)
    await add_teacher(db, 20_001, s["덕양구"])
    for n in range(3):
        await add_student(db, 10_010 + n, s["덕양구"], name=f"학생{n}")
    first, second, third = [(await ask(db, 10_010 + n)).request_id for n in range(3)]
    teacher = await user(db, 20_001)
    async with db.write() as conn:
        await mentors.set_priority(conn, third, teacher, True, now=NOW)
    mentor_id = await add_mentor(db, 531, max_open=1)
    async with db.write() as conn:
        assert await mentors.waiting_in_line(conn, now=NOW) == [third, first, second]
        for request_id in await mentors.waiting_in_line(conn, now=NOW):
            await mentors.offer_next(conn, request_id, now=NOW, window=WINDOW)
    assert (await request(db, third)).mentor_id == mentor_id
    assert {(await request(db, r)).status for r in (first, second)} == {"waiting"}
    # Only staff and the covering teacher may set it; another school's teacher may not.
    await add_teacher(db, 20_002, s["일산동구"])
    async with db.write() as conn:
        with pytest.raises(NotFound):
            await mentors.set_priority(conn, first, await user(db, 20_002), True, now=NOW)
        with pytest.raises(NotFound):
            await mentors.set_priority(conn, first, await user(db, 531), True, now=NOW)


async def test_consent_and_limits(db):
    s = await schools(db)
    await add_mentor(db, 540, max_open=10)
    await add_student(db, 10_020, s["덕양구"], under14=True)
    with pytest.raises(mentors.Refused) as refused:
        await ask(db, 10_020)
    assert refused.value.reason == "consent"
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 10_020).values(consent_at=NOW))
    for _ in range(mentors.STUDENT_OPEN_LIMIT):
        await ask(db, 10_020)
    with pytest.raises(mentors.Refused) as refused:
        await ask(db, 10_020)
    assert refused.value.reason == "too_many"
    with pytest.raises(mentors.Refused):
        await ask(db, 10_020, mode="group")  # classes only


# ----- fields typed as words ------------------------------------------------------------------


async def test_typed_words_find_fields_like_programme_search(db):
    await schools(db)
    mentor_id = await add_mentor(db, 620, "보건·의료")
    async with db.write() as conn:
        await conn.execute(
            update(Mentor)
            .where(Mentor.id == mentor_id)
            .values(title="간호사", bio="병동에서 일하는 Nurse 예요")
        )
        assert (await mentors.find_fields(conn, "간호"))[0] == "보건·의료"
        assert (await mentors.find_fields(conn, "방송"))[0] == "방송영상"
        assert "보건·의료" in await mentors.find_fields(conn, "nurze")  # one typo away
        assert "보건·의료" in await mentors.find_fields(conn, "ＮＵＲＳＥ")  # full width
        assert await mentors.find_fields(conn, "우주비행사") == []
