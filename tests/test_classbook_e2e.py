"""Class booking end to end through the sandbox: N seats in one step from a programme card or
/classbook, naming registered students (who are told) and typed names, more seats than are
free, a double press, and other teachers' or students' forged buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from handlers.classbook.buttons import BOOK, FINISH, NAMES, NEW, PICK, SESSION
from handlers.pending.buttons import CONFIRM
from storage.cases import party_tag
from storage.models import Booking, Session, utcnow
from tests.conftest import join_as_student
from tests.test_pending_e2e import world
from tests.world_helpers import add_teacher, session_bookings

# Students hear news only 08:00-21:00: every test here runs on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")

MISSING = "이 버튼은 이제 쓸 수 없습니다."  # to adults, formally
MISSING_STUDENT = "이 버튼은 이제 쓸 수 없어요."


async def booked(db, session_id: int) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(Session.booked).where(Session.id == session_id))


async def start_from_card(teacher, session_id: int) -> None:
    """The teacher presses "📚 Book for my class" on a programme card (by its data)."""
    await teacher.press_data(teacher.last_message["message_id"], NEW.pack(session_id))


async def test_book_seats_then_name_registered_and_typed_students(bot, sandbox, db):
    session_id = await world(db, capacity=20)
    minji = await join_as_student(sandbox, 7001, "김민지", grade=2)
    await join_as_student(sandbox, 7002, "이서준", grade=1)  # grade 1: not this teacher's
    await join_as_student(sandbox, 7003, "박하늘", school="화정", grade=2)  # another school
    teacher = await add_teacher(db, sandbox, 7101, "박선영", grades="2")

    await start_from_card(teacher, session_id)
    assert "최대 20석" in teacher.last_text
    assert teacher.buttons[:4] == ["5", "10", "20", "취소"]
    await teacher.press("5")
    assert "5석을 예약하시겠습니까" in teacher.last_text
    await teacher.press("✅ 5석 예약")
    assert "5석이 예약되고 확정되었습니다" in teacher.last_text
    assert "이름이 없는 자리가 5석" in teacher.last_text
    assert await booked(db, session_id) == 5
    seats = await session_bookings(db, session_id)
    assert [s.status for s in seats] == ["confirmed"] * 5
    assert {s.booked_by for s in seats} == {7101}

    # Only registered students of the teacher's school and grades are offered.
    assert "김민지 (2)" in teacher.buttons
    assert not any("이서준" in b or "박하늘" in b for b in teacher.buttons)
    await teacher.press("김민지 (2)")
    assert "김민지 학생을 명단에 넣고 알렸습니다" in teacher.last_text
    assert "1. 김민지 ✓" in teacher.last_text
    told = await minji.expect("박선영 선생님이 학급 단체 예약으로 자리를 잡아 주셨어요")
    assert "라디오 PD 체험" in told["text"]

    await teacher.send("홍길동, 김철수\n이영희")
    assert "이름을 3개 넣었습니다" in teacher.last_text
    assert "2. 홍길동" in teacher.last_text and "4. 이영희" in teacher.last_text
    assert "5. — 이름 없음" in teacher.last_text
    await teacher.send("가" * 21)
    assert "이름은 2자에서 20자까지입니다" in teacher.last_text
    await teacher.send("하나, 두리")
    assert "이름이 없는 자리는 1석뿐" in teacher.last_text
    await teacher.press("마치기")  # on the seats above (the names came back below them)
    finished = await teacher.expect("학급 단체 예약 5석이 확정되었습니다")
    assert "이름이 없는 자리가 1석" in finished["text"]

    seats = await session_bookings(db, session_id)
    assert [(s.student_id, s.student_name) for s in seats] == [
        (7001, None),
        (None, "홍길동"),
        (None, "김철수"),
        (None, "이영희"),
        (None, None),
    ]
    await minji.send("/my")
    assert "라디오 PD 체험" in minji.last_text

    # /classbook lists the booking to go on naming.
    await teacher.send("/classbook")
    assert "5석 중 4석 이름 정함" in teacher.last_text
    await teacher.press("(4/5)")
    assert "이름이 없는 자리가 1석" in teacher.last_text
    await teacher.send("최유리")
    assert "모든 자리에 이름이 있습니다" in teacher.last_text


async def test_more_seats_than_free_are_refused(bot, sandbox, db):
    session_id = await world(db, capacity=8)
    teacher = await add_teacher(db, sandbox, 7111, "박선영")
    await start_from_card(teacher, session_id)
    assert teacher.buttons[:2] == ["5", "8"]  # no 10, 20, 30; "all 8" instead
    await teacher.send("12")
    assert "12석을 요청하셨지만" in teacher.last_text and "최대 8석" in teacher.last_text
    await teacher.send("여섯")
    assert "숫자로 입력해" in teacher.last_text
    await teacher.send("6")
    assert "6석을 예약하시겠습니까" in teacher.last_text
    # Each count asked above (and asked again after a typed one) lost its buttons.
    counts = [m for m in teacher.bot_messages[:-1] if "최대 8석" in m.get("text", "")]
    assert len(counts) == 2 and not [m for m in counts if m.get("reply_markup")]
    # Meanwhile students take seats: the confirmation no longer fits, and nothing is booked.
    async with db.write() as conn:
        await conn.execute(update(Session).where(Session.id == session_id).values(booked=4))
    await teacher.press("✅ 6석 예약")
    assert "6석을 요청하셨지만" in teacher.last_text and "최대 4석" in teacher.last_text
    assert await session_bookings(db, session_id) == [] and await booked(db, session_id) == 4

    await teacher.press("4")
    confirm = teacher.last_message
    await teacher.press("✅ 4석 예약")
    # The same button again (a double tap): the booking is not made twice.
    await teacher.press_data(confirm["message_id"], BOOK.pack(session_id, 4))
    assert teacher.callback_answers[-1]["text"] == MISSING
    assert len(await session_bookings(db, session_id)) == 4 and await booked(db, session_id) == 8

    await start_from_card(teacher, session_id)
    assert "학교가 잡을 수 있는 빈자리가 남아 있지 않습니다" in teacher.last_text


async def test_classbook_lists_open_sessions_to_pick_from(bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 7121, "박선영")
    await teacher.send("/classbook")
    assert "아직 단체 예약이 없습니다" in teacher.last_text
    await teacher.press("학급 단체 예약하기")
    assert "빈자리가 있는 회차" in teacher.last_text
    if "다음 ▶" in teacher.buttons:
        await teacher.press("다음 ▶")
        assert "2쪽" in teacher.last_text
        await teacher.press("◀ 이전")
    first = teacher.last_message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    [session_id] = SESSION.match(first)
    before = await booked(db, session_id)
    await teacher.press_data(teacher.last_message["message_id"], first)
    assert "몇 석을 예약하시겠습니까" in teacher.last_text
    await teacher.send("1")
    await teacher.press("✅ 1석 예약")
    assert await booked(db, session_id) == before + 1
    await teacher.press("마치기")
    await teacher.press("내 단체 예약")
    assert "1석 중 0석 이름 정함" in teacher.last_text


async def test_forged_class_booking_buttons(bot, sandbox, db):
    session_id = await world(db, capacity=10)
    owner = await add_teacher(db, sandbox, 7131, "박선영")
    colleague = await add_teacher(db, sandbox, 7132, "최민호")
    elsewhere_student = await join_as_student(sandbox, 7031, "박하늘", school="화정")
    minji = await join_as_student(sandbox, 7032, "김민지")
    await start_from_card(owner, session_id)
    await owner.press("5")
    await owner.press("✅ 5석 예약")

    message = colleague.last_message["message_id"]
    for data in (
        NAMES.pack(session_id, 0),  # someone else's class booking
        PICK.pack(session_id, 0, 0, party_tag(7131, 7032)),  # the owner's button, forged
        FINISH.pack(session_id),
        BOOK.pack(session_id, 3),  # a confirmation never shown to them
        "cb:v:x:0",  # forged: not a number
        "cb:zz",  # forged: no such button
    ):
        await colleague.press_data(message, data)
        assert colleague.callback_answers[-1]["text"] == MISSING, data
    # The owner cannot put a student of another school on a seat (not in their list), nor
    # press a place whose check number is not the student's shown there.
    await owner.press_data(
        owner.last_message["message_id"], PICK.pack(session_id, 0, 0, party_tag(7131, 7031))
    )
    assert owner.callback_answers[-1]["text"] == MISSING
    await owner.press_data(owner.last_message["message_id"], PICK.pack(session_id, 0, 99, 0))
    assert owner.callback_answers[-1]["text"] == MISSING
    # A student pressing a teacher's button.
    await minji.press_data(minji.last_message["message_id"], NEW.pack(session_id))
    assert minji.callback_answers[-1]["text"] == MISSING_STUDENT
    assert {s.student_id for s in await session_bookings(db, session_id)} == {None}
    assert elsewhere_student.id == 7031

    # A deleted session: the same answer as any missing one.
    await owner.press_data(owner.last_message["message_id"], NEW.pack(999999))
    assert "더 이상 운영하지 않는 회차입니다" in owner.last_text
    async with db.read() as conn:
        total = await conn.scalar(select(func.count()).select_from(Booking))
    assert total == 5


async def test_fair_opening_limits_class_bookings(bot, sandbox, db):
    capped = await world(db, capacity=10, title="라디오 PD 체험")
    drawn = await world(db, capacity=10, title="카메라 감독 체험")
    later = utcnow() + timedelta(days=1)
    async with db.write() as conn:
        await conn.execute(update(Session).where(Session.id == capped).values(school_cap=3))
        await conn.execute(update(Session).where(Session.id == drawn).values(lottery_until=later))
    teacher = await add_teacher(db, sandbox, 7141, "박선영")
    await start_from_card(teacher, capped)
    assert "최대 3석" in teacher.last_text and teacher.buttons[:2] == ["3", "취소"]
    await teacher.send("4")
    assert "4석을 요청하셨지만" in teacher.last_text
    await teacher.press("3")
    await teacher.press("✅ 3석 예약")
    assert await booked(db, capped) == 3
    await start_from_card(teacher, capped)
    assert "학교가 잡을 수 있는 빈자리가 남아 있지 않습니다" in teacher.last_text

    await start_from_card(teacher, drawn)
    assert "추첨합니다" in teacher.last_text
    assert await session_bookings(db, drawn) == []

    # A seat of a class booking is no student's request: /pending buttons do not reach it.
    seat = (await session_bookings(db, capped))[0]
    await teacher.press_data(teacher.last_message["message_id"], CONFIRM.pack(seat.id))
    assert teacher.callback_answers[-1]["text"] == MISSING
