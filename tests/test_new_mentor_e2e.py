"""A mentor who joins by invite is asked for their free times at once, with a button into
/slots; their desk asks again, first of all, while they have none to come. Only then can a
student's request reach them."""

from __future__ import annotations

from storage.models import Role
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import ask
from tests.test_onboarding_e2e import make_invite

ASKED = "학생들을 만날 수 있는 시간을 알려 주십시오"


async def test_a_new_mentor_is_asked_for_free_times_and_then_gets_requests(
    tuesday_morning, bot, sandbox, db
):
    hana = sandbox.user(8801, "하늘", "정")
    await hana.send(f"/start {await make_invite(db, Role.MENTOR)}")
    await hana.press("“정하늘”")
    await hana.press("직업인 멘토")
    await hana.send("K-바이오")  # a field no demo mentor has
    await hana.expect("정하늘 님, 멘토로 가입을 마쳤습니다")
    assert ASKED in hana.last_text
    assert "아직 등록된 시간이 없습니다" in hana.last_text
    assert hana.buttons == ["➕ 가능한 시간 추가"]

    await hana.send("/mentor")  # the desk, still without a free time: the button comes first
    assert "요청을 받을 수 없습니다" in hana.last_text
    assert hana.buttons[0] == "➕ 가능한 시간 추가"
    await hana.press("가능한 시간 추가")
    assert "가능한 시간을 입력해 주십시오" in hana.last_text
    await hana.send("매주 수요일 저녁 7시")
    await hana.press("이대로 추가")
    assert "• 매주 수 19:00 (60분)" in hana.last_text

    await hana.send("/mentor")
    assert "요청을 받을 수 없습니다" not in hana.last_text
    assert "➕ 가능한 시간 추가" not in hana.buttons

    minji = await join_as_student(sandbox, 8802, "김민지")
    await ask(minji, field="K-바이오", typed=True, question="바이오 연구원은 어떤 공부를 하나요?")
    await hana.expect("새 멘토 요청")


async def test_a_new_mentor_in_english_is_asked_too(tuesday_morning, bot, sandbox, db):
    sky = sandbox.user(8803, "Sky", "Jung", language_code="en")
    await sky.send(f"/start {await make_invite(db, Role.MENTOR)}")
    await sky.press("“Sky Jung”")
    await sky.press("University student mentor")
    await sky.send("K-바이오")
    assert "One more step: when can you meet students?" in sky.last_text
    assert sky.buttons == ["➕ Add a free time"]
    await sky.press("Add a free time")
    assert "Type a free time" in sky.last_text
