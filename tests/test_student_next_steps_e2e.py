"""What a student runs into after pressing (issue 20), end to end through the sandbox: a
booking that did not work out says why in /my and offers what to do next; the programme card
shows its seats as they are right after applying and cancelling; a waiting mentor request
offers the field's programmes as buttons; a site's address opens on the maps."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select, update

from handlers.bookings.buttons import APPLY, APPLY_LATE, CANCEL, OPEN
from handlers.search.buttons import SAME_FIELD, SHOW
from storage import bookings as bookings_store
from storage import sessions as sessions_store
from storage.models import Booking, Session, User, utcnow
from storage.search import index_programs, refresh_next
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import add_mentor
from tests.world_helpers import (
    add_booking,
    add_program,
    add_session,
    add_site,
    add_teacher,
    book_seat,
    school_named,
)

# Students hear news only 08:00-21:00: every test here runs on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")

ADDRESS = "경기도 고양시 덕양구 화정로 65"
SCHOOL_ADDRESS = "경기도 고양시 일산동구 정발산로 110"  # 정발중학교, from the demo data
STALE = "이 버튼은 이제 쓸 수 없어요."


async def world(db, *, capacity: int = 3, **session_values) -> dict:
    """달빛라디오 PD 체험 at a site with an address (one session in five days), 달빛영상 편집
    체험 in the same field at a site with none, and an online 달빛라디오 특강; their ids."""
    async with db.write() as conn:
        radio = await add_site(conn, "달빛라디오 방송국", kind="company", address=ADDRESS)
        studio = await add_site(conn, "달빛영상 스튜디오", kind="company")
        values = dict(type="job_practice", field="방송영상", capacity=capacity)
        program = await add_program(
            conn, radio, "달빛라디오 PD 체험", external_key="moon|1", **values
        )
        other = await add_program(
            conn, studio, "달빛영상 편집 체험", external_key="moon|2", **values
        )
        online = await add_program(
            conn, radio, "달빛라디오 온라인 특강", external_key="moon|3", online=True, **values
        )
        starts = utcnow().replace(microsecond=0) + timedelta(days=5)
        session = await add_session(conn, program, starts, capacity=capacity, **session_values)
        later = await add_session(conn, program, starts + timedelta(days=7), capacity=capacity)
        for each in (other, online):
            await add_session(conn, each, starts, capacity=capacity)
        await index_programs(conn, [program, other, online])
        await refresh_next(conn, None, now=utcnow())
    return {"program": program, "other": other, "session": session, "later": later}


async def open_card(student, title: str = "달빛라디오 PD 체험") -> dict:
    """The student finds the programme by typing and opens its card; the card message."""
    await student.send("달빛")
    await student.press(title)
    return student.last_message


def buttons_of(message: dict) -> list[dict]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def urls(message: dict) -> dict[str, str]:
    return {b["text"]: b["url"] for b in buttons_of(message) if "url" in b}


def first_session_line(card: dict) -> str:
    """The card's line of its first upcoming session (its seats)."""
    return next(line for line in card["text"].splitlines() if line.startswith("• "))


def message_by_id(student, message_id: int) -> dict:
    return next(m for m in student.bot_messages if m["message_id"] == message_id)


async def booking_of(db, student_id: int, session_id: int):
    async with db.read() as conn:
        stmt = select(Booking.__table__).where(
            Booking.student_id == student_id, Booking.session_id == session_id
        )
        return (await conn.execute(stmt.order_by(Booking.id.desc()))).first()


# ----- a booking that did not work out: why, and what next ---------------------------------------


async def test_a_rejected_booking_says_why_and_what_to_do_next(bot, sandbox, db):
    ids = await world(db)
    teacher = await add_teacher(db, sandbox, 7101, "박선영")
    minji = await join_as_student(sandbox, 7001, "김민지")
    await open_card(minji)
    await minji.press("신청하기")
    await teacher.expect("새 체험 신청")
    await teacher.send("/pending")
    await teacher.press("❌ 1.")
    await teacher.send("그날은 학교 행사가 있습니다")
    told = await minji.expect("승인하지 않았어요")
    # The news itself leads on: the booking, with what to do next.
    await minji.press_data(told["message_id"], buttons_of(told)[0]["callback_data"])
    assert "다른 날짜나, 같은 분야의 비슷한 프로그램" in minji.last_text

    await minji.send("/my")
    assert "선생님이 승인하지 않았어요. 사유: 그날은 학교 행사가 있습니다" in minji.last_text
    assert "✖ 표시가 있는 신청은 이루어지지 않았어요" in minji.last_text
    await minji.press("✖ ")
    assert "사유: 그날은 학교 행사가 있습니다" in minji.last_text
    assert "다른 날짜나, 같은 분야의 비슷한 프로그램을 찾아볼 수 있어요" in minji.last_text
    assert "취소" not in "".join(minji.buttons)  # nothing left to cancel
    detail = minji.last_message

    await minji.press("비슷한 프로그램 찾기")
    assert "🔸 방송영상" in minji.last_text  # a new search, its field filter set
    assert message_by_id(minji, detail["message_id"])["text"] == detail["text"]  # kept

    await minji.press_data(detail["message_id"], SHOW.pack(ids["program"]))
    assert "<b>달빛라디오 PD 체험</b>" in minji.last_message["text"] or (
        "달빛라디오 PD 체험" in minji.last_text and "남은 자리" in minji.last_text
    )
    assert any(APPLY.match(b.get("callback_data", "")) for b in buttons_of(minji.last_message))

    # Old or forged: another's booking, a programme gone.
    await minji.press_data(detail["message_id"], OPEN.pack(999_999))
    assert minji.callback_answers[-1]["text"] == STALE
    await minji.press_data(detail["message_id"], SAME_FIELD.pack(999_999))
    assert minji.callback_answers[-1]["text"] == STALE


async def test_without_a_reason_the_student_is_told_to_ask_their_teacher(bot, sandbox, db):
    await world(db)
    teacher = await add_teacher(db, sandbox, 7102, "박선영")
    minji = await join_as_student(sandbox, 7002, "김민지")
    await open_card(minji)
    await minji.press("신청하기")
    await teacher.expect("새 체험 신청")
    await teacher.send("/pending")
    await teacher.press("❌ 1.")
    await teacher.press("사유 없이 거절")
    await minji.send("/my")
    assert "사유는 적혀 있지 않아요. 궁금하면 선생님께 여쭤보세요." in minji.last_text


async def test_called_off_expired_and_full_each_say_what_happened(bot, sandbox, db):
    ids = await world(db)
    minji = await join_as_student(sandbox, 7003, "김민지")
    seojun = await join_as_student(sandbox, 7004, "이서준")
    site_id = await _site_of(db, ids["program"])
    async with db.write() as conn:
        school_id = await school_named(conn)
        minji_id = await conn.scalar(select(User.id).where(User.id == 7003))
        # 김민지: one request no teacher answered in time, one seat on a session the site
        # then called off; a place in line on a session that came and went full.
        expired = await book_seat(
            conn, ids["later"], minji_id, "requested", expires_at=utcnow() - timedelta(hours=1)
        )
        await book_seat(conn, ids["session"], minji_id, "confirmed")
        past = await add_session(
            conn, ids["program"], utcnow() - timedelta(days=2), capacity=1, booked=1
        )
        await add_booking(conn, past, minji_id, "waitlisted", school_id=school_id)
    async with db.write() as conn:
        await bookings_store.expire_due(conn, now=utcnow(), offer=timedelta(hours=3))
    async with db.write() as conn:
        await sessions_store.cancel_session(
            conn, ids["session"], site_id, "방송 장비 점검", actor=0, now=utcnow()
        )
    assert (await booking_of(db, 7003, ids["later"])).expired_from == "requested"

    await minji.send("/my")
    text = minji.last_text
    assert "체험처에서 이 회차를 취소했어요. 사유: 방송 장비 점검" in text
    assert "기한 안에 선생님 승인이 없어서 자리가 풀렸어요." in text
    assert "자리가 다 찼고, 시작 전까지 빈자리가 나지 않았어요." in text
    assert sum(label.startswith("✖ ") for label in minji.buttons) == 3
    await minji.press_data(minji.last_message["message_id"], OPEN.pack(expired))
    assert "이 프로그램의 다른 날짜 보기" in "".join(minji.buttons)
    # 이서준 cannot open 김민지's booking: the same answer as a missing one.
    await seojun.send("/my")
    await seojun.press_data(seojun.last_message["message_id"], OPEN.pack(expired))
    assert seojun.callback_answers[-1]["text"] == STALE


async def _site_of(db, program_id: int) -> int:
    from storage.models import Program

    async with db.read() as conn:
        return await conn.scalar(select(Program.site_id).where(Program.id == program_id))


# ----- the card's seats, right after applying and cancelling ------------------------------------


async def test_the_card_shows_the_seats_left_right_after_applying_and_cancelling(bot, sandbox, db):
    await world(db, capacity=3)
    minji = await join_as_student(sandbox, 7005, "김민지")
    card = await open_card(minji)
    assert first_session_line(card).endswith("남은 자리 3")
    await minji.press("신청하기")
    assert "자리를 맡아 두었어요" in minji.last_text
    card = message_by_id(minji, card["message_id"])
    assert first_session_line(card).endswith("남은 자리 2")
    assert any("목록으로" in b["text"] for b in buttons_of(card))  # back where it was

    await minji.press("취소")
    await minji.press("네, 취소할게요")
    assert "취소했어요" in minji.last_text
    assert "프로그램 보기" in "".join(minji.buttons)
    card = message_by_id(minji, card["message_id"])
    assert first_session_line(card).endswith("남은 자리 3")


async def test_a_session_called_off_meanwhile_leaves_the_card_when_pressed(bot, sandbox, db):
    ids = await world(db)
    minji = await join_as_student(sandbox, 7012, "김민지")
    card = await open_card(minji)
    assert len([b for b in buttons_of(card) if APPLY.match(b.get("callback_data", ""))]) == 2
    site_id = await _site_of(db, ids["program"])
    async with db.write() as conn:  # the site calls the first session off meanwhile
        await sessions_store.cancel_session(
            conn, ids["session"], site_id, "방송 장비 점검", actor=0, now=utcnow()
        )
    await minji.press("신청하기")  # the first session's, on the card as it was
    assert minji.callback_answers[-1]["text"] == "더 이상 운영하지 않는 회차예요."
    card = message_by_id(minji, card["message_id"])
    applies = [APPLY.match(b.get("callback_data", "")) for b in buttons_of(card)]
    assert [found for found in applies if found] == [(ids["later"],)]


async def test_the_last_seat_turns_the_cards_button_into_the_waiting_list(bot, sandbox, db):
    ids = await world(db, capacity=1)
    minji = await join_as_student(sandbox, 7006, "김민지")
    card = await open_card(minji)
    await minji.press("신청하기")
    card = message_by_id(minji, card["message_id"])
    assert "남은 자리" not in first_session_line(card)  # full
    first = next(b for b in buttons_of(card) if APPLY.match(b.get("callback_data", "")))
    assert first["text"].startswith("대기 신청") and APPLY.match(first["callback_data"]) == (
        ids["session"],
    )


async def test_applying_past_the_cancellation_deadline_repaints_the_card_too(bot, sandbox, db):
    passed = utcnow() - timedelta(hours=1)
    ids = await world(db, capacity=3, cancel_deadline=passed)
    minji = await join_as_student(sandbox, 7007, "김민지")
    card = await open_card(minji)
    await minji.press("신청하기")
    assert "그래도 신청할까요?" in minji.last_text
    await minji.press("그래도 신청하기")
    assert first_session_line(message_by_id(minji, card["message_id"])).endswith("남은 자리 2")

    # A question sent before it named its card still applies (for 이서준, nothing to repaint).
    seojun = await join_as_student(sandbox, 7008, "이서준")
    await seojun.send("/my")
    await seojun.press_data(seojun.last_message["message_id"], APPLY_LATE.pack(ids["session"]))
    assert "자리를 맡아 두었어요" in seojun.last_text
    # An old "Cancel" without its card still asks, and cancelling still works.
    booking = await booking_of(db, 7007, ids["session"])
    async with db.write() as conn:  # the deadline moved: it can be cancelled again
        await conn.execute(
            update(Session).where(Session.id == ids["session"]).values(cancel_deadline=None)
        )
    await minji.press_data(minji.last_message["message_id"], CANCEL.pack(booking.id))
    await minji.press("네, 취소할게요")
    assert "취소했어요" in minji.last_text


# ----- the site on the maps ---------------------------------------------------------------------


async def test_the_card_and_the_booking_open_the_site_on_the_maps(bot, sandbox, db):
    await world(db)
    minji = await join_as_student(sandbox, 7009, "김민지")
    card = await open_card(minji)
    links = urls(card)
    assert links["🗺 카카오맵"] == "https://map.kakao.com/?q=" + quote(ADDRESS, safe="").replace(
        "%20", "+"
    )
    assert links["🗺 네이버 지도"] == "https://map.naver.com/p/search/" + quote(ADDRESS)
    route = parse_qs(urlsplit(links["🧭 학교에서 길찾기"]).query)
    assert route == {"sName": [SCHOOL_ADDRESS], "eName": [ADDRESS]}
    assert all(len(url.encode()) <= 2000 for url in links.values())

    await minji.press("신청하기")
    await minji.send("/my")
    await minji.press("달빛라디오 PD 체험")
    assert "🗺 카카오맵" in urls(minji.last_message)

    # No address, or online: no map.
    assert not urls(await open_card(minji, "달빛영상 편집 체험"))
    assert not urls(await open_card(minji, "달빛라디오 온라인 특강"))


async def test_the_card_in_english_names_the_maps_in_english(bot, sandbox, db):
    await world(db)
    minji = await join_as_student(sandbox, 7010, "김민지")
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 7010).values(lang="en"))
    links = urls(await open_card(minji))
    assert {"🗺 Kakao Map", "🗺 Naver Map", "🧭 Directions from school"} <= set(links)


# ----- a waiting mentor request: the field's programmes as buttons ------------------------------


async def test_a_waiting_mentor_request_offers_the_fields_programmes_as_buttons(bot, sandbox, db):
    await world(db)
    mentor = await add_mentor(db, sandbox, 7201, "윤서진")
    await mentor.send("/profile")
    await mentor.press("요청 잠시 멈춤")
    minji = await join_as_student(sandbox, 7011, "김민지")
    await minji.send("/mentor")
    await minji.press("멘토에게 묻기")
    await minji.send("방송")
    await minji.press("방송영상")
    await minji.press("온라인 1:1")
    await minji.press("언제든")
    await minji.send("방송 PD가 되려면 무엇을 해 보면 좋을까요?")
    await minji.press("보내기")
    waiting = minji.last_message
    assert "지금은 맡을 수 있는 멘토가 없어요" in waiting["text"]
    assert waiting["text"].count("이 분야의 체험 프로그램") == 1
    assert "/search" not in waiting["text"]
    shown = [b for b in buttons_of(waiting) if SHOW.match(b.get("callback_data", ""))]
    assert 1 <= len(shown) <= 3 and all(b["text"].startswith("📋 ") for b in shown)
    assert len({b["callback_data"] for b in shown}) == len(shown)  # once each

    await minji.press(shown[0]["text"])
    assert "남은 자리" in minji.last_text or "일정" in minji.last_text
    assert message_by_id(minji, waiting["message_id"])["text"] == waiting["text"]  # kept
    await minji.press("이 분야 프로그램 모두 보기")
    assert "🔸 방송영상" in minji.last_text
