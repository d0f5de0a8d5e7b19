"""Buttons that no longer work do not stay: once an offer is accepted or declined, a meeting
logged, a request rejected, the message they were on loses them and says what happened.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking).
"""

from __future__ import annotations

from datetime import timedelta

import time_machine

from handlers.outbox import dispatch_tick
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import add_mentor, ask
from tests.world_helpers import add_teacher


def message_with(person, fragment: str) -> dict:
    """The newest bot message whose text contains `fragment`, as the person sees it now."""
    for message in reversed(person.bot_messages):
        if fragment in (message.get("text") or message.get("caption") or ""):
            return message
    raise AssertionError(f"no message with {fragment!r}")


def buttons_of(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def data_of(message: dict, fragment: str) -> str:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return next(b["callback_data"] for row in rows for b in row if fragment in b["text"])


async def test_an_accepted_offer_says_so_and_keeps_no_buttons(tuesday_morning, bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8401, "윤서진")
    minji = await join_as_student(sandbox, 8451, "김민지")
    await ask(minji)
    offer = await pd.expect("새 멘토 요청")
    accept = data_of(offer, "수락")
    await pd.press("수락")
    assert "요청을 수락하셨습니다" in pd.last_text  # the next step: the time
    await pd.refresh()
    offer = message_with(pd, "새 멘토 요청")
    assert "✅ 수락했습니다" in offer["text"] and buttons_of(offer) == []
    # The old press, sent again (a double tap that raced the edit): a friendly answer.
    await pd.press_data(offer["message_id"], accept)
    assert "✅ 수락했습니다" in message_with(pd, "새 멘토 요청")["text"]


async def test_a_declined_offer_with_a_reason_is_settled(tuesday_morning, bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8402, "윤서진")
    minji = await join_as_student(sandbox, 8452, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("거절")
    # The offer became the question: no second message with buttons left behind.
    assert "사유를 짧게" in pd.last_text
    assert not any("새 멘토 요청" in m.get("text", "") for m in pd.bot_messages)
    await pd.press("◀ 취소하지 않기")  # changed their mind: the offer again, with its buttons
    assert "✅ 수락" in pd.buttons
    await pd.press("거절")
    question = pd.last_message["message_id"]
    await pd.send("이번 주는 촬영이 있어요")
    assert "다른 멘토에게 갑니다" in pd.last_text
    await pd.refresh()
    settled = next(m for m in pd.bot_messages if m["message_id"] == question)
    assert settled["text"] == "❌ 거절했습니다" and buttons_of(settled) == []


async def test_a_logged_meeting_loses_its_buttons_and_the_skip_goes_with_a_note(
    tuesday_morning, bot, sandbox, db
):
    pd = await add_mentor(db, sandbox, 8403, "윤서진")
    minji = await join_as_student(sandbox, 8453, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")
    await pd.press("(수) 16:00")
    await pd.send("https://meet.example/pd-room")
    wednesday = tuesday_morning + timedelta(days=1)
    with time_machine.travel(wednesday.replace(hour=17, minute=1), tick=True):
        await dispatch_tick(bot)
        notice = await pd.expect("만남은 어떠셨습니까")
        await pd.press("✅ 진행함")
        held = data_of(pd.last_message, "60분")
        await pd.press("60분")
        logged = notice["message_id"]  # the notice became the question of a note
        assert "메모 건너뛰기" in pd.buttons
        await pd.send("편집 프로그램 추천을 약속했어요")
        await pd.refresh()
        note = next(m for m in pd.bot_messages if m["message_id"] == logged)
        assert note["text"] == "📝 메모를 저장했습니다" and buttons_of(note) == []
        # A log button pressed again where it still shows (an old copy): answered, and that
        # message too says what became of it.
        await pd.press_data(notice["message_id"], held)
        assert "이미 기록되었습니다" in pd.callback_answers[-1]["text"]
        await pd.refresh()
        again = next(m for m in pd.bot_messages if m["message_id"] == notice["message_id"])
        assert buttons_of(again) == []


def shown(person, message_id: int) -> dict:
    """The bot's message `message_id` as the person's chat shows it now."""
    return next(m for m in person.bot_messages if m["message_id"] == message_id)


async def test_a_place_typed_takes_the_school_button_away(tuesday_morning, bot, sandbox, db):
    near = await add_mentor(
        db, sandbox, 8404, "강소방", "소방·안전", online=False, school_visits=True
    )
    teacher = await add_teacher(db, sandbox, 8420, "박선영")  # 정발중학교, 일산동구
    await ask(teacher, field="소방·안전", mode="학교 방문 멘토링", question="2반 30명, 소방관")
    await near.expect("새 멘토 요청")
    await near.press("수락")
    await near.press("(화) 16:00")
    asked = near.last_message
    assert "학교의 어디에서" in asked["text"] and "정발중학교에서" in buttons_of(asked)[0]
    await near.send("3층 진로활동실")
    assert "만남이 정해졌습니다" in near.last_text and "3층 진로활동실" in near.last_text
    # The place came typed: the question keeps its words, not "at the school" to press.
    assert buttons_of(shown(near, asked["message_id"])) == []


async def test_retyping_a_free_time_makes_its_read_back_the_question(
    tuesday_morning, bot, sandbox, db
):
    pd = await add_mentor(db, sandbox, 8405, "윤서진")
    await pd.send("/slots")
    await pd.press("가능한 시간 추가")
    await pd.send("목요일 19시")
    read_back = pd.last_message["message_id"]
    assert "매주 목요일 19:00" in pd.last_text and "✅ 이대로 추가" in pd.buttons
    await pd.press("✏️ 다시 입력")
    # No "✅ 이대로 추가" is left above for a time that is not the one typed next.
    retyped = shown(pd, read_back)
    assert buttons_of(retyped) == [] and "19:00" not in retyped["text"]
    await pd.send("금요일 17시")
    await pd.press("✅ 이대로 추가")
    assert "매주 금 17:00 (60분)" in pd.last_text and "매주 목 19:00" not in pd.last_text


async def test_fields_typed_again_leave_one_list_to_press(tuesday_morning, bot, sandbox, db):
    await add_mentor(db, sandbox, 8406, "윤서진")
    minji = await join_as_student(sandbox, 8456, "김민지")
    await minji.send("/mentor")
    await minji.press("멘토에게 묻기")
    first = minji.last_message["message_id"]
    assert any("방송영상" in b for b in buttons_of(shown(minji, first)))
    await minji.send("방송")  # the fields for her words, below: the list above goes
    assert buttons_of(shown(minji, first)) == []
    assert any("방송영상" in b for b in minji.buttons)
    await minji.press("방송영상")
    assert "온라인 1:1" in str(minji.buttons)
