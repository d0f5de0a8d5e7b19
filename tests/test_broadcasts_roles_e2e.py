"""Broadcasts end to end through the sandbox: teachers and sites go through the same flow and
reach only their own people."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from handlers.broadcasts import buttons
from storage.models import Program, User, utcnow
from tests.broadcasts_helpers import (
    OTHER_TEACHER,
    SITE_USER,
    STALE,
    TEACHER,
    broadcast_row,
    choose,
    deliveries,
    latest_broadcast,
    panel_shown,
    students,
)
from tests.world_helpers import add_booking, add_session, school_named, teacher_row

# ----- teachers and sites: the same flow, their own people only -------------------------------


async def test_a_teacher_reaches_only_their_schools_students(bot, sandbox, db):
    people = await students(sandbox)
    async with db.write() as conn:
        for user_id, school in ((TEACHER, "정발중학교"), (OTHER_TEACHER, "백석중학교")):
            school_id = await school_named(conn, school)
            await conn.execute(insert(User).values(teacher_row(user_id, "선생님", school_id)))
        baekseok = await school_named(conn, "백석중학교")
    teacher = sandbox.user(TEACHER, "선영")
    await teacher.send("/help")
    assert "/broadcast" in teacher.last_text
    await teacher.send("/broadcast")
    assert "우리 학교 학생에게 보냅니다" in teacher.last_text
    await teacher.send("내일 체험 안내입니다")
    await panel_shown(teacher)
    text, shown = teacher.last_text, teacher.buttons
    assert "학교: 정발중학교" in text and "받는 사람: 3명 (학생 3)" in text
    assert "🎓 학년" in shown and not any(
        b.startswith(("🏫", "🌐", "🚨", "👥", "📍", "🏢", "📚")) for b in shown
    )
    panel = teacher.last_message["message_id"]
    broadcast_id = await latest_broadcast(db)
    for data in (
        buttons.EVERYONE.pack(broadcast_id),
        buttons.URGENT.pack(broadcast_id),
        buttons.SCHOOL.pack(broadcast_id, baekseok, 0),
        buttons.ROLE.pack(broadcast_id, 1),
        buttons.PROGRAMME.pack(broadcast_id),
    ):
        await teacher.press_data(panel, data)
        assert STALE in teacher.callback_answers[-1]["text"], data
    await choose(teacher, "🎓 학년", "2학년")
    assert "받는 사람: 2명" in teacher.last_text
    await teacher.press("📤 지금 보내기")
    await teacher.press("✅ 지금 보내기")
    assert [r.user_id for r in await deliveries(db, broadcast_id)] == [8102, 8103]
    assert (await broadcast_row(db, broadcast_id)).urgent is False
    # Another school's teacher sees none of it and cannot steer it.
    other = sandbox.user(OTHER_TEACHER, "도현")
    await other.send("/broadcasts")
    assert "아직 없습니다" in other.last_text
    await other.press_data(other.last_message["message_id"], buttons.PAUSE.pack(broadcast_id))
    assert STALE in other.callback_answers[-1]["text"]
    assert (await broadcast_row(db, broadcast_id)).status in ("sending", "done")
    assert 8111 in people


async def test_a_site_reaches_only_students_booked_on_its_sessions(bot, sandbox, db):
    await students(sandbox)
    async with db.write() as conn:
        programs = (
            await conn.execute(select(Program.id, Program.site_id).order_by(Program.id))
        ).all()
        ours, theirs = programs[0], next(p for p in programs if p.site_id != programs[0].site_id)
        await conn.execute(
            insert(User).values(id=SITE_USER, role="site", name="담당", site_id=ours.site_id)
        )
        sessions = {}
        for program in (ours, theirs):
            start = utcnow() + timedelta(days=5)
            sessions[program.id] = await add_session(conn, program.id, start, capacity=10)
        for student, program, status in (
            (8101, ours.id, "confirmed"),
            (8102, ours.id, "requested"),
            (8103, ours.id, "cancelled"),
            (8111, theirs.id, "confirmed"),
        ):
            await add_booking(conn, sessions[program], student, status)
    site = sandbox.user(SITE_USER, "체험처")
    await site.send("/broadcast")
    assert "우리 체험처 회차에 예약한 학생" in site.last_text
    await site.send("준비물 안내")
    await panel_shown(site)
    assert "받는 사람: 2명 (학생 2)" in site.last_text
    panel = site.last_message["message_id"]
    broadcast_id = await latest_broadcast(db)
    await site.press_data(panel, buttons.PROGRAMME_SESSIONS.pack(broadcast_id, theirs.id))
    assert STALE in site.callback_answers[-1]["text"]
    await site.press_data(panel, buttons.ONE_SESSION.pack(broadcast_id, sessions[theirs.id]))
    assert STALE in site.callback_answers[-1]["text"]
    await site.press("📚 프로그램 / 회차")
    assert "어느 프로그램에 보내시겠습니까?" in site.last_text
    ours_sessions = buttons.PROGRAMME_SESSIONS.pack(broadcast_id, ours.id)
    await site.press_data(site.last_message["message_id"], ours_sessions)
    assert "학생 2명" in " ".join(site.buttons)
    await site.press("학생 2명")
    assert "회차에 예약한 학생" in site.last_text and "받는 사람: 2명" in site.last_text
    await site.press("📤 지금 보내기")
    await site.press("✅ 지금 보내기")
    assert [r.user_id for r in await deliveries(db, broadcast_id)] == [8101, 8102]
