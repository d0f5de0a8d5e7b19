"""Changing a class booking end to end through the sandbox: a typed name corrected (an emoji
or markup refused, the step kept), a student on Telegram taken off and told, seats given
back to the session (the site told, the waiting list offered the seat), the whole booking
cancelled; a double press, another teacher's forged buttons, and a deadline passed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from handlers.classbook.buttons import ASK, DO, MANAGE, SEAT
from storage.models import Program, Session, User, utcnow
from tests.conftest import join_as_student
from tests.test_classbook_e2e import MISSING, booked, start_from_card
from tests.test_pending_e2e import apply, world
from tests.world_helpers import add_teacher, session_bookings

pytestmark = pytest.mark.usefixtures("tuesday_morning")

SITE = 7290


async def site_person(db, sandbox, session_id: int):
    """The site's person on Telegram, their chat opened."""
    async with db.write() as conn:
        site_id = await conn.scalar(
            select(Program.site_id)
            .join(Session, Session.program_id == Program.id)
            .where(Session.id == session_id)
        )
        await conn.execute(
            insert(User).values(id=SITE, role="site", name="최가람", site_id=site_id, lang="ko")
        )
    person = sandbox.user(SITE, "가람")
    await person.send("/help")
    return person


async def test_a_teacher_corrects_takes_off_and_gives_back_seats(bot, sandbox, db):
    session_id = await world(db, capacity=4)
    site = await site_person(db, sandbox, session_id)
    minji = await join_as_student(sandbox, 7201, "김민지", grade=2)
    teacher = await add_teacher(db, sandbox, 7211, "박선영")
    await start_from_card(teacher, session_id)
    await teacher.press("4")
    await teacher.press("4석 예약")
    await teacher.press("김민지 (2)")
    await minji.expect("학급 단체 예약으로 자리를 잡아 주셨어요")

    # Names a roster can show: no emoji, no markup, at least two letters; the step stays.
    await teacher.send("홍길동, 😀")
    assert "“😀”는 명단에 넣을 수 없는 이름입니다" in teacher.last_text
    assert "쓸 수 없는 문자가 있습니다(😀)" in teacher.last_text
    await teacher.send("<b>굵게</b>")
    assert "“&lt;b&gt;굵게&lt;/b&gt;”" not in teacher.last_text  # shown as typed, not as HTML
    assert "“<b>굵게</b>”는 명단에 넣을 수 없는 이름입니다" in teacher.last_text
    assert "쓸 수 없는 문자가 있습니다(< > /)" in teacher.last_text
    await teacher.send("김")
    assert "이름은 2자에서 20자까지입니다" in teacher.last_text
    await teacher.send("홍길동, 남궁·민")
    assert "이름을 2개 넣었습니다" in teacher.last_text
    assert [s.student_name for s in await session_bookings(db, session_id)][1:3] == [
        "홍길동",
        "남궁·민",
    ]

    # A typed name corrected, after a confirmation; a bad one keeps the step.
    await teacher.press("변경·취소")
    assert "자리를 누르면 이름을 고치거나" in teacher.last_text
    assert teacher.buttons[:4] == ["1. 김민지", "2. 홍길동", "3. 남궁·민", "4. —"]
    await teacher.press("2. 홍길동")
    await teacher.press("이름 고치기")
    asked = teacher.last_message["message_id"]
    await teacher.send("😀😀")
    assert "쓸 수 없는 문자가 있습니다(😀)" in teacher.last_text
    await teacher.send("홍 길순")
    assert "2번 자리의 이름을 홍길동에서 홍 길순으로 바꾸시겠습니까" in teacher.last_text
    # The name came typed: the question of it keeps no "◀ Back" above the confirmation.
    assert not next(m for m in teacher.bot_messages if m["message_id"] == asked).get("reply_markup")
    await teacher.press("네, 이름을 바꿉니다")
    assert "이름을 홍 길순으로 바꾸었습니다" in teacher.last_text
    assert "2. 홍 길순" in teacher.last_text

    # Full now: a student waits in line for a seat.
    seojun = await join_as_student(sandbox, 7202, "이서준", grade=1)
    await apply(seojun, session_id)
    assert "대기" in seojun.last_text

    # Minji's seat given back: she is told, the site is told, the line is offered the seat.
    await teacher.press("1. 김민지")
    assert "명단에서 빼거나 자리를 돌려주면 이 학생에게 알립니다" in teacher.last_text
    await teacher.press("이 자리 돌려주기")
    assert "1번 자리(김민지)를 회차에 돌려주시겠습니까" in teacher.last_text
    confirm = teacher.last_message["message_id"]
    await teacher.press("네, 자리를 돌려줍니다")
    assert "1석을 회차에 돌려주었습니다. 체험처에도 알렸습니다" in teacher.last_text
    await teacher.press_data(confirm, DO.pack("drop", 1, 0))  # pressed again: nothing more
    assert teacher.callback_answers[-1]["text"] == MISSING
    told = await minji.expect("선생님이 이 회차의 학급 단체 예약에서 빼서, 이제 자리가 없어요")
    assert "라디오 PD 체험" in told["text"]
    news = await site.expect("정발중학교에서 단체 예약 1석을 돌려주었습니다")
    assert "이제 이 학급의 자리는 3석입니다" in news["text"] and "홍 길순" in news["text"]
    assert "김민지" not in news["text"]
    statuses = {b.student_id: b.status for b in await session_bookings(db, session_id)}
    assert statuses[7201] == "cancelled" and statuses[7202] == "offered"
    assert await booked(db, session_id) == 4  # 3 of the class, 1 offered from the line

    # One unnamed seat back, then the whole booking cancelled.
    await teacher.press("이름 없는 자리 돌려주기")
    assert "이름 없는 자리를 몇 석 돌려주시겠습니까" in teacher.last_text
    await teacher.press("1")
    await teacher.press("네, 자리를 돌려줍니다")
    assert await booked(db, session_id) == 3
    await teacher.press("단체 예약 전체 취소")
    assert "단체 예약 전체를 취소하고 2석을 모두 돌려주시겠습니까" in teacher.last_text
    await teacher.press("네, 단체 예약을 취소합니다")
    assert "단체 예약을 취소했습니다. 2석을 회차에 돌려주었고" in teacher.last_text
    assert await booked(db, session_id) == 1
    await site.expect("정발중학교에서 단체 예약 2석을 돌려주었습니다")
    await site.expect("단체 예약이 취소되어 남은 자리가 없습니다")
    await teacher.send("/classbook")
    assert "아직 단체 예약이 없습니다" in teacher.last_text


async def test_only_the_teacher_who_booked_changes_it_and_not_after_the_deadline(bot, sandbox, db):
    session_id = await world(db, capacity=10)
    owner = await add_teacher(db, sandbox, 7221, "박선영")
    colleague = await add_teacher(db, sandbox, 7222, "최민호")
    await start_from_card(owner, session_id)
    await owner.press("5")
    await owner.press("5석 예약")
    seat = (await session_bookings(db, session_id))[0]

    message = colleague.last_message["message_id"]
    for data in (
        MANAGE.pack(session_id),
        SEAT.pack(seat.id),
        ASK.pack("all", session_id, 0),
        ASK.pack("drop", seat.id, 0),
        DO.pack("all", session_id, 0),  # a confirmation never shown to them
        "cb:y:all:x:0",  # forged
    ):
        await colleague.press_data(message, data)
        assert colleague.callback_answers[-1]["text"] == MISSING, data
    assert await booked(db, session_id) == 5

    # The session's cancel deadline has passed: the class can be seen, not changed.
    async with db.write() as conn:
        await conn.execute(
            update(Session)
            .where(Session.id == session_id)
            .values(cancel_deadline=utcnow() - timedelta(minutes=1))
        )
    await owner.press("변경·취소")
    assert "이제 여기서는 바꿀 수 없습니다" in owner.last_text
    assert owner.buttons == ["◀ 이름 정하기로"]
    await owner.press_data(owner.last_message["message_id"], ASK.pack("all", session_id, 0))
    await owner.press("네, 단체 예약을 취소합니다")
    assert "이제 여기서는 바꿀 수 없습니다" in owner.last_text
    assert await booked(db, session_id) == 5
