"""A mentor request in each reader's register, through the chat: a teacher asking for their
class reads every step and every piece of news in 합니다체, a student in 해요체."""

from __future__ import annotations

from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import add_mentor, ask
from tests.test_registers import FORMAL, POLITE
from tests.world_helpers import add_teacher


def said(person) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in person.bot_messages]


async def test_a_teacher_and_a_student_each_hear_their_register(tuesday_morning, bot, sandbox, db):
    mentor = await add_mentor(
        db, sandbox, 8301, "강소방", "소방·안전", online=True, school_visits=True
    )
    teacher = await add_teacher(db, sandbox, 8302, "박선영")
    await ask(
        teacher, field="소방·안전", mode="학교 방문 멘토링", question="2반 30명, 소방관의 하루"
    )
    assert "요청을 보냈습니다." in teacher.last_text
    await mentor.expect("새 멘토 요청")
    await mentor.press("수락")
    await mentor.press("(화) 16:00")
    await mentor.press("정발중학교에서")
    await teacher.expect("멘토링 만남 일정이 정해졌습니다")
    await teacher.send("/mentor")
    await teacher.press("소방·안전")  # the request, under the home screen
    heard = said(teacher)
    assert not [text for text in heard if POLITE.search(text)], heard

    minji = await join_as_student(sandbox, 8303, "김민지")
    await ask(minji, field="소방·안전", mode="온라인 1:1", question="소방관이 되려면요?")
    assert "요청을 보냈어요." in minji.last_text
    heard = said(minji)[2:]  # after joining
    assert not [text for text in heard if FORMAL.search(text)], heard
