"""Search end to end through the sandbox: typing, filters, paging, the card, /foryou, inline
mode and shared deep links, and old or forged buttons."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from handlers.search import buttons
from storage import search
from storage.catalogue import NEIGHBOURS
from storage.models import Program, User, utcnow
from tests.conftest import join_as_student

KST = ZoneInfo("Asia/Seoul")


async def test_typing_a_word_lists_programmes_and_opens_a_card(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4001, "김민지")
    await minji.send("꽃")
    assert "“꽃” 검색 결과" in minji.last_text
    assert minji.buttons and minji.buttons[0].startswith("1. ")
    first = minji.buttons[0][3:]
    await minji.press("1. ")
    assert first[:20] in minji.last_text and "안전 점검" in minji.last_text
    assert "다가오는 일정" in minji.last_text
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
    await minji.press_data(results, buttons.CARD.pack(999999, 0))
    assert "쓸 수 없어요" in minji.callback_answers[-1]["text"]
    await minji.send("/cancel")
    await minji.press_data(results, buttons.LIST.pack(1))
    assert "쓸 수 없어요" in minji.callback_answers[-1]["text"]


async def test_guests_are_asked_to_start(bot, sandbox):
    guest = sandbox.user(4004, "손님")
    await guest.send("꽃")
    assert "/start" in guest.last_text


async def test_korean_from_one_syllable_and_a_latin_typo(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4005, "김민지")
    for word, title_part in (
        ("꽃", "꽃"),
        ("방송", "방송"),
        ("바이오", "바이오"),
        ("robt", "Robot"),
    ):
        await minji.send(word)
        assert f"“{word}”:" in minji.last_text or f"“{word}” 검색 결과" in minji.last_text
        assert any(title_part.lower() in b.lower() for b in minji.buttons), (word, minji.buttons)


async def test_filters_combine_are_shown_and_each_can_be_cleared(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4006, "김민지")
    await minji.send("/search")
    assert "프로그램 찾기" in minji.last_text
    everything = await _count(db)
    assert f"{everything}개" in minji.last_text
    await minji.press("분야: 전체")
    assert "어떤 분야" in minji.last_text
    await minji.press("화훼")
    await minji.press("지역: 전체")
    await minji.press("일산동구")
    expected = await _count(db, field="화훼", district="일산동구")
    assert 0 < expected < everything
    assert "분야: 화훼" in minji.buttons and f"🔎 {expected}개 보기" in minji.buttons
    await minji.press("🔎")
    text = minji.last_text
    assert "🔸 화훼 · 일산동구" in text and f"프로그램 {expected}개" in text
    sites = [line for line in text.splitlines() if " · " in line and not line.startswith("🔸")]
    assert len(sites) == min(expected, 5) and all(s.endswith("· 일산동구") for s in sites)
    await minji.press("✕ 화훼")
    assert f"프로그램 {await _count(db, district='일산동구')}개" in minji.last_text
    assert "🔸 일산동구" in minji.last_text and "✕ 화훼" not in minji.buttons


async def test_when_online_and_free_seats(tuesday_morning, bot, sandbox, db):
    from datetime import timedelta

    minji = await join_as_student(sandbox, 4007, "김민지")
    await minji.send("/search")
    await minji.press("날짜: 언제든")
    await minji.press("📅 날짜 입력")
    await minji.send("13/45")
    assert "알 수 없는 날짜" in minji.last_text
    day = (utcnow().astimezone(KST) + timedelta(days=3)).date()
    await minji.send(f"{day.month}월 {day.day}일")
    assert f"날짜: {day.month}월 {day.day}일" in minji.buttons
    await minji.press("🔎")
    lines = [line for line in minji.last_text.splitlines() if line.startswith("가장 가까운 일정")]
    assert lines, minji.last_text
    assert all(f"{day.month}월 {day.day}일" in line for line in lines), lines
    await minji.press("⚙️")
    await minji.press("온·오프라인: 모두")
    assert "온·오프라인: 온라인만" in minji.buttons
    await minji.press("빈자리 있는 것만")
    assert "☑️ 빈자리 있는 것만" in minji.buttons
    await minji.press("✕ 모두 지우기")
    assert "🔸" not in minji.last_text
    # A typed day outside the panel becomes the "when" filter of the search.
    await minji.send(f"{day.month}/{day.day}")
    assert f"🔸 {day.month}월 {day.day}일" in minji.last_text


async def test_no_results_suggest_a_filter_to_drop_and_nearby_programmes(bot, sandbox, db):
    field, district, neighbour = await _empty_pair(db)
    minji = await join_as_student(sandbox, 4008, "김민지")
    await set_filters(minji, ("분야: 전체", field), ("지역: 전체", district))
    await minji.press("🔎")
    text = minji.last_text
    assert "이 조건에 맞는 프로그램이 없어요" in text
    assert f"“지역” 조건을 빼면 {await _count(db, field=field)}개" in text
    assert "가까운 지역에서는" in text and f"({neighbour})" in text
    await minji.press(f"✕ {district}")
    assert f"🔸 {field}" in minji.last_text and "없어요" not in minji.last_text


async def test_for_you_follows_grade_district_and_what_was_opened(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4009, "김민지", grade=1)
    await minji.send("/foryou")
    assert "나에게 맞는 프로그램" in minji.last_text and "1학년" in minji.last_text
    await minji.send("방송")
    await minji.press("1. ")
    await minji.send("/foryou")
    assert "방송영상" in minji.last_text
    first, _page = buttons.CARD.match(_button_data(minji, "1. "))
    async with db.read() as conn:
        program = (await conn.execute(select(Program).where(Program.id == first))).one()
    assert program.field == "방송영상" and "1" in program.target_grades
    guest = sandbox.user(4010, "손님")
    await guest.send("/foryou")
    assert "쓸 수 없어요" in guest.last_text


async def test_inline_cards_carry_a_deep_link_that_opens_the_programme(bot, sandbox, db):
    stranger = sandbox.user(4011, "친구")
    results = await stranger.inline("꽃")
    assert results and len(results) <= 10
    shared = results[0]
    program_id = int(shared["id"])
    assert f"start=p_{program_id}" in shared["input_message_content"]["message_text"]
    assert shared["reply_markup"]["inline_keyboard"][0][0]["url"].endswith(f"start=p_{program_id}")
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).where(User.id == 4011)) == 0
    await stranger.send(f"/start p_{program_id}")
    assert shared["title"] in stranger.last_text and "/start" in stranger.last_text
    minji = await join_as_student(sandbox, 4012, "김민지")
    await minji.send(f"/start p_{program_id}")
    assert shared["title"] in minji.last_text and "프로그램 찾기" in " ".join(minji.buttons)
    await minji.send("/start p_999999")
    assert "더 이상 운영하지 않아요" in minji.last_text
    await minji.send("/start p_x")
    assert "더 이상 운영하지 않아요" in minji.last_text


async def test_stale_and_forged_filter_buttons(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4013, "김민지")
    await minji.send("/search")
    panel = minji.last_message["message_id"]
    for forged in (
        "sr:s:fd:999",
        buttons.SET.pack("fd", "99"),  # no field has that place in the list
        "sr:s:ty:bogus",
        buttons.SET.pack("di", "7"),
        buttons.SET.pack("ty", "tw"),  # a value of another filter
        "sr:c:zz",
        "sr:m:xx",
        "sr:s:wh:yy",
    ):
        await minji.press_data(panel, forged)
        assert "쓸 수 없어요" in minji.callback_answers[-1]["text"], forged
    # A page that no longer exists: the last one.
    await minji.press_data(panel, buttons.LIST.pack(999))
    assert "쪽 중" in minji.last_text and "다음 ▶" not in minji.buttons
    await minji.send("/cancel")
    await minji.press_data(panel, buttons.SET.pack("fr", "1"))
    assert "쓸 수 없어요" in minji.callback_answers[-1]["text"]


# ----- helpers ----------------------------------------------------------------------------


async def set_filters(student, *choices: tuple[str, str]) -> None:
    """Opens /search and sets filters as in the chat: each filter's button, then its value."""
    await student.send("/search")
    for filter_button, value in choices:
        await student.press(filter_button)
        await student.press(value)


async def _count(db, **filters) -> int:
    async with db.read() as conn:
        return (
            await search.search(conn, "", search.Filters(**filters), limit=0, now=utcnow())
        ).total


async def _empty_pair(db) -> tuple[str, str, str]:
    """A field with no programme in some district but one in a neighbouring district."""
    for district, neighbours in NEIGHBOURS.items():
        for field in ("화훼", "방송영상", "K-바이오", "환경", "디자인"):
            if await _count(db, field=field, district=district) == 0:
                for neighbour in neighbours:
                    if await _count(db, field=field, district=neighbour):
                        return field, district, neighbour
    raise AssertionError("the demo data has no such pair")


def _button_data(user, fragment: str) -> str:
    for row in user.last_message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if fragment in button["text"]:
                return button["callback_data"]
    raise AssertionError(fragment)


async def test_new_words_under_old_filters_offer_to_drop_every_filter(bot, sandbox, db):
    minji = await join_as_student(sandbox, 4014, "김민지")
    await set_filters(minji, ("유형: 전체", "캠프"), ("지역: 전체", "일산서구"))
    await minji.send("robt")
    assert "“robt”에 맞는 프로그램이 없어요" in minji.last_text
    assert f"조건을 모두 빼면 {await _count_words(db, 'robt')}개" in minji.last_text
    await minji.press("✕ 조건 모두 빼기")
    assert "“robt” 검색 결과" in minji.last_text and "🔸" not in minji.last_text


async def _count_words(db, words: str) -> int:
    async with db.read() as conn:
        return (await search.search(conn, words, limit=0, now=utcnow())).total


async def test_a_card_longer_than_a_telegram_message_arrives_in_parts(bot, sandbox, db):
    from sqlalchemy import update

    async with db.write() as conn:
        program_id = await conn.scalar(select(Program.id).where(Program.title.contains("꽃")))
        await conn.execute(
            update(Program)
            .where(Program.id == program_id)
            .values(description="꽃을 다듬고 포장하는 방법을 배워요. " * 150, notes="안내. " * 400)
        )
    minji = await join_as_student(sandbox, 4015, "김민지")
    before = len(minji.bot_messages)
    await minji.send(f"/start p_{program_id}")
    parts = minji.bot_messages[before:]
    assert len(parts) >= 2 and all(len(p["text"]) <= 4096 for p in parts)
    assert parts[-1].get("reply_markup") and not any(p.get("reply_markup") for p in parts[:-1])
