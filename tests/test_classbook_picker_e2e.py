"""The sessions a teacher picks a class booking from, narrowed as students search: typed
words, a typed day, this week / next week, a district and a field; cleared in one press."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.classbook.buttons import SET
from storage.models import utcnow
from storage.search import index_programs, refresh_next
from tests.test_classbook_e2e import MISSING
from tests.world_helpers import add_program, add_session, add_site, add_teacher

pytestmark = pytest.mark.usefixtures("tuesday_morning")

PROGRAMMES = [  # title, site's district, field, days ahead (from a Tuesday)
    ("누리별 라디오 PD 체험", "덕양구", "방송·영상", 1),
    ("누리별 카메라 감독 체험", "일산동구", "방송·영상", 8),
    ("누리별 제빵사 체험", "일산서구", "식품·조리", 2),
    ("누리별 소방관 체험", "덕양구", "안전·보안", 9),
]


async def programmes(db) -> None:
    now = utcnow().replace(microsecond=0)
    async with db.write() as conn:
        ids = []
        for title, district, field, ahead in PROGRAMMES:
            site_id = await add_site(conn, f"{title}관", district=district)
            program_id = await add_program(
                conn,
                site_id,
                title,
                external_key=title,
                field=field,
                district=district,
                type="job_practice",
            )
            await add_session(conn, program_id, now + timedelta(days=ahead), capacity=20)
            ids.append(program_id)
        await index_programs(conn, ids)
        await refresh_next(conn, ids, now=now)


def titles(teacher) -> list[str]:
    """The programmes the list shows, by name."""
    return sorted(title for title, *_ in PROGRAMMES if title in teacher.last_text)


async def test_a_teacher_narrows_the_sessions_to_book_a_class_on(bot, sandbox, db):
    await programmes(db)  # beside the city's demo programmes: dozens of pages of sessions
    teacher = await add_teacher(db, sandbox, 7301, "박선영")
    await teacher.send("/classbook")
    await teacher.press("학급 단체 예약하기")
    assert "빈자리가 있는 회차" in teacher.last_text and "쪽 중 1쪽" in teacher.last_text
    assert teacher.buttons[-4:-1] == ["🗓 날짜", "📍 지역", "🏷 분야"]

    # Typed words search as students search; a district narrows them further.
    await teacher.send("누리별")
    assert "빈자리가 있는 회차: 4개" in teacher.last_text and "🔎 “누리별”" in teacher.last_text
    assert len(titles(teacher)) == 4
    await teacher.press("📍 지역")
    await teacher.press("일산동구")
    assert "🔎 “누리별” · 일산동구" in teacher.last_text
    assert titles(teacher) == ["누리별 카메라 감독 체험"]
    await teacher.press("📍 지역")
    await teacher.press("전체")
    assert len(titles(teacher)) == 4

    # When: this week, next week, then a field; a typed day.
    await teacher.press("🗓 날짜")
    await teacher.press("이번 주")
    assert titles(teacher) == ["누리별 라디오 PD 체험", "누리별 제빵사 체험"]
    await teacher.press("🗓 날짜")
    await teacher.press("다음 주")
    assert titles(teacher) == ["누리별 소방관 체험", "누리별 카메라 감독 체험"]
    await teacher.press("🏷 분야")
    await teacher.press("안전·보안")
    assert "🔎 “누리별” · 다음 주 · 안전·보안" in teacher.last_text
    assert titles(teacher) == ["누리별 소방관 체험"]
    await teacher.press("✕ 검색 지우기")
    assert "🔎" not in teacher.last_text and "쪽 중 1쪽" in teacher.last_text
    await teacher.send("13/45")
    assert "알 수 없는 날짜입니다" in teacher.last_text
    day = (utcnow() + timedelta(days=2)).astimezone(bot.bot_data["settings"].tz)
    await teacher.send(f"{day.month}/{day.day}")
    await teacher.send("누리별")
    assert titles(teacher) == ["누리별 제빵사 체험"]

    # Nothing fits: said so; the session found books as before.
    await teacher.send("우주비행사")
    assert "이 검색에 맞는, 단체 예약할 수 있는 회차가 없습니다" in teacher.last_text
    await teacher.press("✕ 검색 지우기")
    await teacher.send("누리별 소방관")
    await teacher.press("누리별 소방관 체험")
    assert "몇 석을 예약하시겠습니까" in teacher.last_text

    # An old choice button (a list of fields that changed, or forged) is stale.
    await teacher.press_data(teacher.last_message["message_id"], SET.pack("fd", "99"))
    assert teacher.callback_answers[-1]["text"] == MISSING
