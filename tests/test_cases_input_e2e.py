"""Cases end to end: stale and forged buttons, a sticker and typed text where a button is
expected get clear answers.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so nothing a
student is told waits for the morning, and travels on from there when it needs to.
"""

from __future__ import annotations

from handlers.cases import buttons
from storage import cases as store
from tests.cases_e2e_helpers import STALE_STUDENT, STUDENT, STUDENT2, book, cases, join, world

# ----- bad input --------------------------------------------------------------------------------


async def test_stale_buttons_typing_and_stickers_get_clear_answers(
    tuesday_morning, bot, sandbox, db
):
    w = await world(db, sandbox)
    minji = await join(sandbox, STUDENT, "김민지")
    seojun = await join(sandbox, STUDENT2, "이서준")
    booking = await book(db, w["session"], STUDENT)
    await book(db, w["session"], STUDENT2)
    # From /my, the booking's own button.
    await minji.send("/my")
    await minji.press("해양 생물")
    await minji.press("문제 알리기")
    assert "어떤 문제인가요" in minji.last_text
    kinds_asked = minji.last_message["message_id"]
    await minji.send_sticker()  # not words: a button is asked for
    assert "아래 버튼 중에서 골라 주세요" in minji.last_text
    await minji.send("빨리요")  # typed before the kind: kept as the first message
    assert "적어 준 내용은 첫 메시지로 넣어 뒀어요" in minji.last_text
    assert "어떤 문제인가요" in minji.last_text
    assert not shown(minji, kinds_asked).get("reply_markup")  # asked again below
    await minji.press("일정 변경")
    assert "빨리요" in minji.last_text and "이대로 보낼까요" in minji.last_text
    await minji.press("다시 쓰기")
    text_asked = minji.last_message["message_id"]
    assert "그만두기" in str(shown(minji, text_asked)["reply_markup"])
    await minji.send_sticker()
    assert "메시지를 쓰거나 사진을 보내 주세요" in minji.last_text
    await minji.send("가" * 2001)
    assert "2001자예요. 여기에는 2000자까지" in minji.last_text
    await minji.send("토요일 회차로 바꿀 수 있나요?")
    # The message came: the summary below has the buttons, its question above none.
    assert not shown(minji, text_asked).get("reply_markup")
    await minji.press("보내기")
    await minji.press_data(minji.last_message["message_id"], buttons.SEND.pack())  # pressed twice
    assert minji.callback_answers[-1]["text"].startswith(STALE_STUDENT)
    assert len(await cases(db)) == 1
    # Another student forges buttons of her case and her booking.
    (found,) = await cases(db)
    await seojun.send("/cases")
    assert "진행 중인 내 사례: 0건" in seojun.last_text
    message_id = seojun.last_message["message_id"]
    for data in (
        buttons.VIEW.pack(found.id, 0),
        buttons.REPLY.pack(found.id),
        buttons.ABOUT_BOOKING.pack(booking),
        buttons.KIND_CHOSEN.pack(booking, 0),
        buttons.ACCEPT.pack(found.id, 1),
        "cs:v:abc:0",
        "cs:v:²:0",
        "cs:zz:1",
        buttons.PARTY_CHOSEN.pack(found.id, 0, 1),
    ):
        await seojun.press_data(message_id, data)
        assert seojun.callback_answers[-1]["text"].startswith(STALE_STUDENT), data
    # A student answering a relayed message while in another flow: that flow takes it.
    await w["monitor"].expect("사례 #1", timeout=10)
    await w["monitor"].press("사례 보기")
    await w["monitor"].press("모두에게")
    await w["monitor"].send("어떤 사정인지 더 알려 줄래요?")
    news = await minji.expect("더 알려 줄래요", timeout=10)
    await minji.send("/cases")
    await minji.press("새 사례")
    await minji.send("엄마가 아파서요", reply_to=news["message_id"])
    assert "아래 버튼 중에서 골라 주세요" in minji.last_text
    await minji.send("/cancel")
    await minji.send("엄마가 아파서요", reply_to=news["message_id"])
    await minji.expect("모두에게 보냈어요")
    await w["monitor"].expect("엄마가 아파서요", timeout=10)


def shown(user, message_id: int) -> dict:
    """The bot's message `message_id` as the user's chat shows it now."""
    return next(m for m in user.bot_messages if m["message_id"] == message_id)


def test_the_buttons_bounds_are_the_storage_s():
    """A kind and an outcome travel by their index in storage's tuples, a party and a
    monitor with a check number: the declared bounds fit exactly what storage has."""
    assert buttons.KIND_CHOSEN.fields[-1].high == len(store.KINDS) - 1
    assert buttons.OUTCOME_CHOSEN.fields[-1].high == len(store.OUTCOMES) - 1
    assert buttons.CLOSE_NOW.fields[-1].high == len(store.OUTCOMES) - 1
    assert buttons.TAG.high == 16**5 - 1 >= store.party_tag(2**31 - 1, 2**62)
