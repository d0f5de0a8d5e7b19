"""Every "X was told" line is true, end to end through the sandbox, where the person said to
be told may be out of reach: a parent monitor confirming an inspection of a site nobody of
which is on Jinro, a guardian erasing a child's data, a site cancelling a session with class
seats (typed names, no Telegram account) and a student who blocked the bot on it. The clock
starts on a Tuesday at 10:00 in Seoul (tuesday_morning)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from handlers.classbook.buttons import NEW
from storage.models import Session, User, utcnow
from storage.tables import sessions
from tests.conftest import ADMIN_ID, join_as_student
from tests.test_deadlines_e2e import moment
from tests.test_deleteme_e2e import a_site_person
from tests.test_erasure_paths_e2e import CHILD, a_consenting_guardian
from tests.test_inspections_e2e import add_site_person, answer_all, join_monitor
from tests.test_mydata_e2e import a_programme
from tests.test_pending_e2e import world
from tests.test_sessions_e2e import book, site_world, the_site
from tests.test_told_wording_e2e import hour, waits_until  # noqa: F401 (the fixture)
from tests.world_helpers import add_session, add_teacher, book_seat

# ----- a parent monitor confirming an inspection ----------------------------------------------

POTTERY = "흙담 도자기공방"
NOBODY_POTTERY = f"{POTTERY}에는 아직 진로 봇을 쓰는 담당자가 없어 여기서는 체험처에 알릴 수"


async def inspect(db, monitor, answers: list[str], result: str, lang: str = "ko") -> None:
    """The monitor picks the pottery, answers the items and chooses `result`, without a
    note, reading the screen before confirming in `lang`."""
    await monitor.send("/inspections")
    await monitor.press("📋 점검할 곳 고르기")
    await monitor.press(POTTERY)
    await monitor.press("▶ 점검 시작")
    await answer_all(monitor, answers)
    await monitor.press(result)
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == monitor.id).values(lang=lang))
    await monitor.press("의견 없이 진행")


async def test_a_failed_site_nobody_of_which_is_on_jinro_is_not_said_to_be_told(
    tuesday_morning, bot, sandbox, db
):
    monitor = await join_monitor(sandbox, db, 1501, "은정", "일산동구")
    await inspect(db, monitor, ["pass"] * 7 + ["fail"], "❌ 부적합")
    assert "확정하기 전에 확인해 주십시오" in monitor.last_text
    assert "시청 담당자, 이곳에 예약한 학생들의 선생님께 바로 알립니다." in monitor.last_text
    assert NOBODY_POTTERY in monitor.last_text and "직접 연락해 주십시오" in monitor.last_text
    assert "체험처, 시청" not in monitor.last_text


async def test_a_site_needing_fixes_with_nobody_on_jinro_is_to_be_told_by_the_monitor(
    tuesday_morning, bot, sandbox, db
):
    monitor = await join_monitor(sandbox, db, 1502, "은정", "일산동구")
    await inspect(db, monitor, ["pass"] * 7 + ["fix"], "🔧 보완 필요", lang="en")
    assert f"No one from {POTTERY} is on Jinro yet, so the site cannot be told here" in (
        monitor.last_text
    )


async def test_a_failed_site_with_someone_on_jinro_is_told(tuesday_morning, bot, sandbox, db):
    monitor = await join_monitor(sandbox, db, 1503, "은정", "일산동구")
    site = await add_site_person(db, sandbox, 7003, POTTERY)
    await inspect(db, monitor, ["pass"] * 7 + ["fail"], "❌ 부적합")
    assert "체험처, 시청 담당자, 이곳에 예약한 학생들의 선생님께 바로 알립니다." in (
        monitor.last_text
    )
    assert "진로 봇을 쓰는 담당자가 없어" not in monitor.last_text
    await monitor.press("✅ 결과 확정")
    await site.expect("안전 점검 결과: 부적합")


# ----- a site cancelling a session ------------------------------------------------------------


async def cancel_later_session(site, *, out_of_reach: int = 0) -> None:
    await site.press("2. ")
    await site.press("❌ 회차 취소")
    await site.send("강사 사정으로 휴강합니다")
    if out_of_reach:  # the question says so before, never "all of them are told"
        assert f"학생 {out_of_reach}명에게는 여기서 알릴 수 없으며" in site.last_text
        assert "모두 알립니다" not in site.last_text
    await site.press("❌ 네, 회차를 취소합니다")
    assert "회차를 취소했습니다." in site.last_text


async def stopped_the_bot(db, sandbox, user_id: int) -> None:
    """The student blocked the bot, and the bot has since found out (marked inactive)."""
    await sandbox.block(user_id)
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == user_id).values(active=False))


async def test_a_cancelled_session_counts_only_whom_it_reached_and_names_the_rest(bot, sandbox, db):
    w = await site_world(db)
    async with db.write() as conn:
        await conn.execute(update(Session).where(Session.id == w["later"]).values(capacity=5))
    teacher = await add_teacher(db, sandbox, 7301)
    minji = await join_as_student(sandbox, 7302, "김민지")
    await join_as_student(sandbox, 7303, "이서준")
    await book(db, w["later"], 7302)
    await book(db, w["later"], 7303, "waitlisted")
    for name in ("홍길동", "남궁민"):
        await book(db, w["later"], None, name=name, by=7301)
    await stopped_the_bot(db, sandbox, 7303)
    site = await the_site(sandbox)
    await cancel_later_session(site, out_of_reach=3)
    assert "알린 학생 1명 · 알린 선생님 1명\n• " in site.last_text  # each on its own line
    assert (
        "정발중학교 단체 예약 2석: 명단의 학생은 진로 봇을 쓰지 않아 예약하신 선생님께 알렸습니다."
        in (site.last_text)
    )
    blocked = "이서준 (정발중학교) 학생은 봇 메시지를 받지 않고 있어 알리지 못했습니다."
    assert f"{blocked} 선생님께는 알렸습니다." in site.last_text
    await minji.expect("체험처 사정으로 취소됐어요")
    told = await teacher.expect("체험처가 회차를 취소했습니다")
    assert "홍길동" in told["text"] and "이서준" in told["text"]


async def test_with_no_teacher_on_jinro_the_site_is_asked_to_tell_the_school(bot, sandbox, db):
    w = await site_world(db)
    await join_as_student(sandbox, 7311, "이서준")
    await book(db, w["later"], 7311)
    await stopped_the_bot(db, sandbox, 7311)
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 7001).values(lang="en"))
    site = sandbox.user(7001, "바다")
    await site.send("/sessions")
    await site.press("2. ")
    await site.press("❌ Cancel session")
    await site.send("The instructor is ill")
    await site.press("❌ Yes, cancel the session")
    assert "Students told: 0 · teachers told: 0" in site.last_text
    assert (
        "이서준 (정발중학교) has stopped messages from the bot and no teacher of theirs is on"
        " Jinro, so nobody was told. Please let the school know yourself."
    ) in site.last_text


# ----- erasing a child's data (a guardian) and a person's (staff) ----------------------------

SEA = "바다 체험관"


async def a_seat_and_a_request(db, student_id: int, *, site_person: int | None = None) -> None:
    """A confirmed seat at the sea centre in three days and a request for a session in five."""
    async with db.write() as conn:
        later, _ = await a_programme(conn)
        if site_person:
            await a_site_person(conn, later, site_person)
        program_id = await conn.scalar(select(sessions.c.program_id).where(sessions.c.id == later))
        waiting = await add_session(conn, program_id, utcnow() + timedelta(days=5), capacity=5)
        await book_seat(conn, later, student_id)
        await book_seat(conn, waiting, student_id, status="requested")


async def test_a_guardian_is_not_told_that_nobody_on_jinro_will_hear(
    tuesday_morning, bot, sandbox, db
):
    _, mother = await a_consenting_guardian(sandbox, db)
    await a_seat_and_a_request(db, CHILD)
    await mother.send("/deleteme")
    await mother.press("이서준 학생의 정보")
    asked = mother.last_text
    assert "이서준 학생의 정보를 삭제하시겠습니까?" in asked
    assert "아직 열리지 않은 회차의 자리는 취소되고" in asked
    assert "이 학생의 학교·학년을 맡은 선생님 중 진로 봇을 쓰는 분이 없어" in asked
    assert (
        f"{SEA}에는 아직 진로 봇을 쓰는 담당자가 없어 여기서는 체험처에 알릴 수 없습니다" in asked
    )
    assert "선생님과 체험처에 알립니다" not in asked
    await mother.press("네, 이서준 학생의 정보를 삭제합니다")
    assert "이서준 학생의 정보를 삭제했습니다" in mother.last_text


async def test_a_guardian_reads_whom_the_erasure_tells(tuesday_morning, bot, sandbox, db):
    await add_teacher(db, sandbox, 7611, grades="1")
    _, mother = await a_consenting_guardian(sandbox, db)
    await a_seat_and_a_request(db, CHILD, site_person=7711)
    site = sandbox.user(7711, "담당자")
    await site.send("/help")
    await mother.send("/deleteme")
    await mother.press("이서준 학생의 정보")
    asked = mother.last_text
    assert "학생의 선생님께 취소된 신청 1건을 알립니다." in asked
    assert f"{SEA}에 반납된 자리를 알립니다." in asked
    assert "진로 봇을 쓰는 담당자가 없어" not in asked
    await mother.press("네, 이서준 학생의 정보를 삭제합니다")
    await site.expect("확정된 자리를 반납했습니다")


async def test_staff_erasing_someone_with_nothing_booked_read_nothing_is_told(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청")
    await staff.send("/help")
    await join_as_student(sandbox, 7621, "김하늘")
    await staff.send("/erase")
    await staff.send("하늘")
    await staff.press("1. 김하늘")
    await staff.press("본인 서면 요청")
    assert "이 사람의 정보를 삭제하시겠습니까?" in staff.last_text
    assert "취소할 신청, 대기 순번, 앞으로의 자리가 없습니다." in staff.last_text
    assert "알립니다" not in staff.last_text.split("요청: 본인 서면 요청")[1].split("•")[1]


# ----- a guardian withdrawing consent ---------------------------------------------------------


async def test_a_guardian_withdrawing_consent_is_not_told_a_teacher_heard_when_none_is_on_jinro(
    tuesday_morning, bot, sandbox, db
):
    child, mother = await a_consenting_guardian(sandbox, db)
    await mother.send("/consent")
    await mother.press("이서준 학생 동의 철회")
    await mother.press("네, 동의를 철회합니다")
    assert "이서준 학생에 대한 동의를 철회했습니다. 학생에게 알렸습니다." in mother.last_text
    assert "선생님 중 아직 진로 봇을 쓰는 분이 없어 선생님께는 알리지 못했습니다." in (
        mother.last_text
    )
    assert "선생님께 알렸습니다" not in mother.last_text
    await child.expect("보호자가 동의를 철회했어요")


async def test_a_guardian_withdrawing_consent_reads_the_teacher_was_told(
    tuesday_morning, bot, sandbox, db
):
    teacher = await add_teacher(db, sandbox, 7641, grades="1")
    _, mother = await a_consenting_guardian(sandbox, db)
    await mother.send("/consent")
    await mother.press("이서준 학생 동의 철회")
    await mother.press("네, 동의를 철회합니다")
    assert "동의를 철회했습니다. 학생과 선생님께 알렸습니다." in mother.last_text
    assert "진로 봇을 쓰는 분이 없어" not in mother.last_text
    await teacher.expect("보호자가 동의를 철회했습니다")


async def test_a_guardian_erasing_themselves_reads_no_teacher_is_told_when_none_is_on_jinro(
    tuesday_morning, bot, sandbox, db
):
    _, mother = await a_consenting_guardian(sandbox, db)
    await mother.send("/deleteme")
    await mother.press("본인 정보")
    asked = mother.last_text
    assert "동의가 모두 철회됩니다." in asked and "학생에게 알립니다." in asked
    assert (
        "이서준 학생의 학교·학년을 맡은 선생님 중 아직 진로 봇을 쓰는 분이 없어"
        " 선생님께는 알리지 못합니다." in asked
    )
    assert "학생과 담당 선생님에게 알립니다" not in asked


# ----- a teacher about to take a student off a class booking --------------------------------


async def test_a_teacher_taking_a_student_off_reads_when_the_student_hears(
    hour,  # noqa: F811 (the fixture imported above)
    bot,
    sandbox,
    db,
):
    _, morning = hour
    session_id = await world(db, capacity=10)
    await join_as_student(sandbox, 7651, "김민지", grade=2)
    teacher = await add_teacher(db, sandbox, 7652, "박선영", grades="2")
    await teacher.send("/classbook")
    await teacher.press_data(teacher.last_message["message_id"], NEW.pack(session_id))
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")
    await teacher.press("김민지 (2)")
    await teacher.press("변경·취소")
    await teacher.press("1. 김민지")
    await teacher.press("명단에서 빼기")
    assert "1번 자리에서 김민지 학생을 빼시겠습니까" in teacher.last_text
    if morning:
        assert waits_until(morning) in teacher.last_text
        assert "학생에게도 알립니다." not in teacher.last_text
    else:
        assert "학생에게도 알립니다." in teacher.last_text

    # The whole booking: Minji on Telegram hears of it (in the morning, by night); typed
    # names alone, nobody is said to hear.
    await teacher.press("아니요, 돌아가기")
    await teacher.press("단체 예약 전체 취소")
    assert "단체 예약 전체를 취소하고 5석을 모두 돌려주시겠습니까?" in teacher.last_text
    if morning:
        assert f"학생들에게는 {moment(morning)}에 알립니다" in teacher.last_text
        assert "텔레그램 사용 학생에게도 알립니다" not in teacher.last_text
    else:
        assert "명단에 있는 텔레그램 사용 학생에게도 알립니다." in teacher.last_text


async def test_a_class_of_typed_names_cancelled_is_not_said_to_tell_students(
    tuesday_morning, bot, sandbox, db
):
    session_id = await world(db, capacity=10)
    teacher = await add_teacher(db, sandbox, 7661, "박선영", grades="2")
    await teacher.send("/classbook")
    await teacher.press_data(teacher.last_message["message_id"], NEW.pack(session_id))
    await teacher.press("5")
    await teacher.press("✅ 5석 예약")
    await teacher.send("홍길동, 남궁민")
    await teacher.press("변경·취소")
    await teacher.press("단체 예약 전체 취소")
    assert "단체 예약 전체를 취소하고 5석을 모두 돌려주시겠습니까?" in teacher.last_text
    assert "학생에게" not in teacher.last_text and "학생들에게" not in teacher.last_text
