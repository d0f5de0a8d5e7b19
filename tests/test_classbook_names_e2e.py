"""Names typed for class seats that cannot all be taken, end to end through the sandbox
(handlers/classbook/names.py): nothing is saved, each refused name is told with why, the
names that were fine are counted, and what was typed comes back whole to copy and fix; the
step stays. More names than seats, a list near Telegram's limit, a corrected name too long."""

from __future__ import annotations

import pytest

from handlers.classbook.names import problems, typed_names
from tests.test_classbook_e2e import start_from_card
from tests.test_give_back_e2e import given_back, given_back_later
from tests.test_pending_e2e import world
from tests.world_helpers import add_teacher, session_bookings

pytestmark = pytest.mark.usefixtures("tuesday_morning")


async def names_on(db, session_id: int) -> list:
    return [s.student_name for s in await session_bookings(db, session_id)]


async def test_refused_names_are_told_with_why_and_the_text_comes_back(bot, sandbox, db):
    session_id = await world(db, capacity=8)
    teacher = await add_teacher(db, sandbox, 7401, "박선영")
    await start_from_card(teacher, session_id)
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")

    typed = "홍길동, 김민지1\n😀, 이서준 박하은 최유리 정다은 강민준 윤서연, 김철수"
    await teacher.send(typed)
    text = teacher.last_text
    assert "“김민지1”은 명단에 넣을 수 없는 이름입니다" in text and "(1)" in text
    assert "“😀”는 명단에 넣을 수 없는 이름입니다" in text
    # Names run together (commas left out): quoted short, and how to separate them.
    assert "“이서준 박하은 최유리 정다은 강민준…”는" in text and "2자에서 20자까지" in text
    assert "쉼표나 줄바꿈으로 나누어" in text
    assert "나머지 2개 이름은 괜찮지만 아무것도 저장하지 않았습니다" in text
    assert given_back(teacher.last_message, typed)
    assert await names_on(db, session_id) == [None] * 5

    # The step stays: the corrected list goes on the seats.
    await teacher.send("홍길동, 김민지\n이서준, 박하은, 김철수")
    assert await names_on(db, session_id) == ["홍길동", "김민지", "이서준", "박하은", "김철수"]

    # Every seat has a name now: more names are not lost either.
    await teacher.send("최유리, 정다은")
    assert "모든 자리에 이미 이름이 있어" in teacher.last_text
    assert given_back(teacher.last_message, "최유리, 정다은")


async def test_more_names_than_seats_even_near_telegrams_limit_come_back(bot, sandbox, db):
    session_id = await world(db, capacity=8)
    teacher = await add_teacher(db, sandbox, 7402, "박선영")
    await start_from_card(teacher, session_id)
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")

    await teacher.send("홍길동, 김철수, 이영희, 박하늘, 최유리, 정다은")
    assert "이름 6개를 보내셨지만 이름이 없는 자리는 5석뿐입니다" in teacher.last_text
    assert given_back(teacher.last_message, "홍길동, 김철수, 이영희, 박하늘, 최유리, 정다은")

    # A whole year's list pasted at once (4,000 characters): the words first, then the
    # list alone, whole; no message over Telegram's limit.
    pasted = ", ".join(["가나다"] * 800)[:4000]
    await teacher.send(pasted)
    back = await given_back_later(teacher, pasted)
    words = teacher.bot_messages[-2]
    assert "이름 800개를 보내셨지만" in words["text"] and "다음 메시지에" in words["text"]
    assert back["text"] == pasted and given_back(back, pasted)
    assert await names_on(db, session_id) == [None] * 5


async def test_a_corrected_name_too_long_comes_back(bot, sandbox, db):
    session_id = await world(db, capacity=4)
    teacher = await add_teacher(db, sandbox, 7403, "박선영")
    await start_from_card(teacher, session_id)
    await teacher.press("4")
    await teacher.press("4석 예약")
    await teacher.send("홍길동")
    await teacher.press("변경·취소")
    await teacher.press("1. 홍길동")
    await teacher.press("이름 고치기")
    long_name = ("홍길동 " * 8).strip()  # several names where one is asked for
    await teacher.send(long_name)
    text = teacher.last_text
    assert "“홍길동 홍길동 홍길동 홍길동 홍길동…”는 명단에 넣을 수 없는 이름입니다" in text
    assert "이름을 다시 보내 주시거나" in text
    assert given_back(teacher.last_message, long_name)
    await teacher.send("홍길순")
    assert "1번 자리의 이름을 홍길동에서 홍길순으로 바꾸시겠습니까" in teacher.last_text


def test_typed_names_are_read_and_each_refused_one_quoted_short_with_why():
    assert typed_names(" 홍길동 ,, 김  민지\n\n이서준,") == ["홍길동", "김 민지", "이서준"]
    run_on = "이서준 박하은 최유리 정다은 강민준 윤서연"  # commas left out: one long name
    assert problems(["홍길동", "김민지1", run_on, "😀"]) == [
        {"name": "김민지1", "reason": "characters", "chars": "1"},
        {"name": "이서준 박하은 최유리 정다은 강민준…", "reason": "length", "chars": ""},
        {"name": "😀", "reason": "characters", "chars": "😀"},
    ]
