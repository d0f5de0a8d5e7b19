"""Search by typing, end to end through the sandbox: results, paging, the card, stale buttons."""

from __future__ import annotations

from tests.conftest import join_as_student


async def test_typing_a_word_lists_programmes_and_opens_a_card(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4001, "김민지")
    await minji.send("꽃")
    assert "“꽃” 검색 결과" in minji.last_text
    assert minji.buttons and minji.buttons[0].startswith("1. ")
    first = minji.buttons[0][3:]
    await minji.press("1. ")
    assert first[:20] in minji.last_text and "안전 점검" in minji.last_text
    assert "다가오는 일정" in minji.last_text
    await minji.press("신청하기")
    assert "곧 열려요" in minji.callback_answers[-1]["text"]
    await minji.press("목록으로")
    assert "“꽃” 검색 결과" in minji.last_text


async def test_paging_and_no_results(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4002, "김민지")
    await minji.send("체험")
    assert "쪽 중 1쪽" in minji.last_text
    await minji.press("다음 ▶")
    assert "쪽 중 2쪽" in minji.last_text and minji.buttons[0].startswith("6. ")
    await minji.press("◀ 이전")
    assert "쪽 중 1쪽" in minji.last_text
    await minji.send("없는말입니다")
    assert "“없는말입니다”에 맞는 프로그램이 없어요" in minji.last_text


async def test_old_and_forged_search_buttons(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4003, "김민지")
    await minji.send("방송")
    results = minji.last_message["message_id"]
    await minji.press_data(results, "sr:p:999999:0")
    assert "쓸 수 없어요" in minji.callback_answers[-1]["text"]
    await minji.send("/cancel")
    await minji.press_data(results, "sr:pg:1")
    assert "쓸 수 없어요" in minji.callback_answers[-1]["text"]


async def test_guests_are_asked_to_start(bot, sandbox):
    guest = sandbox.user(4004, "손님")
    await guest.send("꽃")
    assert "/start" in guest.last_text
