"""The mediator brings people into a case, end to end through the sandbox: a teacher of the
student who joined after the case was opened can read it but not write in it; the monitor
brings them in (and the site's second account), each is told in 합니다체 and can then write
to everyone, relayed without anyone's account; an old button and a forged one from a party
get the stale answer; each bringing-in is in the audit log.

Tuesday 10:00 in Seoul (time-machine, ticking): nothing the student is told waits."""

from __future__ import annotations

import json

from sqlalchemy import insert, select

from handlers.cases import buttons
from storage.models import AuditEntry, User
from tests.cases_e2e_helpers import SITE_USER, STALE_ADULT, cases, open_as, world_with_minji

SUA, SITE2 = 734111, 734211


async def _joined_later(db, sandbox, w) -> tuple:
    """이수아, a second-grade teacher of the school, and 윤하늘, the site's second account,
    join after the case was opened: neither is a party."""
    async with db.write() as conn:
        site_id = await conn.scalar(select(User.site_id).where(User.id == SITE_USER))
        await conn.execute(
            insert(User).values(
                id=SUA, role="teacher", name="이수아", school_id=w["school"], grades="2",
                lang="ko", flow_data={},
            )
        )  # fmt: skip
        await conn.execute(
            insert(User).values(
                id=SITE2, role="site", name="윤하늘", site_id=site_id, lang="ko", flow_data={}
            )
        )
    sua, haneul = sandbox.user(SUA, "수아"), sandbox.user(SITE2, "하늘")
    await sua.send("/help")
    await haneul.send("/help")
    return sua, haneul


async def test_the_mediator_brings_in_the_students_teacher_and_the_site(
    tuesday_morning, bot, sandbox, db
):
    w, minji = await world_with_minji(db, sandbox)
    monitor, site = w["monitor"], w["site"]
    await open_as(minji, "일정 변경", "그날 현장학습이 겹쳐서 바꾸고 싶어요")
    (found,) = await cases(db)
    sua, haneul = await _joined_later(db, sandbox, w)

    # 수아 선생님 can read the student's case, but not write in it.
    await sua.send("/cases")
    await sua.press("#1")
    assert "현장학습이 겹쳐서" in sua.last_text
    assert "답장하기" not in json.dumps(sua.last_message.get("reply_markup"), ensure_ascii=False)
    await sua.press_data(sua.last_message["message_id"], buttons.REPLY.pack(found.id))
    assert "글은 당사자만 쓸 수 있습니다" in sua.callback_answers[-1]["text"]

    # The monitor brings her in from the case view (once the new case's notice is in: it
    # comes through the outbox and would otherwise land after the screens below).
    await monitor.expect("중재를 맡을 새 사례", timeout=10)
    await monitor.send("/cases")
    await monitor.press("#1")
    await monitor.press("선생님·체험처 참여시키기")
    assert "누구를 사례에 참여시키시겠습니까?" in monitor.last_text
    offered = json.dumps(monitor.last_message["reply_markup"], ensure_ascii=False)
    assert "이수아 선생님" in offered and "체험처 담당자 윤하늘 님" in offered
    assert "박지훈 선생님" not in offered  # a party already
    assert str(SUA) not in offered and str(SITE2) not in offered
    picker = monitor.last_message["message_id"]
    await monitor.press("이수아 선생님")
    assert "이수아 선생님을 1번 사례의 당사자로 참여시키고 알렸습니다" in monitor.last_text

    # She is told, in 합니다체, and writes to everyone; the student hears her as 이수아 선생님.
    told = await sua.expect("당사자가 되셨습니다", timeout=10)
    assert "사례 #1" in told["text"]
    await sua.press("답장하기")
    await sua.send("담임 이수아입니다. 현장학습 날짜를 확인해 보겠습니다.")
    await sua.expect("모두에게 보냈습니다")
    heard = await minji.expect("현장학습 날짜를 확인해", timeout=10)
    assert heard["text"].split("\n")[-2] == "이수아 선생님:"
    await monitor.expect("현장학습 날짜를 확인해", timeout=10)
    await site.expect("현장학습 날짜를 확인해", timeout=10)

    # The old list's button for her is stale now; the site's second account is still there.
    await monitor.press_data(picker, buttons.BRING_IN.pack(found.id, 0, 1))
    assert monitor.callback_answers[-1]["text"].startswith(STALE_ADULT)
    await monitor.send("/cases")
    await monitor.press("#1")
    assert "이수아 선생님" in monitor.last_text  # in the list of parties now
    await monitor.press("선생님·체험처 참여시키기")
    await monitor.press("체험처 담당자 윤하늘 님")
    assert (
        "체험처 담당자 윤하늘 님을 1번 사례의 당사자로 참여시키고 알렸습니다" in monitor.last_text
    )
    await haneul.expect("당사자가 되셨습니다", timeout=10)
    await monitor.press("사례 보기")
    await monitor.press("선생님·체험처 참여시키기")
    assert "모두 이미 사례에 참여하고 있습니다" in monitor.last_text

    # A party may not bring anyone in, even with a forged button.
    await site.send("/cases")
    await site.press_data(site.last_message["message_id"], buttons.ADD_PARTY.pack(found.id))
    assert site.callback_answers[-1]["text"].startswith(STALE_ADULT)

    # Nobody's account reached another: ids and the new people's names in full.
    for person, others in ((minji, (SUA, SITE2)), (sua, (734001,)), (haneul, (734001,))):
        for call in await sandbox.calls():
            if call["params"].get("chat_id") != person.id:
                continue
            shown = json.dumps(call["params"], ensure_ascii=False)
            assert all(
                str(other) not in shown.replace(f'"chat_id": {person.id}', "") for other in others
            )
    async with db.read() as conn:
        audited = (
            await conn.execute(
                select(AuditEntry.__table__).where(AuditEntry.action == "case.bring_in")
            )
        ).all()
    assert len(audited) == 2
