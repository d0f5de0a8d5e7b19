"""A mentor and a student write to each other within a request, through the bot: neither
sees the other's Telegram account, a too long message comes back to be shortened, and a
request that is over takes no more words.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from handlers.mentors.buttons import ASK_WRITE
from storage import retention
from storage.models import AuditEntry, MentorMessage, MentorRequest
from tests.conftest import join_as_student
from tests.mentors_e2e_helpers import KST, STALE, accept, add_mentor, ask, requests

ADVICE = "화면 공유가 되는 노트북이 있으면 준비해 주세요. 편집 프로그램을 같이 봐요."
ANSWER = "네, 학교 노트북으로 들어갈게요! 유튜브 편집도 물어봐도 돼요?"


async def test_a_mentor_and_a_student_write_within_the_request(tuesday_morning, bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8601, "윤서진")
    minji = await join_as_student(sandbox, 8651, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await accept(pd, "https://meet.example/pd-room")
    await minji.expect("멘토링 만남이 정해졌어요")

    # The mentor writes from the request on their desk.
    await pd.send("/mentor")
    await pd.press("민지")
    await pd.press("💬 요청자에게 메시지 보내기")
    assert "텔레그램 계정은 보이지 않습니다" in pd.last_text
    await pd.send(ADVICE)
    assert "보냈습니다" in pd.last_text

    told = await minji.expect("윤서진 멘토님이 메시지를 보냈어요")
    assert ADVICE in told["text"] and "8601" not in told["text"]
    assert minji.buttons == ["↩️ 답장하기"]
    # A student's message too long comes back whole; the step stays for the shorter one.
    await minji.press("↩️ 답장하기")
    assert "이름만 보이고" in minji.last_text
    await minji.send("가" * 1001)
    assert "1001자예요" in minji.last_text and "가" * 1001 in minji.last_text
    await minji.send(ANSWER)
    assert "보냈어요" in minji.last_text

    heard = await pd.expect("민지 학생이 요청(방송영상)에 관해 보낸 메시지입니다")
    assert ANSWER in heard["text"] and "김민지" not in heard["text"]
    assert "8651" not in heard["text"]
    assert pd.buttons == ["↩️ 답장하기"]

    # Kept with the request; the audit names who wrote within which request, never the words.
    [request] = await requests(db)
    async with db.read() as conn:
        kept = (await conn.execute(select(MentorMessage.__table__))).all()
        audited = (
            await conn.execute(
                select(AuditEntry.__table__).where(AuditEntry.action == "mentor_request.message")
            )
        ).all()
    assert [(m.request_id, m.from_mentor, m.text) for m in kept] == [
        (request.id, True, ADVICE),
        (request.id, False, ANSWER),
    ]
    assert {a.actor_id for a in audited} == {8601, 8651}
    assert ADVICE not in str([a.detail for a in audited])

    # Another student cannot write within it, even with the button's data.
    seojun = await join_as_student(sandbox, 8652, "이서준")
    await seojun.press_data(seojun.last_message["message_id"], ASK_WRITE.pack(request.id))
    assert STALE in seojun.callback_answers[-1]["text"]


async def test_a_cancelled_request_takes_no_more_words(tuesday_morning, bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8602, "윤서진")
    minji = await join_as_student(sandbox, 8653, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")
    await minji.expect("멘토가 요청을 수락했어요")
    await minji.send("/mentor")
    await minji.press("방송영상")
    await minji.press("💬 멘토에게 메시지 보내기")
    await minji.send("/mentor")  # changed her mind: the words typed later are no message
    await minji.press("방송영상")
    await minji.press("요청 취소")
    await minji.press("네, 취소할게요")
    [request] = await requests(db)
    assert request.status == "cancelled"
    await minji.press_data(minji.last_message["message_id"], ASK_WRITE.pack(request.id))
    assert "보낼 수 없어요" in minji.callback_answers[-1]["text"]
    async with db.read() as conn:
        assert (await conn.execute(select(MentorMessage.__table__))).all() == []


async def test_the_words_go_with_the_request_s_question(tuesday_morning, bot, sandbox, db):
    """Kept while the request needs them; a year after it closed, the retention sweep
    deletes them as it blanks the question."""
    pd = await add_mentor(db, sandbox, 8603, "윤서진")
    minji = await join_as_student(sandbox, 8654, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")
    await pd.send("/mentor")
    await pd.press("민지")
    await pd.press("💬 요청자에게 메시지 보내기")
    await pd.send(ADVICE)
    await minji.expect("윤서진 멘토님이 메시지를 보냈어요")
    [request] = await requests(db)
    now = datetime.now(UTC)
    # Still open: the sweep leaves the words.
    swept = await retention.sweep(db, now=now, tz=KST, limits=retention.Limits())
    assert swept.done.get("mentor_talk", 0) == 0
    async with db.write() as conn:
        await conn.execute(
            update(MentorRequest)
            .where(MentorRequest.id == request.id)
            .values(status="cancelled", closed_at=now - timedelta(days=400))
        )
    swept = await retention.sweep(db, now=now, tz=KST, limits=retention.Limits())
    assert swept.done["mentor_talk"] == 1
    async with db.read() as conn:
        assert (await conn.execute(select(MentorMessage.__table__))).all() == []


async def test_a_mentor_who_erases_themselves_takes_their_words_along(
    tuesday_morning, bot, sandbox, db
):
    """/deleteme of a mentor: their words within requests go; the student's stay with her
    request, which is hers."""
    pd = await add_mentor(db, sandbox, 8604, "윤서진")
    minji = await join_as_student(sandbox, 8655, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await accept(pd, "https://meet.example/pd-room")
    await pd.send("/mentor")
    await pd.press("민지")
    await pd.press("💬 요청자에게 메시지 보내기")
    await pd.send(ADVICE)
    await minji.expect("윤서진 멘토님이 메시지를 보냈어요")
    await minji.press("↩️ 답장하기")
    await minji.send(ANSWER)
    await pd.expect("민지 학생이 요청(방송영상)에 관해 보낸 메시지입니다")

    await pd.send("/deleteme")
    await pd.press("네,")
    assert "삭제했습니다" in pd.last_text
    async with db.read() as conn:
        kept = (await conn.execute(select(MentorMessage.__table__))).all()
    assert [(m.from_mentor, m.text) for m in kept] == [(False, ANSWER)]
