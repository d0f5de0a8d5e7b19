"""Cases end to end, through the sandbox: a case opened by a student, by a teacher and by a
site (from the roster); messages relayed both ways (the reply button, Telegram's own reply,
a photo with its caption, a private word); a proposal everyone accepts, then closing with
an outcome, everyone told; no relayed message, caption or button ever carries another
person's user id or username; a monitor not assigned gets nothing from a forged button; a
safety concern goes to staff at once.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so nothing a
student is told waits for the morning, and travels on from there when it needs to.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from handlers.cases import buttons
from storage.models import Case, CaseMessage, User
from tests.cases_e2e_helpers import (
    EVERYONE,
    MONITOR,
    MONITOR2,
    STALE_ADULT,
    assert_nobody_sees_another_account,
    cases,
    open_as,
    relayed,
    world_with_minji,
)

# ----- the whole story --------------------------------------------------------------------------


async def test_a_case_relayed_both_ways_resolved_and_closed(tuesday_morning, bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox)
    teacher, site, monitor, staff = w["teacher"], w["site"], w["monitor"], w["staff"]

    await open_as(minji, "일정 변경", "그날 학교 시험이 있어서 시간을 바꾸고 싶어요")
    assert "1번 사례를 열었어요" in minji.last_text
    assert "학부모 지원단 한수진 님이 도와줄 거예요" in minji.last_text
    (found,) = await cases(db)
    assert (found.monitor_id, found.opened_role, found.status) == (MONITOR, "student", "open")

    # The teacher, the site and the mediator hear of it, with the student's given name only.
    for person in (teacher, site, monitor):
        news = await person.expect("사례 #1", timeout=10)
        assert "민지 학생" in news["text"] and "시험" in news["text"]
        assert "김민지" not in news["text"]
    assert "중재를 맡을 새 사례" in (await monitor.expect("사례 #1"))["text"]

    # The mediator writes to everyone from the case view.
    await monitor.press("사례 보기")
    assert "민지 학생" in monitor.last_text and "그날 학교 시험" in monitor.last_text
    await monitor.press("모두에게")
    await monitor.send("안녕하세요, 중재를 맡은 수진입니다. 체험처에 다른 날이 있는지 여쭤볼게요.")
    await monitor.expect("1번 사례에 참여한 모두에게 보냈습니다")
    for person in (minji, teacher, site):
        await person.expect("학부모 지원단 한수진 님", timeout=10)
    async with db.read() as conn:
        case_row = (await conn.execute(select(Case.__table__))).one()
    assert case_row.mediator_at is not None and case_row.due_what == "answer"

    # The student answers with the reply button...
    await minji.press("답장하기")
    asked = minji.last_message["message_id"]
    await minji.send("네, 목요일도 괜찮아요!")
    await minji.expect("모두에게 보냈어요")
    # Posted: the question it answered keeps no "✕ Stop" (it would say "cancelled").
    assert not next(m for m in minji.bot_messages if m["message_id"] == asked).get("reply_markup")
    await monitor.expect("목요일도 괜찮아요", timeout=10)
    await site.expect("목요일도 괜찮아요", timeout=10)

    # ...the teacher with Telegram's own reply to the relayed message...
    await teacher.refresh()
    relayed_to_teacher = relayed(teacher, "체험처에 다른 날이")[-1]
    await teacher.send(
        "담임으로서 일정 변경에 동의합니다.", reply_to=relayed_to_teacher["message_id"]
    )
    await teacher.expect("모두에게 보냈습니다")
    await monitor.expect("박지훈 선생님", timeout=10)
    await minji.expect("담임으로서 일정 변경에 동의합니다", timeout=10)

    # ...and the site with a photo and its caption.
    await site.press("답장하기")
    await site.send_photo(caption="다음 주 목요일 14시 회차 안내문입니다")
    photo_news = await minji.expect("다음 주 목요일 14시 회차", timeout=10)
    assert photo_news["photo"] is not None and "체험처 담당자 최가람 님" in photo_news["caption"]
    await monitor.expect("다음 주 목요일 14시 회차", timeout=10)

    # The mediator writes privately to the student: nobody else gets it.
    await monitor.press("사례 보기")
    await monitor.press("한 사람에게")
    await monitor.press("민지 학생")
    await monitor.send("민지 학생, 보호자께도 말씀드렸나요?")
    private = await minji.expect("보호자께도", timeout=10)
    assert "나에게만 온 메시지예요" in private["text"]
    await site.refresh()
    await teacher.refresh()
    assert not relayed(site, "보호자께도") and not relayed(teacher, "보호자께도")

    # A proposal, accepted by everyone; the mediator closes the case as resolved.
    await monitor.press("사례 보기")
    await monitor.press("해결안 제안")
    await monitor.send("다음 주 목요일 14시 회차로 옮깁니다.")
    for person in (minji, teacher, site):
        await person.expect("해결안 제안", timeout=10)
        await person.press("수락")
    await minji.expect("해결안을 수락했어요")
    done = await monitor.expect("모두 수락했습니다", timeout=15)
    assert "3명 중 3명" in done["text"]
    await monitor.press("해결로 종결")
    await monitor.send("목요일 회차로 옮겼습니다. 모두 감사합니다.")
    await monitor.expect("1번 사례를 종결했습니다(해결)")
    for person in (minji, teacher, site):
        closed = await person.expect("종결되었", timeout=10)
        assert "목요일 회차로 옮겼습니다" in closed["text"]
    (found,) = await cases(db)
    assert (found.status, found.outcome) == ("closed", "resolved")

    # A closed case's buttons say so; writing in it is refused.
    await minji.press("답장하기")
    assert minji.callback_answers[-1]["text"] == "끝난 사례예요."

    # Everything is kept with its time, and the view shows the whole thread.
    async with db.read() as conn:
        kinds = (await conn.execute(select(CaseMessage.kind).order_by(CaseMessage.id))).scalars()
        kinds = list(kinds)
    assert kinds.count("message") == 5 and "private" in kinds and "proposal" in kinds
    await staff.send("/cases")
    assert "진행 중인 사례: 0건" in staff.last_text

    assert await assert_nobody_sees_another_account(sandbox, EVERYONE) > 30


async def test_cases_opened_by_a_teacher_and_by_a_site(tuesday_morning, bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox)
    teacher, site, monitor = w["teacher"], w["site"], w["monitor"]

    # The teacher, from /cases: their students' bookings are listed with first names.
    await teacher.send("/cases")
    await teacher.press("새 사례")
    assert any("민지" in label for label in teacher.buttons)
    await teacher.press("해양 생물")
    await teacher.press("불편·불만")
    await teacher.send("안내받은 준비물과 현장 안내가 달랐습니다.")
    await teacher.press("보내기")
    assert "1번 사례를 열었습니다" in teacher.last_text
    for person in (minji, site, monitor):
        news = await person.expect("사례 #1", timeout=10)
        assert "박지훈 선생님" in news["text"]

    # The site, from its session's roster.
    await site.send("/sessions")
    await site.press("해양 생물")
    await site.press("중재 요청")
    await site.press("민지")
    await site.press("출석·불참 문제")
    await site.send("당일 연락 없이 오지 않았습니다.")
    await site.press("보내기")
    assert "2번 사례를 열었습니다" in site.last_text
    for person in (minji, teacher):
        news = await person.expect("사례 #2", timeout=10)
        assert "체험처 담당자 최가람 님" in news["text"]
    # Round robin: the second case went to the other monitor of the district.
    second = await w["monitor2"].expect("사례 #2", timeout=10)
    assert "중재를 맡을 새 사례" in second["text"]
    found = await cases(db)
    assert [(c.opened_role, c.monitor_id) for c in found] == [
        ("teacher", MONITOR),
        ("site", MONITOR2),
    ]

    # The student sees both in /cases and writes in the site's.
    await minji.send("/cases")
    assert "진행 중인 내 사례: 2건" in minji.last_text
    await minji.press("#2")
    await minji.press("답장하기")
    await minji.send("아파서 못 갔어요. 죄송해요.")
    await w["monitor2"].expect("아파서 못 갔어요", timeout=10)
    await site.expect("아파서 못 갔어요", timeout=10)

    assert await assert_nobody_sees_another_account(sandbox, EVERYONE) > 15


async def test_a_monitor_cannot_read_a_case_not_assigned_to_them(tuesday_morning, bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox)
    await open_as(minji, "기타", "비밀스러운 고민이 있어요")
    (found,) = await cases(db)
    assert found.monitor_id == MONITOR
    other = w["monitor2"]
    await other.send("/cases")
    assert "맡은 사례: 0건" in other.last_text
    for data in (
        buttons.VIEW.pack(found.id, 0),
        buttons.REPLY.pack(found.id),
        buttons.CLOSE.pack(found.id),
        buttons.OPEN.pack(found.id),
        buttons.PICK_PARTY.pack(found.id),
        buttons.ASSIGN.pack(found.id, 0, 0, 1),  # only staff assign
        buttons.ESCALATE.pack(found.id),
    ):
        await other.press_data(other.last_message["message_id"], data)
        assert other.callback_answers[-1]["text"].startswith(STALE_ADULT)
    await other.refresh()
    assert not relayed(other, "비밀스러운")
    # A teacher of another grade: the same.
    async with db.write() as conn:
        await conn.execute(
            insert(User).values(
                id=734199, role="teacher", name="문선생", school_id=w["school"], grades="3",
                lang="ko", flow_data={},
            )
        )  # fmt: skip
    stranger = sandbox.user(734199, "선생")
    await stranger.send("/cases")
    await stranger.press_data(stranger.last_message["message_id"], buttons.VIEW.pack(found.id, 0))
    assert stranger.callback_answers[-1]["text"].startswith(STALE_ADULT)
    await stranger.refresh()
    assert not relayed(stranger, "비밀스러운")


async def test_a_safety_concern_goes_to_staff_at_once(tuesday_morning, bot, sandbox, db):
    w, minji = await world_with_minji(db, sandbox)
    await minji.send("/cases")
    await minji.press("새 사례")
    await minji.press("해양 생물")
    await minji.press("안전 문제")
    assert "112" in minji.last_text
    await minji.send("체험장 계단 난간이 흔들려서 위험해요")
    await minji.press("보내기")
    assert "시청 담당자에게 바로 알렸어요" in minji.last_text
    news = await w["staff"].expect("담당자에게 넘어온 사례", timeout=10)
    assert "안전 문제는 바로 담당자에게" in news["text"]
    (found,) = await cases(db)
    assert (found.status, found.escalation) == ("escalated", "safety")
    # Staff read it and write in it; from then on they follow it.
    await w["staff"].press("사례 보기")
    assert "계단 난간" in w["staff"].last_text
    await w["staff"].press("모두에게")
    await w["staff"].send("오늘 바로 현장을 확인하겠습니다.")
    await minji.expect("담당자 정우 님", timeout=10)
    await minji.press("답장하기")
    await minji.send("감사합니다")
    await w["staff"].expect("감사합니다", timeout=10)
    # Staff give it to the other monitor of the district: both they and the parties hear.
    await w["staff"].press("사례 보기")
    await w["staff"].press("중재자 지정")
    assert any("✔ 한수진 (덕양구)" in label for label in w["staff"].buttons)
    await w["staff"].press("오은정 (덕양구)")
    assert "이제 학부모 지원단 오은정 님이 1번 사례를 중재하며" in w["staff"].last_text
    await w["monitor2"].expect("이 사례의 중재를 맡게 되었습니다", timeout=10)
    await minji.expect("학부모 지원단 오은정 님이 이 사례를 도와줄 거예요", timeout=10)
    (found,) = await cases(db)
    assert found.monitor_id == MONITOR2
    assert await assert_nobody_sees_another_account(sandbox, EVERYONE) > 10
