"""The mentor end-to-end tests' people: a mentor on Jinro with weekly free times, a teacher,
a request asked as in the chat, and the clock's mentor step then the outbox."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import insert, select

from handlers.mentors import clock_tick
from handlers.outbox import dispatch_tick
from storage.models import Mentor, MentorRequest, MentorSlot, User
from tests.conftest import join_as_student

KST = ZoneInfo("Asia/Seoul")
STALE = "이 버튼은 이제 쓸 수 없"  # 없어요 to students, 없습니다 to adults
QUESTION = "방송 PD가 되려면 중학생 때 무엇을 해 보면 좋을까요?"
# Weekdays at 16:00 and Saturday at 10:00.
WEEKLY = [(d, time(16, 0)) for d in range(5)] + [(5, time(10, 0))]


async def add_mentor(db, sandbox, user_id: int, name: str, field="방송영상", **values):
    """A mentor on Jinro with a profile and weekly free times; their chat opened."""
    profile = {
        "kind": "professional",
        "name": name,
        "field": field,
        "title": "방송 PD",
        "organization": "MBC",
        "online": True,
        "group_sessions": False,
        "school_visits": False,
        "districts": "일산동구",  # where 정발중학교 is
        "max_open": 3,
        **values,
    }
    async with db.write() as conn:
        mentor_id = await conn.scalar(insert(Mentor).values(**profile).returning(Mentor.id))
        for weekday, starts in WEEKLY:
            await conn.execute(
                insert(MentorSlot).values(
                    mentor_id=mentor_id, weekday=weekday, starts=starts, minutes=60
                )
            )
        await conn.execute(
            insert(User).values(id=user_id, role="mentor", name=name, mentor_id=mentor_id)
        )
    person = sandbox.user(user_id, name)
    await person.send("/help")
    return person


async def ask(
    student, *, field="방송영상", mode="온라인 1:1", times=(), question=QUESTION, typed=False
):
    """The student (or teacher) asks through /mentor, as in the chat: the field by its
    button among those with mentors free, or `typed` as words when none is."""
    await student.send("/mentor")
    await student.press("멘토에게 묻기")
    if typed:
        await student.send(field)
    await student.press(field)
    await student.press(mode)
    for name in times:
        await student.press(name)
    await student.press("다음 ▶" if times else "언제든")
    await student.send(question)
    await student.press("보내기")


async def a_request_for_two_mentors(db, sandbox, first_id: int, second_id: int, student_id: int):
    """Two mentors of 방송영상, the second in 일산서구 (so asked second), and 김민지, who asks;
    once the first mentor has the request: (first, second, minji)."""
    first = await add_mentor(db, sandbox, first_id, "윤서진")
    second = await add_mentor(db, sandbox, second_id, "임채원", districts="일산서구")
    minji = await join_as_student(sandbox, student_id, "김민지")
    await ask(minji)
    await first.expect("새 멘토 요청")
    return first, second, minji


async def accept(mentor, link: str, slot: str = "(화) 16:00") -> None:
    """The mentor accepts the offer they were sent, at `slot`, and gives the meeting's link."""
    await mentor.press("수락")
    await mentor.press(slot)
    await mentor.send(link)


async def requests(db) -> list:
    async with db.read() as conn:
        found = await conn.execute(select(MentorRequest.__table__).order_by(MentorRequest.id))
        return list(found.all())


def count(person, fragment: str) -> int:
    return sum(fragment in m.get("text", "") for m in person.bot_messages)


async def travel_tick(bot, moment: datetime) -> None:
    """The clock at `moment`: the mentor step, then the outbox."""
    with time_machine.travel(moment, tick=True):
        await clock_tick(bot)
        await dispatch_tick(bot)
