"""Mentor requests end to end: a teacher's priority mark that no mentor sees; staff figures and
the evaluation file; forged buttons.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so what a student
is told is never held back by quiet hours, and travels on from there when it needs to.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import aiohttp
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from handlers.mentors import buttons
from storage.mentors import reports as mentor_reports
from storage.models import Mentor, MentorOffer, MentorRequest, Reminder, School, User
from tests.conftest import ADMIN_ID, join_as_student
from tests.mentors_e2e_helpers import (
    KST,
    QUESTION,
    STALE,
    add_mentor,
    ask,
    requests,
    travel_tick,
)
from tests.world_helpers import add_teacher

# ----- priority: staff and the student's teacher, never the mentor ----------------------------


async def test_a_teacher_marks_priority_which_no_mentor_ever_sees(
    tuesday_morning, bot, sandbox, db
):
    teacher = await add_teacher(db, sandbox, 8210, "박선영")
    other_school = await add_teacher(db, sandbox, 8211, "최교사", school="일산중학교")
    minji = await join_as_student(sandbox, 8106, "김민지")
    await ask(minji, field="K-바이오", typed=True)  # nobody yet: it waits in line
    await teacher.send("/mentor")
    await teacher.press("우리 학생들의 요청 (1)")
    assert "김민지" in teacher.last_text and "멘토 대기 중" in teacher.last_text
    await teacher.press("☆ 김민지")
    assert "⭐ 김민지" in teacher.last_text
    [request] = await requests(db)
    assert request.priority
    await other_school.send("/mentor")
    assert other_school.buttons[-2] == "👩‍🎓 우리 학생들의 요청"  # no bare "(0)"
    forged = buttons.STUDENT_PRIORITY.pack(request.id, 0)
    await other_school.press_data(other_school.last_message["message_id"], forged)
    assert STALE in other_school.callback_answers[-1]["text"]

    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/mentors")
    assert "우선 요청(시범사업) 중 미배정: 1건" in staff.last_text
    await staff.press("멘토를 기다리는 요청 (1)")
    assert "⭐ 민지 · 정발중학교" in staff.last_text

    bio = await add_mentor(db, sandbox, 8010, "정하은", "K-바이오")
    await travel_tick(bot, tuesday_morning + timedelta(minutes=2))
    offer = (await bio.expect("새 멘토 요청"))["text"]
    for word in ("⭐", "우선", "priority", "김민지"):
        assert word not in offer
    await minji.send("/mentor")
    await minji.press("K-바이오")
    assert "⭐" not in minji.last_text and "우선" not in minji.last_text


async def test_the_offer_a_mentor_gets_is_the_same_with_or_without_priority(sqlite_db):
    """Rendered from the storage view a mentor gets: the mark cannot leak into it."""
    from messages import render
    from storage import mentors as store

    db = sqlite_db
    async with db.write() as conn:
        school = await conn.scalar(
            insert(School).values(name="정발중학교", district="일산동구").returning(School.id)
        )
        await conn.execute(
            insert(User).values(id=1, role="student", name="김민지", school_id=school, grade=2)
        )
        mentor_id = await conn.scalar(
            insert(Mentor)
            .values(kind="professional", name="멘토", field="방송영상")
            .returning(Mentor.id)
        )
        texts = []
        now = datetime.now(KST)
        for priority in (False, True):
            request_id = await conn.scalar(
                insert(MentorRequest)
                .values(
                    requester_id=1,
                    school_id=school,
                    mode="online",
                    field="방송영상",
                    question=QUESTION,
                    status="offered",
                    priority=priority,
                    mentor_id=mentor_id,
                    offer_expires_at=now + timedelta(hours=24),
                )
                .returning(MentorRequest.id)
            )
            await conn.execute(
                insert(MentorOffer).values(
                    request_id=request_id, mentor_id=mentor_id, offered_at=now, expires_at=now
                )
            )
            seen = await store.for_mentor(conn, request_id, mentor_id)
            assert not hasattr(seen, "priority")
            values = {"request": seen, "mine": True, "schools": [], "nudge": False, "tz": KST}
            texts.append([render("mentors/request", lang, **values) for lang in ("ko", "en")])
    assert texts[0] == texts[1]
    assert "정발중학교 2학년 민지" in texts[0][0] and "김민지" not in texts[0][0]


# ----- staff ----------------------------------------------------------------------------------


async def test_staff_see_the_figures_and_get_the_evaluation_file(tuesday_morning, bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8011, "윤서진")
    minji = await join_as_student(sandbox, 8107, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("/mentors")
    text = staff.last_text
    assert "멘토링 현황" in text and "직업인 멘토" in text and "대학생 멘토" in text
    assert "수락, 시간 미정: 1건" in text and "방송영상" in text
    await staff.press("중간 평가")
    message = await staff.expect("중간 평가: 멘토")
    document = message["document"]
    assert document["file_name"].startswith("jinro-mentors-")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['file_id']}") as response:
            content = await response.read()
    rows = list(
        load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert tuple(rows[0]) == mentor_reports.HEADERS
    async with db.read() as conn:
        profiles = await conn.scalar(select(func.count()).select_from(Mentor))
    assert len(rows) - 1 == profiles
    [ours] = [r for r in rows if r[0] == "윤서진" and r[3] == "MBC"]
    assert ours[5:7] == (1, 1)  # one request received, one accepted
    assert all("김민지" not in str(cell) for row in rows for cell in row)


# ----- forged and old buttons -----------------------------------------------------------------


async def test_forged_buttons_get_the_same_answer_as_missing_ones(
    tuesday_morning, bot, sandbox, db
):
    pd = await add_mentor(db, sandbox, 8012, "윤서진")
    other = await add_mentor(db, sandbox, 8013, "임채원", "환경")
    minji = await join_as_student(sandbox, 8108, "김민지")
    seojun = await join_as_student(sandbox, 8109, "이서준")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    [request] = await requests(db)
    message = other.last_message["message_id"]
    for forged in (
        buttons.REQUEST.pack(request.id),
        buttons.SET_TIME.pack(request.id),
        buttons.CANCEL_MEETING.pack(request.id),
        "mr:a:x",
        "mr:a:²",
    ):
        await other.press_data(message, forged)
        assert STALE in other.callback_answers[-1]["text"], forged
    await other.press_data(message, buttons.ACCEPT.pack(request.id))  # never offered to them
    assert "더 이상 진행 중이 아닙니다" in other.last_text
    message = seojun.last_message["message_id"]
    for forged in (
        buttons.MY_REQUEST.pack(request.id),
        buttons.WITHDRAW_NOW.pack(request.id),
        buttons.RATE.pack(request.id, 5),
        buttons.ACCEPT.pack(request.id),
    ):
        await seojun.press_data(message, forged)
        assert STALE in seojun.callback_answers[-1]["text"], forged
    [still] = await requests(db)
    assert (still.status, still.mentor_id) == ("offered", request.mentor_id)
    async with db.read() as conn:
        kinds = set((await conn.execute(select(Reminder.kind))).scalars())
    assert "mentor_offer" in kinds
