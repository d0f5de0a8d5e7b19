"""The teacher's side of students' requests, end to end through the sandbox: the notice when a
student applies, /pending, confirm, reject with a reason (and the freed seat offered to the
line), confirm all, two teachers on one request, and forged buttons of other teachers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.settings import SettingsError, load_settings
from handlers.bookings.buttons import APPLY, TAKE_OFFER
from handlers.pending.buttons import CONFIRM, CONFIRM_ALL, KEEP, LIST, REJECT, REJECT_NOW
from storage.models import Booking, utcnow
from tests.conftest import join_as_student
from tests.world_helpers import add_program, add_session, add_site, add_teacher

# Students hear news only 08:00-21:00: every test here runs on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")

MISSING = "이 버튼은 이제 쓸 수 없습니다."  # to adults, formally
MISSING_STUDENT = "이 버튼은 이제 쓸 수 없어요."


async def world(db, *, capacity: int = 5, title: str = "라디오 PD 체험") -> int:
    """A site that passed its check, one programme, one session in five days; its id."""
    async with db.write() as conn:
        site_id = await add_site(conn, f"{title} 방송국", kind="company")
        program_id = await add_program(
            conn,
            site_id,
            title,
            external_key=f"{title}|{site_id}",
            capacity=capacity,
            type="job_practice",
            field="방송·영상",
        )
        starts = utcnow().replace(microsecond=0) + timedelta(days=5)
        return await add_session(conn, program_id, starts, capacity=capacity)


async def apply(student, session_id: int) -> None:
    """The student presses "apply" on the session (the card's button, pressed by its data)."""
    await student.press_data(student.last_message["message_id"], APPLY.pack(session_id))


async def booking_of(db, student_id: int, session_id: int):
    async with db.read() as conn:
        return (
            await conn.execute(
                select(Booking.__table__).where(
                    Booking.student_id == student_id, Booking.session_id == session_id
                )
            )
        ).first()


async def test_the_first_teacher_decides_and_the_other_is_told_it_was_handled(bot, sandbox, db):
    session_id = await world(db)
    first = await add_teacher(db, sandbox, 6101, "박선영")
    second = await add_teacher(db, sandbox, 6102, "최민호", grades="2")
    other_grade = await add_teacher(db, sandbox, 6103, "정하나", grades="3")
    minji = await join_as_student(sandbox, 6001, "김민지", grade=2)
    await apply(minji, session_id)

    notice = await first.expect("새 체험 신청")
    assert "2학년 김민지 학생이 신청했습니다" in notice["text"]
    assert "라디오 PD 체험" in notice["text"]
    await second.expect("새 체험 신청")
    await other_grade.refresh()
    assert "새 체험 신청" not in other_grade.last_text  # grade 3 only: not asked

    await first.press("✅ 승인")
    assert "승인함: 김민지" in first.last_text and not first.buttons
    await minji.expect("선생님이 체험 신청을 승인했어요")
    assert "📅 내 캘린더에 추가" in minji.buttons

    await second.press("✅ 승인")
    assert "이미 다른 선생님이 처리했습니다" in second.last_text
    assert "박선영" not in second.last_text  # never who
    await second.press_data(second.last_message["message_id"], REJECT.pack(notice_id(notice)))
    assert "이미 다른 선생님이 처리했습니다" in second.last_text
    booking = await booking_of(db, 6001, session_id)
    assert (booking.status, booking.decided_by) == ("confirmed", 6101)

    await first.press_data(notice["message_id"], CONFIRM.pack(booking.id))
    assert "이미 처리하셨습니다" in first.last_text


def callback_data(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


def notice_id(notice: dict) -> int:
    """The booking id on a notice's ✅ button."""
    data = notice["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    booking_id, _ = CONFIRM.match(data)  # a notice's button carries no page
    return booking_id


async def test_reject_with_a_reason_tells_the_student_and_offers_the_seat(bot, sandbox, db):
    session_id = await world(db, capacity=1)
    teacher = await add_teacher(db, sandbox, 6111, "박선영")
    minji = await join_as_student(sandbox, 6011, "김민지")
    seojun = await join_as_student(sandbox, 6012, "이서준")
    await apply(minji, session_id)
    await apply(seojun, session_id)  # full: the waiting list
    assert (await booking_of(db, 6012, session_id)).status == "waitlisted"
    # The notice of the request comes on its own: wait for it, so that it does not arrive
    # after the answer to /pending below.
    await teacher.expect("새 체험 신청")

    await teacher.send("/pending")
    assert "승인을 기다리는 신청: 1건" in teacher.last_text
    assert "1. 김민지 (2학년)" in teacher.last_text and "이서준" not in teacher.last_text
    await teacher.press("❌ 1.")
    assert "김민지 학생의 신청을 거절합니다" in teacher.last_text
    await teacher.send("가" * 201)
    assert "201자" in teacher.last_text
    await teacher.send("이번 학기 일정과   겹칩니다")
    assert "거절함: 김민지" in teacher.last_text
    assert "사유: 이번 학기 일정과 겹칩니다" in teacher.last_text
    # The page the reason was asked on says what happened; its buttons are gone.
    assert any(
        m.get("text") == "❌ 거절했습니다" and not m.get("reply_markup")
        for m in teacher.bot_messages
    )

    told = await minji.expect("선생님이 이 신청을 승인하지 않았어요")
    assert "사유: 이번 학기 일정과 겹칩니다" in told["text"]
    offer = await seojun.expect("자리가 났어요")
    assert any(
        TAKE_OFFER.match(b["callback_data"])
        for row in offer["reply_markup"]["inline_keyboard"]
        for b in row
    )
    assert (await booking_of(db, 6011, session_id)).reason == "이번 학기 일정과 겹칩니다"
    assert (await booking_of(db, 6012, session_id)).status == "offered"

    await teacher.send("검색어")  # the flow is over: words search again, not a reason
    assert "맞는 프로그램이 없습니다" in teacher.last_text
    assert (await booking_of(db, 6011, session_id)).reason == "이번 학기 일정과 겹칩니다"


async def test_reject_without_a_reason_and_changing_ones_mind(bot, sandbox, db):
    session_id = await world(db)
    teacher = await add_teacher(db, sandbox, 6121, "박선영")
    minji = await join_as_student(sandbox, 6021, "김민지")
    await apply(minji, session_id)
    notice = await teacher.expect("새 체험 신청")
    await teacher.press_data(notice["message_id"], REJECT.pack(notice_id(notice)))
    await teacher.press("거절하지 않기")
    # The notice is the request again, with ✅ and ❌ that work, and says it was not rejected.
    kept = next(m for m in teacher.bot_messages if m["message_id"] == notice["message_id"])
    assert "거절하지 않았습니다" in kept["text"] and "김민지" in kept["text"]
    assert "학생이 신청했습니다" in kept["text"] and "라디오 PD 체험" in kept["text"]
    assert [CONFIRM.match(d) for d in callback_data(kept)][0] == (notice_id(notice), None)
    assert {REJECT.match(d) for d in callback_data(kept)} >= {(notice_id(notice), None)}
    assert (await booking_of(db, 6021, session_id)).status == "requested"
    # Asked for a reason, the teacher goes elsewhere: later words are no reason.
    await teacher.press_data(notice["message_id"], REJECT.pack(notice_id(notice)))
    await teacher.send("/pending")
    await teacher.send("방송")
    assert (await booking_of(db, 6021, session_id)).status == "requested"

    await teacher.press_data(notice["message_id"], REJECT.pack(notice_id(notice)))
    await teacher.press("사유 없이 거절")
    # The question was asked on the notice, up the chat: the notice says what was decided.
    decided = next(m for m in teacher.bot_messages if m["message_id"] == notice["message_id"])
    assert "거절함: 김민지" in decided["text"] and "사유" not in decided["text"]
    told = await minji.expect("승인하지 않았어요")
    assert "사유" not in told["text"]
    assert (await booking_of(db, 6021, session_id)).status == "rejected"
    # The question was asked on the notice itself, which now says what was decided; an old
    # "do not reject" pressed after the rejection (a double tap) says nothing untrue: stale.
    assert "거절하지 않기" not in str(teacher.bot_messages)
    await teacher.press_data(notice["message_id"], KEEP.pack())
    assert teacher.callback_answers[-1]["text"] == "이 버튼은 이제 쓸 수 없습니다."
    assert "거절하지 않았습니다" not in teacher.last_text
    # One that names the request says what became of it, never that it was not rejected.
    await teacher.press_data(notice["message_id"], KEEP.pack(notice_id(notice)))
    handled = next(m for m in teacher.bot_messages if m["message_id"] == notice["message_id"])
    assert "이미 처리하셨습니다" in handled["text"] and "거절하지 않았습니다" not in handled["text"]


async def test_not_rejecting_gives_the_page_back_and_a_reason_asked_elsewhere(bot, sandbox, db):
    """From /pending, "do not reject" shows the page again with its buttons; a ❌ pressed on
    another message gives the request whose reason was asked first back where it was asked."""
    radio = await world(db, title="라디오 PD 체험")
    camera = await world(db, title="카메라 감독 체험")
    teacher = await add_teacher(db, sandbox, 6161, "박선영")
    minji = await join_as_student(sandbox, 6061, "김민지")
    seojun = await join_as_student(sandbox, 6062, "이서준")
    await apply(minji, radio)
    await apply(seojun, camera)
    first, second = await teacher.expect_many("새 체험 신청", 2)

    await teacher.send("/pending")
    page = teacher.last_message["message_id"]
    await teacher.press("❌ 1.")
    assert "신청을 거절합니다" in teacher.last_text
    await teacher.press("거절하지 않기")
    shown = next(m for m in teacher.bot_messages if m["message_id"] == page)
    assert "거절하지 않았습니다" in shown["text"] and "승인을 기다리는 신청: 2건" in shown["text"]
    assert "✅ 1. " in str(buttons_of(shown)) and "❌ 2." in buttons_of(shown)

    # A reason asked on one notice, then ❌ on the other: the first notice is its request
    # again (with ✅ and ❌), the second asks; a typed reason is the second's.
    await teacher.press_data(first["message_id"], REJECT.pack(notice_id(first)))
    await teacher.press_data(second["message_id"], REJECT.pack(notice_id(second)))
    await teacher.refresh()
    given_back = next(m for m in teacher.bot_messages if m["message_id"] == first["message_id"])
    assert "거절하지 않았습니다" in given_back["text"]
    assert CONFIRM.pack(notice_id(first)) in callback_data(given_back)
    await teacher.send("일정이 맞지 않습니다")
    assert "거절함: " in teacher.last_text
    rejected = {b.student_id: b.status for b in await all_bookings(db)}
    assert sorted(rejected.values()) == ["rejected", "requested"]
    await teacher.press_data(first["message_id"], CONFIRM.pack(notice_id(first)))
    confirmed = next(m for m in teacher.bot_messages if m["message_id"] == first["message_id"])
    assert "승인함: " in confirmed["text"] and not confirmed.get("reply_markup")


def buttons_of(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def test_confirm_all_acts_on_the_page_as_shown(bot, sandbox, db):
    radio = await world(db, title="라디오 PD 체험")
    camera = await world(db, title="카메라 감독 체험")
    teacher = await add_teacher(db, sandbox, 6131, "박선영")
    colleague = await add_teacher(db, sandbox, 6132, "최민호")
    students = [
        await join_as_student(sandbox, 6031 + n, name)
        for n, name in enumerate(["김민지", "이서준", "박하늘"])
    ]
    await apply(students[0], camera)
    await apply(students[1], radio)
    await apply(students[2], radio)
    # Both teachers are asked about each, a second apart (Telegram's pace for one chat).
    for each in (teacher, colleague):
        await each.expect_many("새 체험 신청", 3)

    await teacher.send("/pending")
    text = teacher.last_text
    # Grouped by programme; within a session, newest last.
    assert text.index("라디오 PD 체험") < text.index("이서준") < text.index("박하늘")
    assert text.index("박하늘") < text.index("카메라 감독 체험") < text.index("김민지")
    listed = teacher.last_message["message_id"]

    # Meanwhile the colleague confirms one: the page as shown is no longer the page.
    await colleague.send("/pending")
    await colleague.press("✅ 1.")
    assert "1건을 승인했습니다" in colleague.last_text
    await teacher.press("모두 승인")
    assert "승인을 기다리는 신청: 2건" in teacher.last_text
    assert sum(b.status == "confirmed" for b in await all_bookings(db)) == 1

    await teacher.press("모두 승인")
    assert "2건을 승인했습니다" in teacher.last_text
    assert "승인을 기다리는 신청이 없습니다" in teacher.last_text
    assert {b.status for b in await all_bookings(db)} == {"confirmed"}
    for student in students:
        await student.expect("선생님이 체험 신청을 승인했어요")
    await teacher.press_data(listed, LIST.pack(0))
    assert "승인을 기다리는 신청이 없습니다" in teacher.last_text


async def all_bookings(db) -> list:
    async with db.read() as conn:
        return list((await conn.execute(select(Booking.__table__))).all())


async def test_other_schools_grades_and_students_cannot_decide(bot, sandbox, db):
    session_id = await world(db)
    elsewhere = await add_teacher(db, sandbox, 6141, "한지원", school="화정중학교")
    grade3 = await add_teacher(db, sandbox, 6142, "정하나", grades="1,3")
    minji = await join_as_student(sandbox, 6041, "김민지", grade=2)
    await apply(minji, session_id)
    booking = await booking_of(db, 6041, session_id)

    for forger in (elsewhere, grade3):
        await forger.send("/pending")
        assert "승인을 기다리는 신청이 없습니다" in forger.last_text
        message = forger.last_message["message_id"]
        answers = []
        for data in (
            CONFIRM.pack(booking.id),
            CONFIRM.pack(999999),
            REJECT.pack(booking.id),
            REJECT_NOW.pack(booking.id),
        ):
            await forger.press_data(message, data)
            answers.append(forger.callback_answers[-1]["text"])
        assert answers == [MISSING] * 4
    await minji.press_data(minji.last_message["message_id"], CONFIRM.pack(booking.id))
    assert minji.callback_answers[-1]["text"] == MISSING_STUDENT
    for junk in ("tp:ok", "tp:ok:x", "tp:all:0", "tp:zz:1", "tp:ok:1:2:3"):
        await grade3.press_data(grade3.last_message["message_id"], junk)
        assert grade3.callback_answers[-1]["text"] == MISSING
    assert (await booking_of(db, 6041, session_id)).status == "requested"


def test_notices_and_pages_keep_their_buttons_wire_format():
    """A notice's ✅/❌ carry no page, a /pending page's do; "confirm all" carries the page's
    digest. Buttons already in teachers' chats are pressed with exactly these."""
    assert CONFIRM.pack(7) == "tp:ok:7" and CONFIRM.pack(7, 2) == "tp:ok:7:2"
    assert CONFIRM.match("tp:ok:7") == (7, None) and CONFIRM.match("tp:ok:7:2") == (7, 2)
    assert REJECT.match("tp:no:7") == (7, None) and REJECT.match("tp:no:7:0") == (7, 0)
    assert CONFIRM_ALL.match("tp:all:0:0123456789") == (0, "0123456789")
    assert CONFIRM_ALL.match("tp:all:1:abcdef0123") == (1, "abcdef0123")
    for forged in ("tp:ok:7:", "tp:ok::2", "tp:ok:²", "tp:ok:7:2:1", "tp:no:0"):
        assert CONFIRM.match(forged) is None and REJECT.match(forged) is None, forged
    for forged in ("tp:all:0:ABCDEF0123", "tp:all:0:0123", "tp:all:0:xyz4567890"):
        assert CONFIRM_ALL.match(forged) is None, forged


async def test_help_and_empty_list(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 6151, "박선영")
    assert "/pending" in teacher.last_text and "/classbook" in teacher.last_text
    await teacher.send("/pending")
    assert "승인을 기다리는 신청이 없습니다" in teacher.last_text


def test_hold_and_offer_hours_are_settings():
    defaults = load_settings({}, dotenv=False)
    assert (defaults.hold_hours, defaults.offer_hours) == (48, 12)
    assert defaults.hold == timedelta(hours=48) and defaults.offer == timedelta(hours=12)
    chosen = load_settings({"HOLD_HOURS": "24", "OFFER_HOURS": "6"}, dotenv=False)
    assert (chosen.hold, chosen.offer) == (timedelta(hours=24), timedelta(hours=6))
    for name, value in (("HOLD_HOURS", "0"), ("OFFER_HOURS", "721"), ("HOLD_HOURS", "2d")):
        with pytest.raises(SettingsError, match=name):
            load_settings({name: value}, dotenv=False)
