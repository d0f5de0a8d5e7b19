"""Questions only buttons answer, end to end (issue 20): words typed at them are never a
programme search. A button's label typed ("수락", "5", "신청하지 않기", "accept") presses it;
other words are asked, in the reader's register, to press one, with the question again
below and its copy above without buttons; a question asked twice keeps one live copy; a
student with nothing asked still searches; and /pending keeps its numbers while the teacher
works down the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import insert, select, update

from handlers.common.questions import QUESTION
from handlers.outbox import dispatch_tick
from storage import reminders
from storage import users as users_store
from storage.models import Booking, MentorRequest, Reminder, Session, utcnow
from tests.conftest import join_as_student, wait_until
from tests.mentors_e2e_helpers import add_mentor, ask
from tests.test_deadlines_e2e import apply, bookings_of, tuesday_at, world
from tests.world_helpers import add_teacher

NO_PROGRAMME = "맞는 프로그램이 없"
STUDENT_ASKED = "아래 질문에 버튼을 눌러 답해 주세요"
ADULT_ASKED = "아래 질문에 버튼으로 답해 주십시오"


def live(user, fragment: str) -> list[dict]:
    """The bot's messages containing `fragment` that still have buttons to press."""
    return [
        m
        for m in user.bot_messages
        if fragment in (m.get("text") or "")
        and (m.get("reply_markup") or {}).get("inline_keyboard")
    ]


def tail(user, count: int = 3) -> list[str]:
    """The texts of the bot's last `count` messages, oldest first."""
    return [m.get("text") or m.get("caption") or "" for m in user.bot_messages[-count:]]


@pytest.fixture
def morning():
    with tuesday_at(10, 0) as start:
        yield start


# ----- a question asked twice: one live copy ----------------------------------------------------


async def test_apply_pressed_twice_past_the_deadline_leaves_one_live_question(
    morning, bot, sandbox, db
):
    deadline = (morning - timedelta(hours=1)).replace(second=0, microsecond=0)
    session_id = await world(db, morning + timedelta(days=2), cancel_deadline=deadline)
    minji = await join_as_student(sandbox, 7101, "김민지")
    card = minji.last_message["message_id"]
    await apply(minji, session_id)
    assert "그래도 신청할까요?" in minji.last_text
    await minji.press_data(card, minji_apply_data(session_id))  # the same old "신청" again
    assert "그래도 신청할까요?" in minji.last_text
    assert len(live(minji, "그래도 신청할까요?")) == 1  # the copy above lost its buttons

    # Words typed there are not searched: asked to press, the question again below.
    await minji.send("라디오")
    assert NO_PROGRAMME not in " ".join(tail(minji)) and "라디오 PD 체험" not in tail(minji)[-2]
    assert STUDENT_ASKED in tail(minji)[-2]
    assert "그래도 신청할까요?" in minji.last_text
    assert len(live(minji, "그래도 신청할까요?")) == 1

    # Its button's own words press it.
    await minji.send("신청하지 않기")
    assert "신청하지 않았어요" in minji.last_text
    assert live(minji, "그래도 신청할까요?") == []
    assert await bookings_of(db, session_id) == []
    await minji.send("라디오")  # nothing asked any more: words search again
    assert "라디오" in minji.last_text and STUDENT_ASKED not in minji.last_text


def minji_apply_data(session_id: int) -> str:
    from handlers.bookings.buttons import APPLY

    return APPLY.pack(session_id)


# ----- a mentor's new request ---------------------------------------------------------------


async def _offered(db, sandbox, mentor_id: int, student_id: int, lang: str = "ko"):
    pd = await add_mentor(db, sandbox, mentor_id, "윤서진")
    if lang == "en":
        async with db.write() as conn:
            await users_store.change(conn, mentor_id, lang="en")
    minji = await join_as_student(sandbox, student_id, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청" if lang == "ko" else "mentor request")
    await wait_until(lambda: asked_of(db, mentor_id))  # kept just after it is sent
    return pd, minji


async def asked_of(db, user_id: int):
    """The question that holds the user's typed words (handlers/common/questions.py)."""
    async with db.read() as conn:
        return ((await users_store.get(conn, user_id)).flow_data or {}).get(QUESTION)


async def test_a_mentor_types_accept_at_a_new_request(tuesday_morning, bot, sandbox, db):
    pd, _ = await _offered(db, sandbox, 7201, 7211)
    await pd.send("방송")  # not a search: the request waits for ✅ or ❌
    assert NO_PROGRAMME not in tail(pd)[-2] and ADULT_ASKED in tail(pd)[-2]
    assert "새 멘토 요청" in pd.last_text and any("수락" in b for b in pd.buttons)
    assert len(live(pd, "새 멘토 요청")) == 1
    await pd.send("수락합니다")
    assert "언제 만나시겠습니까" in pd.last_text
    assert live(pd, "새 멘토 요청") == []
    async with db.read() as conn:
        status = await conn.scalar(select(MentorRequest.status))
    assert status == "accepted"


async def test_an_english_mentor_types_decline(tuesday_morning, bot, sandbox, db):
    pd, _ = await _offered(db, sandbox, 7301, 7311, lang="en")
    await pd.send("hello there")
    assert "Please answer the question below with one of its buttons" in tail(pd)[-2]
    await pd.send("decline")
    async with db.read() as conn:
        assert (await users_store.get(conn, 7301)).flow == "mn.decline"


async def test_an_offer_decided_holds_words_no_more(tuesday_morning, bot, sandbox, db):
    pd, _ = await _offered(db, sandbox, 7401, 7411)
    await pd.press("수락")
    await pd.send("/cancel")
    await pd.send("방송")  # the request was answered: words are read as usual
    assert ADULT_ASKED not in pd.last_text


async def test_cancel_leaves_the_question_and_frees_the_words(tuesday_morning, bot, sandbox, db):
    pd, _ = await _offered(db, sandbox, 7501, 7511)
    await pd.send("/cancel")
    assert "위 질문은 그대로" in pd.last_text
    await pd.send("방송")
    assert ADULT_ASKED not in pd.last_text
    assert len(live(pd, "새 멘토 요청")) == 1  # still there to decide


async def test_a_student_with_nothing_asked_still_searches(tuesday_morning, bot, sandbox, db):
    minji = await join_as_student(sandbox, 7601, "김민지")
    await minji.send("방송")
    assert STUDENT_ASKED not in minji.last_text


# ----- a student's score after a session --------------------------------------------------------


async def test_a_student_types_her_score_after_a_session(morning, bot, sandbox, db):
    minji = await join_as_student(sandbox, 7701, "김민지")
    session_id = await world(db, morning + timedelta(days=1))
    async with db.write() as conn:
        school_id = (await users_store.get(conn, 7701)).school_id
        await conn.execute(
            update(Session)
            .where(Session.id == session_id)
            .values(starts_at=utcnow() - timedelta(hours=5), ends_at=utcnow() - timedelta(hours=3))
        )
        booking_id = await conn.scalar(
            insert(Booking)
            .values(
                session_id=session_id,
                student_id=7701,
                school_id=school_id,
                booked_by=7701,
                status="confirmed",
                attendance="attended",
            )
            .returning(Booking.id)
        )
        await reminders.plan_survey(conn, [booking_id], now=utcnow())
        due = await conn.scalar(select(Reminder.due_at).where(Reminder.kind == "student_survey"))
    with time_machine.travel(due + timedelta(seconds=1), tick=True):
        await dispatch_tick(bot)
        await minji.expect("체험은 어땠어요")
        await wait_until(lambda: asked_of(db, 7701))
        await minji.send("라디오")  # not a search: the score is asked
        assert STUDENT_ASKED in tail(minji)[-2] and NO_PROGRAMME not in tail(minji)[-2]
        assert "체험은 어땠어요" in minji.last_text and "5" in minji.buttons
        assert len(live(minji, "체험은 어땠어요")) == 1
        await minji.send("5점")
        assert "5점 중 5점" in minji.last_text
        assert live(minji, "체험은 어땠어요") == []
        await minji.send("재미있었어요")  # the comment: the thanks above loses "No comment"
        assert "고마워요" in minji.last_text
        assert live(minji, "5점 중 5점") == []


# ----- /pending keeps its numbers ---------------------------------------------------------------


async def test_pending_keeps_its_numbers_while_the_teacher_decides(
    tuesday_morning, bot, sandbox, db
):
    from tests.test_pending_e2e import apply as apply_for
    from tests.test_pending_e2e import world as pending_world

    session_id = await pending_world(db)
    teacher = await add_teacher(db, sandbox, 7801, "박선영")
    names = ["김민지", "이서준", "최하늘"]
    for number, name in enumerate(names):
        student = await join_as_student(sandbox, 7811 + number, name)
        await apply_for(student, session_id)
    await teacher.expect_many("새 체험 신청", 3, timeout=10)
    await teacher.send("/pending")
    assert "승인을 기다리는 신청: 3건" in teacher.last_text
    assert "2. 이서준" in teacher.last_text and "3. 최하늘" in teacher.last_text
    await teacher.press("✅ 2. 이서준")
    text = teacher.last_text
    assert "승인을 기다리는 신청: 2건" in text, text
    # 3 is still 최하늘: the decided request keeps its number, saying what became of it.
    assert "1. 김민지" in text and "3. 최하늘" in text and "2. 이서준" in text
    assert "이서준" in text and "승인함" in text, text
    assert "✅ 3. 최하늘" in teacher.buttons and not any("이서준" in b for b in teacher.buttons)
    await teacher.press("✅ 3. 최하늘")
    assert "1. 김민지" in teacher.last_text and "✅ 1. 김민지" in teacher.buttons
    await teacher.send("확인")  # words at the list: asked to press, never a search
    assert "아래 질문에 버튼으로 답해 주십시오" in tail(teacher)[-2]
    await teacher.send("/pending")  # opened again: only what waits, numbered afresh
    assert "1. 김민지" in teacher.last_text and "이서준" not in teacher.last_text


# ----- after a mentoring meeting: its log, and the student's score ------------------------------


async def test_a_meeting_is_logged_and_scored_in_typed_words(tuesday_morning, bot, sandbox, db):
    pd, minji = await _offered(db, sandbox, 7901, 7911)
    await pd.send("수락")
    await pd.press("(수) 16:00")
    await pd.send("https://meet.example/pd-room")
    await minji.expect("멘토링 만남이 정해졌어요")
    wednesday = tuesday_morning + timedelta(days=1)
    with time_machine.travel(wednesday.replace(hour=17, minute=1), tick=True):
        await dispatch_tick(bot)
        await pd.expect("만남은 어떠셨습니까")
        await wait_until(lambda: asked_of(db, 7901))
        await pd.send("네")  # neither button's words: asked to press one, never a search
        assert ADULT_ASKED in tail(pd)[-2] and "만남은 어떠셨습니까" in pd.last_text
        await pd.send("진행함")
        assert "60분" in " ".join(pd.buttons), pd.buttons  # the next question: how long
        await pd.press("60분")
        await pd.send("편집 프로그램 추천을 약속했어요")
        assert "메모를 저장했습니다" in pd.last_text
        await dispatch_tick(bot)
        await minji.expect("어땠어요? 1~5점으로")
        await wait_until(lambda: asked_of(db, 7911))
        await minji.send("좋았어요")
        assert STUDENT_ASKED in tail(minji)[-2] and NO_PROGRAMME not in tail(minji)[-2]
        await minji.send("5")
        assert "5" in minji.last_text and STUDENT_ASKED not in minji.last_text
    async with db.read() as conn:
        request = (await conn.execute(select(MentorRequest.__table__))).one()
    assert (request.status, request.rating) == ("held", 5)


# ----- a teacher's notice of a new request --------------------------------------------------------


async def test_a_teacher_types_confirm_under_a_new_request(tuesday_morning, bot, sandbox, db):
    from tests.test_pending_e2e import apply as apply_for
    from tests.test_pending_e2e import world as pending_world

    session_id = await pending_world(db)
    teacher = await add_teacher(db, sandbox, 7951, "박선영")
    minji = await join_as_student(sandbox, 7961, "김민지")
    await apply_for(minji, session_id)
    await teacher.expect("새 체험 신청")
    await wait_until(lambda: asked_of(db, 7951))
    await teacher.send("라디오")
    assert ADULT_ASKED in tail(teacher)[-2] and "새 체험 신청" in teacher.last_text
    assert len(live(teacher, "새 체험 신청")) == 1
    await teacher.send("✅ 승인")
    await minji.expect("선생님이 체험 신청을 승인했어요")
    assert live(teacher, "새 체험 신청") == []


# ----- a flow's step that only buttons answer ---------------------------------------------------


async def test_staff_type_the_labels_of_an_invites_buttons(tuesday_morning, bot, sandbox, db):
    from tests.conftest import ADMIN_ID

    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/invite")
    await admin.send("선생님")  # the role's button, typed
    assert "학교" in admin.last_text
    await admin.send("백석")
    await admin.press("백석중학교")
    await admin.press("30명")
    assert "며칠 동안" in admin.last_text
    await admin.send("한 달")  # no button says so: asked to press one, the buttons again
    assert "아래 버튼 중에서 골라 주십시오" in tail(admin)[-2]
    assert "30일" in " ".join(admin.buttons)
    assert len(live(admin, "며칠 동안")) == 1  # asked again; the copy above lost its buttons
    await admin.send("30일")
    photo = admin.last_message
    assert photo.get("photo") and "QR 코드" in photo.get("caption", "")


# ----- the last confirm of a broadcast -----------------------------------------------------------


async def test_a_broadcasts_confirm_keeps_one_live_copy_and_takes_its_label(
    tuesday_morning, bot, sandbox, db
):
    from tests.broadcasts_helpers import press_school, staff_composing

    _, staff = await staff_composing(sandbox)
    await staff.press("🏫 학교")
    await press_school(staff, "정발중학교")
    await staff.press("받는 사람 선택으로")
    await staff.press("📤 지금 보내기")
    assert "이대로 보내시겠습니까?" in staff.last_text
    await staff.send("잠깐만요")  # not a button's words: the buttons again, below
    assert "버튼" in staff.last_text and "✅ 지금 보내기" in staff.buttons
    assert live(staff, "이대로 보내시겠습니까?") == []  # the copy above lost them
    await staff.send("지금 보내기")  # the confirm's own words
    progress = await staff.expect("전달:")
    assert "공지 #1" in progress["text"]
