"""A typed text a step cannot keep is never lost, end to end through the sandbox
(handlers/common/shorten.py): it comes back whole to copy and the step stays. A broadcast's
caption over Telegram's limit (plain: tap-to-copy; formatted: as written, links and all); a
text whose give-back does not fit beside the words follows alone, and no message goes over
Telegram's 4,096 as it counts them (an emoji two); a site's cancel reason and a session's place
and link; a student's name; a mentor's field."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select

from storage.models import Broadcast, Role, User, utcnow
from tests.broadcasts_helpers import KST, panel_shown, staff_member
from tests.conftest import wait_until
from tests.test_onboarding_e2e import make_invite
from tests.test_sessions_e2e import session_row, site_world, the_site


def given_back(message: dict, typed: str) -> bool:
    """`message` gives `typed` back whole, tap-to-copy: in a code entity of just that text."""
    return f"<code>{html.escape(typed, quote=False)}</code>" in message["html"]


async def broadcasts(db) -> int:
    async with db.read() as conn:
        return len((await conn.execute(select(Broadcast.id))).all())


async def given_back_later(user, shown: str) -> dict:
    """The text given back in a message of its own, showing `shown`: it comes a moment after
    the words (the bot sends one message a second to a chat)."""

    async def came() -> bool:
        await user.refresh()
        return user.last_text == shown

    await wait_until(came)
    return user.last_message


# ----- a broadcast over Telegram's limit ------------------------------------------------------


async def test_a_caption_too_long_comes_back_whole_and_the_step_stays(bot, sandbox, db):
    staff = await staff_member(sandbox)
    await staff.send("/broadcast")
    caption = ("진로 박람회 <안내> & 신청, 12/5(토) 10시 " * 40).strip()  # 1,199: over 1,024
    await staff.send_photo(caption=caption)
    answer = staff.last_message
    assert "1199자입니다" in answer["text"] and "1024자까지" in answer["text"]
    assert given_back(answer, caption)  # as sent, to copy
    assert await broadcasts(db) == 0  # nothing kept

    # Formatted (bold, a link under words): it comes back as written, links and all, since
    # a copy of the plain text would lose them.
    formatted = (
        "<b>박람회</b> 안내 "
        + "가" * 1100
        + ' <a href="https://example.org/f?a=1&amp;b=2">신청</a>'
    )
    await staff.send_photo(caption=formatted, formatted=True)
    shown = f"박람회 안내 {'가' * 1100} 신청"
    back = await given_back_later(staff, shown)
    words = staff.bot_messages[-2]
    assert "서식과 링크까지 그대로" in words["text"] and "1024자" in words["text"]
    assert back["text"] == shown
    assert "<b>박람회</b>" in back["html"]
    assert 'href="https://example.org/f?a=1&amp;b=2"' in back["html"]
    assert await broadcasts(db) == 0

    await staff.send_photo(caption="박람회 포스터")  # the step is still open
    await panel_shown(staff, "사진과 함께 보냅니다")
    assert await broadcasts(db) == 1


async def test_a_text_near_telegrams_limit_comes_back_alone_within_it(bot, sandbox, db):
    """A caption of 4,090 code units (a Premium user's; emoji count two, `<` and `&` are
    escaped in the HTML) does not fit beside the words: they come first, then the caption
    alone, whole; no message goes over 4,096 as Telegram counts (the sandbox refuses that)."""
    staff = await staff_member(sandbox)
    await staff.send("/broadcast")
    caption = "🙂" * 900 + "<&>" * 400 + "가" * 1090  # 3,190 characters, 4,090 code units
    await staff.send_photo(caption=caption)
    back = await given_back_later(staff, caption)
    words = staff.bot_messages[-2]
    assert "4090자입니다" in words["text"] and "다음 메시지에" in words["text"]
    assert back["text"] == caption and given_back(back, caption)
    assert await broadcasts(db) == 0


# ----- a site: the reason for cancelling, the place of a new session ----------------------------


async def test_a_sites_reason_and_place_too_long_come_back_and_the_step_stays(bot, sandbox, db):
    w = await site_world(db)
    site = await the_site(sandbox)
    await site.press("2. ")
    await site.press("❌ 회차 취소")
    reason = ("강사 사정으로 휴강합니다. " * 20).strip()  # 299 characters: a reason keeps 200
    await site.send(reason)
    assert f"{len(reason)}자입니다" in site.last_text and "200자까지" in site.last_text
    assert given_back(site.last_message, reason)
    assert (await session_row(db, w["later"])).status == "scheduled"
    await site.send("강사 사정으로 휴강합니다")  # the same step takes the shorter one
    assert "이 회차를 취소하시겠습니까?" in site.last_text

    await site.send("/sessions")
    await site.press("➕ 회차 추가")
    await site.press("해양 생물 관찰")
    day = (utcnow().astimezone(KST) + timedelta(days=12)).date()
    await site.send(f"{day.month}월 {day.day}일 10시")
    await site.press("3시간")
    await site.press("기본 정원")
    place = ("본관 2층 해양 생물 관찰실 (정문에서 오른쪽으로 돌아 두 번째 건물) " * 6).strip()
    await site.send(place)
    assert f"{len(place)}자입니다" in site.last_text and given_back(site.last_message, place)
    link = "https://meet.example.org/" + "a" * 300
    await site.send(link)
    assert "325자입니다" in site.last_text and given_back(site.last_message, link)
    await site.send("본관 2층")
    assert "스스로 예약을 취소할 수 있는 기한" in site.last_text


# ----- joining: a name, a mentor's field -------------------------------------------------------


async def test_a_name_or_a_field_too_long_comes_back(bot, sandbox, db):
    minji = sandbox.user(7301, "김민지")
    await minji.send("/start")
    await minji.press("학생이에요")
    await minji.send("정발")
    await minji.press("정발")
    await minji.press("2학년")
    said = "안녕하세요 저는 정발중학교 2학년 김민지입니다"  # a sentence, not just a name
    await minji.send(said)
    assert "25자예요" in minji.last_text and "20자까지" in minji.last_text
    assert given_back(minji.last_message, said)
    await minji.send("김민지")  # the step stays
    await minji.press("아니요")
    async with db.read() as conn:
        assert await conn.scalar(select(User.name).where(User.id == 7301)) == "김민지"

    mentor = sandbox.user(7302, "Mentor")
    await mentor.send(f"/start {await make_invite(db, Role.MENTOR)}")
    await mentor.send("정하늘")
    await mentor.press("대학생 멘토")
    field = ("방송영상 " * 9).strip()  # 44 characters: a field has 40 at most
    await mentor.send(field)
    assert "44자" in mentor.last_text and given_back(mentor.last_message, field)
    await mentor.send("방송영상")
    await mentor.expect("정하늘 님, 멘토로 가입을 마쳤습니다")  # then asked for free times
