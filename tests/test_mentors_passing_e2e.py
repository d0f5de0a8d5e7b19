"""Mentor requests end to end: a request passing to a second mentor after a decline and after
a timeout (time travel); two mentors pressing accept at once (one wins); a paused mentor
who receives nothing; consent.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so what a student
is told is never held back by quiet hours, and travels on from there when it needs to.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select, update

from storage.models import Mentor, MentorOffer, MentorRequest, User
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import (
    KST,
    QUESTION,
    a_request_for_two_mentors,
    add_mentor,
    count,
    requests,
    travel_tick,
)

# ----- passing on -----------------------------------------------------------------------------


async def test_a_declined_request_passes_to_a_second_mentor(tuesday_morning, bot, sandbox, db):
    first, second, minji = await a_request_for_two_mentors(db, sandbox, 8002, 8003, 8102)
    assert count(second, "새 멘토 요청") == 0
    offer = first.last_message
    accept = offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await first.press("거절")
    assert "사유를 짧게" in first.last_text
    await first.send("이번 주는 촬영이 있어요")
    assert "다른 멘토에게 갑니다" in first.last_text
    await second.expect("새 멘토 요청")
    # The offer says it was declined, without buttons; its accept sent again is too late.
    await first.refresh()
    settled = next(m for m in first.bot_messages if m["message_id"] == offer["message_id"])
    assert settled["text"] == "❌ 거절했습니다" and not settled.get("reply_markup")
    await first.press_data(offer["message_id"], accept)
    assert "이미 다른 멘토에게 갔거나" in first.last_text
    async with db.read() as conn:
        offers = dict((await conn.execute(select(MentorOffer.mentor_id, MentorOffer.reason))).all())
    assert "이번 주는 촬영이 있어요" in offers.values()
    await minji.send("/mentor")
    await minji.press("방송영상")
    assert "멘토가 요청을 보고 있어요" in minji.last_text


async def test_an_unanswered_offer_passes_on_and_two_mentors_accept_at_once(
    tuesday_morning, bot, sandbox, db
):
    first, second, minji = await a_request_for_two_mentors(db, sandbox, 8004, 8005, 8103)
    # Four hours before it passes on, the first mentor is reminded.
    await travel_tick(bot, tuesday_morning + timedelta(hours=20, minutes=1))
    await first.expect("요청이 아직 답을 기다리고 있습니다")
    assert count(second, "멘토 요청") == 0
    # A day on, nobody answered: the clock passes it to the second mentor.
    later = tuesday_morning + timedelta(hours=24, minutes=1)
    await travel_tick(bot, later)
    await second.expect("새 멘토 요청")
    # Both press accept at the same moment: the one it is offered to now wins.
    with time_machine.travel(later + timedelta(minutes=1), tick=True):
        await asyncio.gather(first.press("수락"), second.press("수락"))
    await first.refresh()
    await second.refresh()
    assert any("이미 다른 멘토에게 갔거나" in m.get("text", "") for m in first.bot_messages)
    assert any("요청을 수락하셨습니다" in m.get("text", "") for m in second.bot_messages)
    [request] = await requests(db)
    async with db.read() as conn:
        winner = await conn.scalar(select(User.mentor_id).where(User.id == 8005))
        outcomes = sorted((await conn.execute(select(MentorOffer.outcome))).scalars())
    assert (request.status, request.mentor_id) == ("accepted", winner)
    assert outcomes == ["accepted", "timeout"]


# ----- nobody available -----------------------------------------------------------------------


async def test_a_paused_mentor_receives_nothing_until_they_resume(
    tuesday_morning, bot, sandbox, db
):
    mentor = await add_mentor(db, sandbox, 8007, "윤서진")
    await mentor.send("/profile")
    await mentor.press("요청 잠시 멈춤")
    minji = await join_as_student(sandbox, 8104, "김민지")
    await minji.send("/mentor")
    await minji.press("멘토에게 묻기")
    await minji.send("방송")  # typed words, matched like programme search
    await minji.press("방송영상")
    await minji.press("온라인 1:1")
    assert "시간이 되는 멘토가 없어요" in minji.last_text
    await minji.press("언제든")
    await minji.send(QUESTION)
    await minji.press("보내기")
    assert "지금은 맡을 수 있는 멘토가 없어요" in minji.last_text
    # The nearest alternatives: a related field's mentor, and programmes in the field.
    await add_mentor(db, sandbox, 8008, "임채원", "디자인")
    await minji.send("/mentor")
    await minji.press("방송영상")
    assert "관련 분야 디자인에서 시간이 되는 멘토: 1명" in minji.last_text
    assert "이 분야의 체험 프로그램" in minji.last_text

    await travel_tick(bot, tuesday_morning + timedelta(minutes=5))
    await mentor.refresh()
    assert count(mentor, "멘토 요청") == 0
    [request] = await requests(db)
    assert request.status in ("waiting", "offered") and request.mentor_id != (
        await _mentor_of(db, 8007)
    )
    # The related-field mentor may have been offered it; the paused one never.
    async with db.read() as conn:
        asked = set((await conn.execute(select(MentorOffer.mentor_id))).scalars())
    assert await _mentor_of(db, 8007) not in asked

    await mentor.send("/profile")
    await mentor.press("요청 다시 받기")
    async with db.write() as conn:  # the other mentor lets it go
        await conn.execute(update(Mentor).where(Mentor.name == "임채원").values(paused=True))
        await conn.execute(
            update(MentorRequest)
            .where(MentorRequest.status == "offered")
            .values(offer_expires_at=datetime.now(KST))
        )
    await travel_tick(bot, tuesday_morning + timedelta(minutes=10))
    await mentor.expect("새 멘토 요청")


async def _mentor_of(db, user_id: int) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(User.mentor_id).where(User.id == user_id))


async def test_a_student_under_14_needs_consent_first(tuesday_morning, bot, sandbox, db):
    await add_mentor(db, sandbox, 8009, "윤서진")
    seojun = await join_as_student(sandbox, 8105, "이서준", under14=True, grade=1)
    await seojun.send("/mentor")
    assert "보호자 동의가 필요해요" in seojun.last_text
    await seojun.press("멘토에게 묻기")
    assert "/consent" in seojun.callback_answers[-1]["text"]
    assert await requests(db) == []
