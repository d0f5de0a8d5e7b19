"""People are named the same way everywhere (messages/people.py over storage/names.py): a
student as "민지 학생", a teacher as "박지훈 선생님", a parent monitor as "학부모 지원단 한수진
님", a site's person as "체험처 담당자 최가람 님", in English "박지훈 (teacher)". In a case the
adults show their whole name (they act in their role); the student shows their given name
only, as they are told when they open it: a minor's family name stays with their school."""

from __future__ import annotations

from sqlalchemy import update

from storage.models import User
from tests.cases_e2e_helpers import MONITOR, open_as, world_with_minji


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
