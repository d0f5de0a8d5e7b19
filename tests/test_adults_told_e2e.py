"""The adults whose plans change are told, and every "X was told" is true, end to end through
the sandbox: a teacher who joins (or opens the bot) while students' requests wait hears how
many, with /pending a tap away; a site hears of a class booked the same morning and of a
booking confirmed after its roster went out, with the new count; a teacher hears when a
student cancels a seat they confirmed or booked for the class; and a teacher giving seats
back to a site nobody of which is on Jinro reads that the site was not told, never that it
was. The clock starts on a Tuesday at 10:00 in Seoul (tuesday_morning)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import time_machine
from sqlalchemy import insert, select

from handlers.outbox import dispatch_tick
from storage import invites
from storage.models import Role, User, utcnow
from tests.conftest import KST, join_as_student
from tests.test_bookings_e2e import press_first
from tests.test_classbook_e2e import start_from_card
from tests.test_pending_e2e import apply
from tests.world_helpers import (
    add_program,
    add_session,
    add_site,
    add_teacher,
    school_named,
    session_bookings,
)

TITLE = "라디오 PD 체험"
SITE_NAME = "라디오 PD 체험 방송국"
NOBODY = f"{SITE_NAME}에는 아직 진로 봇을 쓰는 담당자가 없어"


async def a_session(db, starts: datetime, *, capacity: int = 10) -> tuple[int, int]:
    """A site that passed its check, one programme, one session at `starts`: (session, site)."""
    async with db.write() as conn:
        site_id = await add_site(conn, SITE_NAME, kind="company")
        program_id = await add_program(
            conn,
            site_id,
            TITLE,
            external_key=f"{TITLE}|{site_id}",
            capacity=capacity,
            type="job_practice",
            field="방송·영상",
        )
        session_id = await add_session(conn, program_id, starts, capacity=capacity)
    return session_id, site_id


async def site_person(db, sandbox, site_id: int, user_id: int = 8390):
    """The site's person on Telegram, their chat opened."""
    async with db.write() as conn:
        await conn.execute(
            insert(User).values(id=user_id, role="site", name="최가람", site_id=site_id, lang="ko")
        )
    person = sandbox.user(user_id, "가람")
    await person.send("/help")
    return person


def buttons_of(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def in_days(start: datetime, days: int, hour: int) -> datetime:
    return datetime.combine(start.date() + timedelta(days=days), time(hour), tzinfo=KST)


async def book_class(teacher, session_id: int, seats: int) -> None:
    await teacher.send("/classbook")
    await start_from_card(teacher, session_id)
    await teacher.send(str(seats))
    await teacher.press(f"{seats}석 예약")


# ----- a teacher who joins while requests wait ------------------------------------------------


async def test_a_teacher_who_joins_hears_how_many_requests_wait(tuesday_morning, bot, sandbox, db):
    session_id, _ = await a_session(db, in_days(tuesday_morning, 5, 10))
    minji = await join_as_student(sandbox, 8301, "김민지", grade=2)
    await apply(minji, session_id)
    seojun = await join_as_student(sandbox, 8302, "이서준", grade=2)
    await apply(seojun, session_id)
    async with db.write() as conn:
        code = (
            await invites.create(
                conn,
                role=Role.TEACHER,
                created_by=None,
                school_id=await school_named(conn),
                now=utcnow(),
            )
        ).code

    teacher = sandbox.user(8311, "선영")
    await teacher.send(f"/start {code}")
    await teacher.send("박선영")
    await teacher.press("완료")
    assert "가입을 마쳤습니다" in teacher.last_text
    assert "학생들의 체험 신청 2건이 선생님의 답변을 기다리고 있습니다" in teacher.last_text
    await teacher.press("📋 신청 목록 보기")
    assert "김민지" in teacher.last_text and "이서준" in teacher.last_text

    # Opening the bot again says it too, while they wait; once none waits, nothing is said.
    await teacher.send("/start")
    assert "2건이 선생님의 답변을 기다리고 있습니다" in teacher.last_text
    assert "📋 신청 목록 보기" in buttons_of(teacher.last_message)
    for _ in range(2):
        await teacher.send("/pending")
        await teacher.press("✅ 1.")
    await teacher.send("/start")
    assert "기다리고 있습니다" not in teacher.last_text
    assert not buttons_of(teacher.last_message)


# ----- a site told of late changes ------------------------------------------------------------


async def test_a_site_hears_of_a_class_booked_the_same_morning(tuesday_morning, bot, sandbox, db):
    session_id, site_id = await a_session(db, in_days(tuesday_morning, 0, 14))
    site = await site_person(db, sandbox, site_id)
    teacher = await add_teacher(db, sandbox, 8321, "박선영")
    await book_class(teacher, session_id, 3)

    news = await site.expect("정발중학교에서 단체 예약으로 3석을 예약했습니다")
    assert TITLE in news["text"]
    assert "이제 이 학급의 자리는 3석입니다" in news["text"]
    assert "3" in news["text"].split("\n")[-1] and "10" in news["text"].split("\n")[-1]

    # Names put on the seats a moment later reach the site gathered, in one message.
    await teacher.send("홍길동")
    await teacher.send("남궁민")
    with time_machine.travel(datetime.now(KST) + timedelta(minutes=6), tick=True):
        await dispatch_tick(bot)
        names = await site.expect("정발중학교에서 단체 예약 명단을 바꾸었습니다")
    assert "홍길동" in names["text"] and "남궁민" in names["text"]
    await site.refresh()
    assert sum("명단을 바꾸었습니다" in m.get("text", "") for m in site.bot_messages) == 1


async def test_a_class_booked_days_ahead_waits_for_the_roster(tuesday_morning, bot, sandbox, db):
    session_id, site_id = await a_session(db, in_days(tuesday_morning, 5, 14))
    site = await site_person(db, sandbox, site_id)
    teacher = await add_teacher(db, sandbox, 8331, "박선영")
    await book_class(teacher, session_id, 2)
    assert len(await session_bookings(db, session_id)) == 2
    await site.refresh()
    assert not any("단체 예약으로" in m.get("text", "") for m in site.bot_messages)


async def test_a_site_hears_of_a_booking_confirmed_after_its_roster(
    tuesday_morning, bot, sandbox, db
):
    # Wednesday 19:00: Tuesday's 17:00 roster is out, though 25 hours remain at 18:00.
    session_id, site_id = await a_session(db, in_days(tuesday_morning, 1, 19))
    site = await site_person(db, sandbox, site_id)
    teacher = await add_teacher(db, sandbox, 8341, "박선영")
    minji = await join_as_student(sandbox, 8342, "김민지", grade=2)
    await apply(minji, session_id)
    await teacher.expect("새 체험 신청")
    with time_machine.travel(in_days(tuesday_morning, 0, 18), tick=True):
        await teacher.send("/pending")
        await teacher.press("✅ 1.")
        news = await site.expect("새 예약")
    assert "김민지" in news["text"] and TITLE in news["text"]
    assert "1" in news["text"].split("\n")[-1]


# ----- a teacher told when a student cancels --------------------------------------------------


async def test_a_teacher_hears_when_a_student_cancels_what_they_confirmed(
    tuesday_morning, bot, sandbox, db
):
    session_id, site_id = await a_session(db, in_days(tuesday_morning, 5, 10))
    site = await site_person(db, sandbox, site_id)
    teacher = await add_teacher(db, sandbox, 8351, "박선영")
    minji = await join_as_student(sandbox, 8352, "김민지", grade=2)
    await apply(minji, session_id)
    await teacher.expect("새 체험 신청")
    await teacher.press("✅ 승인")
    await minji.expect("선생님이 체험 신청을 승인했어요")

    await minji.send("/my")
    await press_first(minji)
    await minji.press("취소")
    await minji.press("네, 취소할게요")
    assert "취소했어요" in minji.last_text
    told = await teacher.expect("학생이 예약을 취소했습니다")
    assert "김민지 (2학년) 학생이 선생님께서 승인하신 예약을 취소했습니다" in told["text"]
    assert TITLE in told["text"]
    await site.expect("김민지")  # the site hears too, with the count


async def test_a_teacher_hears_when_a_student_cancels_a_class_seat(
    tuesday_morning, bot, sandbox, db
):
    session_id, _ = await a_session(db, in_days(tuesday_morning, 5, 10))
    minji = await join_as_student(sandbox, 8361, "김민지", grade=2)
    teacher = await add_teacher(db, sandbox, 8362, "박선영")
    await book_class(teacher, session_id, 2)
    await teacher.press("김민지 (2)")
    await minji.expect("학급 단체 예약으로 자리를 잡아 주셨어요")

    await minji.send("/my")
    await press_first(minji)
    await minji.press("취소")
    await minji.press("네, 취소할게요")
    told = await teacher.expect("학생이 예약을 취소했습니다")
    assert "김민지 (2학년) 학생이 선생님의 단체 예약 자리를 취소했습니다" in told["text"]


# ----- "the site was told" only when someone of the site is on Jinro ----------------------------


async def test_a_site_nobody_of_which_is_on_jinro_is_never_said_to_be_told(
    tuesday_morning, bot, sandbox, db
):
    session_id, _ = await a_session(db, in_days(tuesday_morning, 5, 10))
    teacher = await add_teacher(db, sandbox, 8371, "박선영")
    await book_class(teacher, session_id, 3)

    await teacher.press("⚙️")
    await teacher.press("이름 없는 자리 돌려주기")
    await teacher.press("1")
    assert NOBODY in teacher.last_text and "여기서는 체험처에 알릴 수 없습니다" in teacher.last_text
    assert "체험처에도 알립니다" not in teacher.last_text
    await teacher.press("네, 자리를 돌려줍니다")
    assert "1석을 회차에 돌려주었습니다." in teacher.last_text
    assert f"{NOBODY} 체험처에 알리지 못했습니다. 직접 연락해 주십시오." in teacher.last_text
    assert "체험처에도 알렸습니다" not in teacher.last_text

    await teacher.press("단체 예약 전체 취소")
    assert NOBODY in teacher.last_text
    await teacher.press("네, 단체 예약을 취소합니다")
    assert "단체 예약을 취소했습니다. 2석을 회차에 돌려주었습니다." in teacher.last_text
    assert f"{NOBODY} 체험처에 알리지 못했습니다" in teacher.last_text
    assert "체험처에 알렸습니다" not in teacher.last_text
    assert "체험처와" not in teacher.last_text
    assert "학생들에게" not in teacher.last_text  # no student on Telegram was on the list


async def test_with_someone_of_the_site_on_jinro_the_site_is_told(
    tuesday_morning, bot, sandbox, db
):
    session_id, site_id = await a_session(db, in_days(tuesday_morning, 5, 10))
    site = await site_person(db, sandbox, site_id)
    teacher = await add_teacher(db, sandbox, 8381, "박선영")
    await book_class(teacher, session_id, 2)
    await teacher.press("⚙️")
    await teacher.press("단체 예약 전체 취소")
    assert "체험처에도 알립니다" in teacher.last_text and NOBODY not in teacher.last_text
    await teacher.press("네, 단체 예약을 취소합니다")
    assert "2석을 회차에 돌려주었고, 체험처에 알렸습니다." in teacher.last_text
    assert "학생" not in teacher.last_text  # typed names only: no student was told
    await site.expect("단체 예약 2석을 돌려주었습니다")
    async with db.read() as conn:
        assert (await conn.scalar(select(User.site_id).where(User.id == 8390))) == site_id
