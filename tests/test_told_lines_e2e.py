"""Every "X was told" line is true, end to end through the sandbox, where the person said to
be told may be out of reach: a parent monitor confirming an inspection of a site nobody of
which is on Jinro, a guardian erasing a child's data, a site cancelling a session with class
seats (typed names, no Telegram account) and a student who blocked the bot on it. The clock
starts on a Tuesday at 10:00 in Seoul (tuesday_morning)."""

from __future__ import annotations

from sqlalchemy import update

from storage.models import User
from tests.test_inspections_e2e import add_site_person, answer_all, join_monitor

# ----- a parent monitor confirming an inspection ----------------------------------------------

POTTERY = "흙담 도자기공방"
NOBODY_POTTERY = f"{POTTERY}에는 아직 진로 봇을 쓰는 담당자가 없어 여기서는 체험처에 알릴 수"


async def inspect(db, monitor, answers: list[str], result: str, lang: str = "ko") -> None:
    """The monitor picks the pottery, answers the items and chooses `result`, without a
    note, reading the screen before confirming in `lang`."""
    await monitor.send("/inspections")
    await monitor.press("📋 점검할 곳 고르기")
    await monitor.press(POTTERY)
    await monitor.press("▶ 점검 시작")
    await answer_all(monitor, answers)
    await monitor.press(result)
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == monitor.id).values(lang=lang))
    await monitor.press("의견 없이 진행")


async def test_a_failed_site_nobody_of_which_is_on_jinro_is_not_said_to_be_told(
    tuesday_morning, bot, sandbox, db
):
    monitor = await join_monitor(sandbox, db, 1501, "은정", "일산동구")
    await inspect(db, monitor, ["pass"] * 7 + ["fail"], "❌ 부적합")
    assert "확정하기 전에 확인해 주십시오" in monitor.last_text
    assert "시청 담당자, 이곳에 예약한 학생들의 선생님께 바로 알립니다." in monitor.last_text
    assert NOBODY_POTTERY in monitor.last_text and "직접 연락해 주십시오" in monitor.last_text
    assert "체험처, 시청" not in monitor.last_text


async def test_a_site_needing_fixes_with_nobody_on_jinro_is_to_be_told_by_the_monitor(
    tuesday_morning, bot, sandbox, db
):
    monitor = await join_monitor(sandbox, db, 1502, "은정", "일산동구")
    await inspect(db, monitor, ["pass"] * 7 + ["fix"], "🔧 보완 필요", lang="en")
    assert f"No one from {POTTERY} is on Jinro yet, so the site cannot be told here" in (
        monitor.last_text
    )


async def test_a_failed_site_with_someone_on_jinro_is_told(tuesday_morning, bot, sandbox, db):
    monitor = await join_monitor(sandbox, db, 1503, "은정", "일산동구")
    site = await add_site_person(db, sandbox, 7003, POTTERY)
    await inspect(db, monitor, ["pass"] * 7 + ["fail"], "❌ 부적합")
    assert "체험처, 시청 담당자, 이곳에 예약한 학생들의 선생님께 바로 알립니다." in (
        monitor.last_text
    )
    assert "진로 봇을 쓰는 담당자가 없어" not in monitor.last_text
    await monitor.press("✅ 결과 확정")
    await site.expect("안전 점검 결과: 부적합")
