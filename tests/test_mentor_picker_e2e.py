"""Asking a mentor, the picker's buttons say what their number is ("방송영상 · 가능한 멘토
1명"), and a choice nobody could take now is its name alone: never a bare "(0)". The same in
English, and on the teacher's and staff's mentor screens."""

from __future__ import annotations

from sqlalchemy import update

from storage.models import User
from tests.conftest import ADMIN_ID, join_as_student
from tests.mentors_e2e_helpers import add_mentor
from tests.world_helpers import add_teacher


def bare_count(buttons: list[str]) -> list[str]:
    return [text for text in buttons if text.rstrip().endswith(("(0)", ")")) and "(" in text]


async def test_the_mentor_picker_says_what_its_numbers_are(tuesday_morning, bot, sandbox, db):
    await add_mentor(db, sandbox, 8701, "윤서진")  # 방송영상, online one to one only
    minji = await join_as_student(sandbox, 8702, "김민지")
    await minji.send("/mentor")
    await minji.press("멘토에게 묻기")
    assert "방송영상 · 가능한 멘토 1명" in minji.buttons
    assert "숫자는" not in minji.last_text  # the button says it: no key needed
    await minji.send("간호")  # a field nobody is free in now
    assert "보건·의료" in minji.buttons  # no mentor free in it now: its name alone
    assert not [text for text in minji.buttons if "(0)" in text or "0명" in text], minji.buttons
    await minji.send("방송")
    await minji.press("방송영상")
    assert "💻 온라인 1:1 · 가능한 멘토 1명" in minji.buttons or any(
        text.endswith("· 가능한 멘토 1명") and "온라인" in text for text in minji.buttons
    ), minji.buttons
    visit = [text for text in minji.buttons if "학교" in text]
    assert visit and not [text for text in visit if "(" in text or "·" in text], visit
    await minji.press("온라인")
    assert any("가능한 멘토 1명" in text for text in minji.buttons), minji.buttons
    assert not bare_count(minji.buttons), minji.buttons

    alex = await join_as_student(sandbox, 8703, "Alex")
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == 8703).values(lang="en"))
    await alex.send("/mentor")
    await alex.press("Ask a mentor")
    assert any(text.endswith(" · 1 mentor free") for text in alex.buttons), alex.buttons
    await alex.press("mentor free")
    assert not bare_count(alex.buttons), alex.buttons


async def test_teacher_and_staff_screens_show_no_bare_zero(tuesday_morning, bot, sandbox, db):
    teacher = await add_teacher(db, sandbox, 8704, "박선영")
    await teacher.send("/mentor")
    assert "👩‍🎓 우리 학생들의 요청" in teacher.buttons
    assert "🤝 단체 멘토링 참여" in teacher.buttons
    assert not [text for text in teacher.buttons if "(0)" in text], teacher.buttons
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/mentors")
    assert "📋 멘토를 기다리는 요청" in staff.buttons
