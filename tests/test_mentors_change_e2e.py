"""A waiting mentor request changed in one tap: each suggestion of its screen is a button that
changes the request itself (any time, a related field, another way of meeting), keeps the
question, and matches it again at once; the news that it waits opens that screen. Someone
else's press, a forged field and a press after the request moved on change nothing.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so what a student
is told is never held back by quiet hours.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from handlers.mentors import field_tag
from handlers.mentors.buttons import CHANGE_ANY_TIME, CHANGE_FIELD
from storage import mentors as store
from storage.models import AuditEntry, MentorSlot, User
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import QUESTION, STALE, add_mentor, ask, count, requests
from tests.world_helpers import add_teacher

CHANGED_MEANWHILE = "그사이 이 요청의 상태가 바뀌었어요"


def buttons_of(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def changes(db) -> list:
    """The audit entries of changed requests, oldest first."""
    async with db.read() as conn:
        found = await conn.execute(
            select(AuditEntry.__table__)
            .where(AuditEntry.action == "mentor_request.changed")
            .order_by(AuditEntry.id)
        )
        return list(found.all())


async def nothing_in_line(conn, **_) -> list[int]:
    return []


async def weekdays_only(db, user_id: int) -> None:
    """The mentor's Saturday time gone: free on weekday afternoons only."""
    async with db.write() as conn:
        mentor_id = await conn.scalar(select(User.mentor_id).where(User.id == user_id))
        await conn.execute(
            delete(MentorSlot).where(MentorSlot.mentor_id == mentor_id, MentorSlot.weekday == 5)
        )


async def test_the_waiting_news_opens_the_request_and_any_time_reaches_a_mentor(
    tuesday_morning, bot, sandbox, db
):
    weekend = await add_mentor(db, sandbox, 8701, "윤서진")
    weekday = await add_mentor(db, sandbox, 8702, "임채원")
    await weekdays_only(db, 8702)
    minji = await join_as_student(sandbox, 8751, "김민지")
    await ask(minji, times=("주말",))
    await weekend.expect("새 멘토 요청")  # the only one free at the weekend
    await weekend.press("거절")
    await weekend.send("주말에는 촬영이 있어요")
    # Nobody else is free at the weekend: it waits, and the news says so with a button.
    news = await minji.expect("지금은 요청(방송영상)을 맡을 수 있는 멘토가 없어요")
    assert "아래 버튼을 누르면" in news["text"] and "/mentor" not in news["text"]
    assert buttons_of(news) == ["⏳ 요청과 다른 방법 보기"]
    await minji.press("요청과 다른 방법 보기")
    screen = minji.last_message
    assert screen["message_id"] == news["message_id"]  # the news became the request
    assert "고른 시간 말고 다른 시간에는 시간이 되는 멘토가 있어요" in screen["text"]
    assert "질문은 그대로예요" in screen["text"] and "취소하고" not in screen["text"]
    assert "🕒 아무 때나 괜찮아요로 바꾸기" in buttons_of(screen)

    await minji.press("아무 때나 괜찮아요로 바꾸기")
    assert minji.callback_answers[-1]["text"] == "요청을 바꿨어요."
    assert "멘토가 요청을 보고 있어요" in minji.last_text
    assert "🕒" not in minji.last_text  # no preferred times any more
    offer = await weekday.expect("새 멘토 요청")
    assert QUESTION in offer["text"]
    [request] = await requests(db)
    assert (request.status, request.times, request.question) == ("offered", "", QUESTION)
    [change] = await changes(db)
    assert (change.actor_id, change.object_id) == (8751, str(request.id))
    assert change.detail == {"changed": ["times"]}

    # The same press again, once the request has gone to a mentor: said so, nothing changes.
    await minji.press_data(screen["message_id"], CHANGE_ANY_TIME.pack(request.id))
    assert CHANGED_MEANWHILE in minji.callback_answers[-1]["text"]
    assert "멘토가 요청을 보고 있어요" in minji.last_text
    assert len(await changes(db)) == 1
    await weekday.refresh()
    assert count(weekday, "새 멘토 요청") == 1


async def test_a_related_field_in_one_tap_and_forged_presses_change_nothing(
    tuesday_morning, bot, sandbox, db, monkeypatch
):
    # Left to itself, the clock offers the line to a related field's mentor within half a
    # minute (they may take it as it is); held back here, so that the press is what moves it.
    monkeypatch.setattr(store, "waiting_in_line", nothing_in_line)
    minji = await join_as_student(sandbox, 8752, "김민지")
    await ask(minji, field="디자인", typed=True)
    assert "지금은 맡을 수 있는 멘토가 없어요" in minji.last_text
    assert "질문은 그대로" not in minji.last_text  # nothing to change to yet
    pd = await add_mentor(db, sandbox, 8703, "윤서진")  # 방송영상, related to 디자인
    await minji.send("/mentor")
    await minji.press("디자인")
    screen = minji.last_message
    assert "관련 분야 방송영상에서 시간이 되는 멘토: 1명" in screen["text"]
    assert "🗂 방송영상으로 바꾸기" in buttons_of(screen)  # 으로 after a final consonant
    [request] = await requests(db)
    async with db.read() as conn:
        names = await store.vocabulary(conn)

    def field_press(name: str) -> str:
        return CHANGE_FIELD.pack(request.id, names.index(name), field_tag(name))

    # Another student's press, and the owner's for a field not related to 디자인: stale.
    jiho = await join_as_student(sandbox, 8753, "이지호")
    await jiho.send("/mentor")
    await jiho.press_data(jiho.last_message["message_id"], field_press("방송영상"))
    assert STALE in jiho.callback_answers[-1]["text"]
    await minji.press_data(screen["message_id"], field_press("제과·제빵"))
    assert STALE in minji.callback_answers[-1]["text"]
    [unchanged] = await requests(db)
    assert (unchanged.field, unchanged.status) == ("디자인", "waiting")
    await pd.refresh()
    assert count(pd, "새 멘토 요청") == 0

    await minji.press("방송영상으로 바꾸기")
    assert "🗂 방송영상" in minji.last_text and "멘토가 요청을 보고 있어요" in minji.last_text
    offer = await pd.expect("새 멘토 요청")
    assert "방송영상" in offer["text"] and QUESTION in offer["text"]
    [request] = await requests(db)
    assert (request.field, request.status, request.question) == ("방송영상", "offered", QUESTION)
    [change] = await changes(db)
    assert change.detail == {"changed": ["field"]}


async def test_a_teacher_changes_a_school_visit_to_a_group_session(
    tuesday_morning, bot, sandbox, db
):
    mentor = await add_mentor(
        db, sandbox, 8704, "배준우", "스마트시티", online=False, group_sessions=True
    )
    teacher = await add_teacher(db, sandbox, 8771, "박선영")
    await ask(
        teacher, field="스마트시티", mode="학교 방문 멘토링", question="2학년 3반 데이터 수업"
    )
    assert "지금은 맡을 수 있는 멘토가 없습니다" in teacher.last_text
    assert "이 분야에 온라인 단체 멘토링을 할 수 있는 멘토가 있습니다" in teacher.last_text
    assert "질문은 그대로 유지됩니다" in teacher.last_text
    assert "💻 온라인 단체 멘토링으로 바꾸기" in teacher.buttons
    await teacher.press("온라인 단체 멘토링으로 바꾸기")
    assert teacher.callback_answers[-1]["text"] == "요청을 바꾸었습니다."
    assert "멘토가 요청을 검토하고 있습니다" in teacher.last_text
    offer = await mentor.expect("새 멘토 요청")
    assert "박선영 선생님" in offer["text"]
    [request] = await requests(db)
    assert (request.mode, request.status) == ("group", "offered")
    [change] = await changes(db)
    assert change.detail == {"changed": ["mode"], "mode": "group"}
