"""People are named the same way everywhere (messages/people.py over storage/names.py): a
student as "민지 학생", a teacher as "박지훈 선생님", a parent monitor as "학부모 지원단 한수진
님", a site's person as "체험처 담당자 최가람 님", in English "박지훈 (teacher)". In a case the
adults show their whole name (they act in their role); the student shows their given name
only, as they are told when they open it: a minor's family name stays with their school."""

from __future__ import annotations

from sqlalchemy import update

from storage import invites
from storage.models import Role, User, utcnow
from tests.cases_e2e_helpers import MONITOR, open_as, world_with_minji
from tests.conftest import ADMIN_ID, join_as_student
from tests.mentors_e2e_helpers import accept, add_mentor, ask


def everything(person) -> str:
    return "\n".join(m.get("text") or m.get("caption") or "" for m in person.bot_messages)


async def test_a_case_names_each_person_by_the_one_rule(tuesday_morning, bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox)
    teacher, site, monitor = w["teacher"], w["site"], w["monitor"]

    await open_as(minji, "일정 변경", "그날 학교 시험이 있어서 시간을 바꾸고 싶어요")
    assert "학부모 지원단 한수진 님이 도와줄 거예요" in minji.last_text  # her whole name

    # The adults hear of the case from "민지 학생": never her family name, never "님".
    for person in (teacher, site, monitor):
        news = await person.expect("사례 #1", timeout=10)
        assert "민지 학생:" in news["text"], news["text"]
        assert "김민지" not in news["text"] and "민지 님" not in news["text"]

    # The mediator's view lists everyone by the rule, and so do her buttons.
    await monitor.press("사례 보기")
    assert "👥 민지 학생, 박지훈 선생님, 체험처 담당자 최가람 님" in monitor.last_text
    assert "중재자: 학부모 지원단 한수진 님" in monitor.last_text
    await monitor.press("한 사람에게")
    assert ["민지 학생", "박지훈 선생님", "체험처 담당자 최가람 님"] == monitor.buttons[:3]
    await monitor.press("박지훈 선생님")
    assert "박지훈 선생님에게만 보낼 메시지를 입력해 주십시오" in monitor.last_text

    # The teacher writes to everyone: the student reads "박지훈 선생님", as the site does.
    await teacher.press("답장하기")
    await teacher.send("시험 일정은 학교에서 확인해 보겠습니다.")
    heard = await minji.expect("시험 일정은 학교에서", timeout=10)
    assert "박지훈 선생님:" in heard["text"]
    heard = await site.expect("시험 일정은 학교에서", timeout=10)
    assert "박지훈 선생님:" in heard["text"]
    assert "김민지" not in everything(site) and "김민지" not in everything(monitor)

    # In English the name is followed by the role.
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == MONITOR).values(lang="en"))
    await monitor.send("/cases")
    await monitor.press("#1")
    assert "민지 (student), 박지훈 (teacher), 최가람 (site contact)" in monitor.last_text
    assert "한수진 (parent monitor)" in monitor.last_text


async def test_a_mentor_and_a_student_name_each_other_by_the_rule(
    tuesday_morning, bot, sandbox, db
):
    pd = await add_mentor(db, sandbox, 8661, "윤서진")
    minji = await join_as_student(sandbox, 8662, "김민지")
    await minji.send("안녕")  # a student is greeted as a student, not as "님"
    assert "안녕하세요, 김민지 학생!" in minji.last_text
    await minji.send("/start")
    assert "다시 만나 반가워요, 김민지 학생!" in minji.last_text
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await accept(pd, "https://meet.example/pd-room")
    await minji.expect("멘토링 만남이 정해졌어요")
    await minji.send("/mentor")
    await minji.press("방송영상")  # her request: the mentor named once, by the rule
    assert "MBC 방송 PD 윤서진 멘토님과의 만남:" in minji.last_text

    await pd.send("/mentor")
    await pd.press("민지")
    await pd.press("💬 요청자에게 메시지 보내기")
    await pd.send("노트북을 준비해 주세요.")
    told = await minji.expect("노트북을 준비해 주세요")
    assert "윤서진 멘토님이 메시지를 보냈어요" in told["text"]
    await minji.press("↩️ 답장하기")
    await minji.send("네, 준비할게요!")
    heard = await pd.expect("네, 준비할게요!")
    assert "민지 학생이 요청(방송영상)에 관해 보낸 메시지입니다" in heard["text"]
    assert "민지 님" not in heard["text"] and "김민지" not in heard["text"]


async def test_staff_see_a_parent_monitor_by_their_whole_name(tuesday_morning, bot, sandbox, db):
    async with db.write() as conn:
        invite = await invites.create(
            conn, role=Role.MONITOR, created_by=ADMIN_ID, days=7, now=utcnow()
        )
    eunjeong = sandbox.user(8671, "은정", "최")
    await eunjeong.send(f"/start {invite.code}")
    await eunjeong.press("“최은정”")
    await eunjeong.press("일산서구")
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/inspections")
    await admin.press("점검 기록 없음")
    await admin.press("그린셀바이오")
    await admin.press("최은정 (일산서구)")
    await eunjeong.expect("안전 점검을 부탁드립니다")

    await admin.send("/inspections")
    await admin.press("점검 기록 없음")
    await admin.press("그린셀바이오")
    assert "이미 최은정 님께 배정되었습니다" in admin.last_text  # not a mangled "은정 님"
