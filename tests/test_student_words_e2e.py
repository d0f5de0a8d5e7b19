"""What people type, end to end (issue 20): typed words start a fresh search (filters stay
only inside the /search panel, shown, with ✕); greetings and requests for help get a menu;
/cancel with nothing in progress says so; adults typing get their own commands, formally."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import time_machine

from storage import search
from storage.models import utcnow
from tests.conftest import ADMIN_ID, join_as_student
from tests.world_helpers import add_teacher

KST = ZoneInfo("Asia/Seoul")
POLITE_ENDING = re.compile(r"요[.!?]")  # 해요체: "…없어요." — never to an adult
FORMAL_ENDING = re.compile(r"(니다|니까|시오)[.!?]")


# ----- 1. typed words start a fresh search ---------------------------------------------------


async def test_a_typed_day_does_not_narrow_the_next_word(bot, sandbox, db):
    day = await _a_day_with_sessions(db)
    minji = await join_as_student(sandbox, 4401, "김민지")
    await minji.send(f"{day.month}월 {day.day}일")
    assert f"🔸 {day.month}월 {day.day}일" in minji.last_text
    await minji.send("꽃")
    text = minji.last_text
    assert "🔸" not in text and "없어요" not in text, text
    assert f"“꽃” 검색 결과 {await _count(db, '꽃')}개" in text
    assert not any(b.startswith("✕") for b in minji.buttons)


async def test_search_opens_fresh_without_the_last_words_or_day(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4402, "김민지")
    await minji.send("바이오 로봇")
    await minji.send("12/3")
    await minji.send("/search")
    text = minji.last_text
    assert "바이오" not in text and "🔸" not in text, text
    assert f"지금 조건에 맞는 프로그램은 {await _count(db, '')}개" in text
    assert "✕ 모두 지우기" not in minji.buttons


async def test_panel_filters_narrow_typed_words_visibly_then_lapse(
    tuesday_morning, bot, sandbox, db
):
    minji = await join_as_student(sandbox, 4403, "김민지")
    await minji.send("/search")
    await minji.press("분야: 전체")
    await minji.press("화훼")
    await minji.send("꽃")  # while the panel is in use: within its filter, and shown so
    assert "🔸 화훼" in minji.last_text and "✕ 화훼" in minji.buttons
    await minji.press("✕ 화훼")  # one tap clears it
    assert "🔸" not in minji.last_text
    await minji.send("/search")
    await minji.press("분야: 전체")
    await minji.press("화훼")
    # Back an hour later: typing starts afresh, the old panel's filter does not stick.
    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=True):
        await minji.send("꽃")
    assert "🔸" not in minji.last_text
    assert f"“꽃” 검색 결과 {await _count(db, '꽃')}개" in minji.last_text


# ----- 2. greetings and requests for help ----------------------------------------------------

GREETINGS_AND_HELP = [
    "안녕",
    "안녕하세요!",
    "ㅎㅇ",
    "도와주세요",
    "도와줘 ㅠㅠ",
    "뭐 할 수 있어?",
    "여기서 뭐 할 수 있어요?",
    "이거 어떻게 써요?",
    "잘 모르겠어요",
    "hi",
    "Hello!",
    "help",
    "what can you do?",
]


async def test_greetings_and_requests_for_help_get_a_menu(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4404, "김민지")
    for words in GREETINGS_AND_HELP:
        await minji.send(words)
        text = minji.last_text
        assert "여기서는 이런 걸 할 수 있어요" in text, (words, text)
        assert "맞는 프로그램이 없어요" not in text and "/my" in text, words
        assert minji.buttons == ["🔎 프로그램 찾기", "✨ 나에게 맞는 추천"], words
    await minji.send("안녕하세요")
    assert minji.last_text.startswith("안녕하세요, 김민지 학생!")
    await minji.press("🔎 프로그램 찾기")
    assert "프로그램 찾기" in minji.last_text and "분야: 전체" in minji.buttons
    await minji.send("도와줘")
    await minji.press("✨ 나에게 맞는 추천")
    assert "나에게 맞는 프로그램" in minji.last_text
    # Words that only look like a greeting are still searched for.
    await minji.send("하이브")
    assert "여기서는 이런 걸" not in minji.last_text and "하이브" in minji.last_text
    await minji.send("/settings")
    await minji.press("English")
    await minji.send("hey, what can I do here?")
    assert "Here is what you can do here" in minji.last_text
    assert minji.buttons == ["🔎 Find a programme", "✨ Picks for me"]


# ----- 3. /cancel with nothing in progress ---------------------------------------------------


async def test_cancel_with_nothing_in_progress_or_after_only_looking(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4405, "김민지")
    await minji.send("/cancel")
    _nothing_stopped(minji.last_text)
    await minji.send("꽃")  # looking at results and a card starts nothing
    await minji.press("1. ")
    await minji.send("/cancel")
    _nothing_stopped(minji.last_text)
    await minji.send("/search")
    await minji.press("날짜: 언제든")
    await minji.press("📅 날짜 입력")  # asked which day; nothing typed yet
    await minji.send("/cancel")
    _nothing_stopped(minji.last_text)
    # Afterwards typed words search afresh, not the step left behind.
    await minji.send("꽃")
    assert "“꽃” 검색 결과" in minji.last_text and "🔸" not in minji.last_text


def _nothing_stopped(text: str) -> None:
    assert "취소했어요" not in text and "저장하지 않았" not in text, text
    assert "멈춘 것도 없고" in text and "예약과 신청은 그대로예요" in text, text


# ----- 4. adults typing get their commands, formally -----------------------------------------


async def test_adults_typing_get_their_role_commands_formally(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 4406, "박선영")
    assert await _count(db, "학생 명단 보여 주세요") == 0
    await teacher.send("학생 명단 보여 주세요")
    text = teacher.last_text
    assert "“학생 명단 보여 주세요”에 맞는 프로그램이 없습니다" in text, text
    assert "명령으로 처리하지 않습니다" in text and "/pending" in text and "/search" in text
    _formal(text)
    await teacher.send("안녕하세요")
    assert teacher.last_text.startswith("안녕하십니까.") and "/classbook" in teacher.last_text
    _formal(teacher.last_text)
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/start")
    await admin.send("도와주세요")
    assert "담당자가 할 수 있는 일" in admin.last_text and "/invite" in admin.last_text
    _formal(admin.last_text)
    # Words that find programmes list them, formally.
    await admin.send("꽃")
    assert "“꽃” 검색 결과" in admin.last_text
    _formal(admin.last_text)
    # Inside the /search panel, the screens are formal too, and so is "nothing found".
    await teacher.send("/search")
    _formal(teacher.last_text)
    await teacher.press("분야: 전체")
    _formal(teacher.last_text)
    await teacher.press("화훼")
    await teacher.send("없는말입니다")
    assert "“없는말입니다”에 맞는 프로그램이 없습니다" in teacher.last_text
    assert "🔸 화훼" in teacher.last_text and "/pending" not in teacher.last_text
    _formal(teacher.last_text)


def _formal(text: str) -> None:
    assert FORMAL_ENDING.search(text) and not POLITE_ENDING.search(text), text


# ----- helpers --------------------------------------------------------------------------------


async def _count(db, words: str) -> int:
    async with db.read() as conn:
        return (await search.search(conn, words, limit=0, now=utcnow())).total


async def _a_day_with_sessions(db):
    """The day (in Seoul) of the soonest upcoming session of any programme."""
    async with db.read() as conn:
        found = await search.search(conn, "", limit=1, now=utcnow())
    return found.hits[0].next_start.astimezone(KST).date()


async def test_a_newcomer_who_greets_at_the_first_question_is_greeted_not_told_off(bot, sandbox):
    """Someone new says 안녕 (or asks for help) before choosing who they are: the welcome
    comes again, with its buttons, and no "choose a button" reproach; other words still get
    the reminder to press one."""
    newcomer = sandbox.user(4491, "하늘")
    await newcomer.send("/start")
    for words in ("안녕", "도와주세요", "hi"):
        before = len(newcomer.bot_messages)
        await newcomer.send(words)
        said = [m["text"] for m in newcomer.bot_messages[before:]]
        assert len(said) == 1 and said[0].startswith("안녕하세요! 진로체험 도우미 진로예요."), said
        assert "🎒 학생이에요" in newcomer.buttons
    await newcomer.send("정발중학교")  # an answer to a question not asked yet
    assert newcomer.bot_messages[-2]["text"].startswith("아래 버튼 중에서 골라 주세요.")
    assert "🎒 학생이에요" in newcomer.buttons
