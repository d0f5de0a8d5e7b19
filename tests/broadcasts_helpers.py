"""What the broadcasts end-to-end tests share: the people, the message typed, the
staff's first steps and reads of the deliveries."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import Broadcast, Reminder
from tests.conftest import ADMIN_ID, join_as_student, wait_until

KST = ZoneInfo("Asia/Seoul")
STALE = "이 버튼은 이제 쓸 수 없"  # students: 없어요, adults: 없습니다
TEACHER, OTHER_TEACHER, SITE_USER = 8201, 8202, 8301
JEONGBAL = [(8101, "김민지", 1), (8102, "이서준", 2), (8103, "최하나", 2)]  # 정발중학교
BAEKSEOK = (8111, "박도윤", 2)  # 백석중학교
TEXT = "진로 박람회 안내 <b>12/5</b> & 신청"  # typed as is: shown as is


async def students(sandbox) -> dict:
    people = {}
    for user_id, name, grade in JEONGBAL:
        people[user_id] = await join_as_student(sandbox, user_id, name, grade=grade)
    user_id, name, grade = BAEKSEOK
    people[user_id] = await join_as_student(sandbox, user_id, name, school="백석", grade=grade)
    return people


async def staff_member(sandbox):
    staff = sandbox.user(ADMIN_ID, "시청")
    await staff.send("/help")
    return staff


async def press_school(user, name: str) -> None:
    """Press a school in the paged list, turning pages until it shows."""
    for _ in range(10):
        if any(name in button for button in user.buttons):
            await user.press(name)
            return
        await user.press("다음 ▶")
    raise AssertionError(f"{name} is not in the list")


async def deliveries(db, broadcast_id: int | None = None) -> list:
    query = select(Reminder.__table__).where(Reminder.kind == "broadcast")
    if broadcast_id is not None:
        query = query.where(Reminder.broadcast_id == broadcast_id)
    async with db.read() as conn:
        return list((await conn.execute(query.order_by(Reminder.user_id))).all())


async def broadcast_row(db, broadcast_id: int):
    async with db.read() as conn:
        query = select(Broadcast.__table__).where(Broadcast.id == broadcast_id)
        return (await conn.execute(query)).one()


async def latest_broadcast(db) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(Broadcast.id).order_by(Broadcast.id.desc()))


async def compose(staff, text: str = TEXT) -> None:
    await staff.send("/broadcast")
    assert "새 공지" in staff.last_text
    await staff.send(text)
    await panel_shown(staff)


async def staff_composing(sandbox, text: str = TEXT) -> tuple[dict, object]:
    """The opening of most stories here: the students join, then staff write `text` and see
    the panel. Returns the students (by id) and staff."""
    people = await students(sandbox)
    staff = await staff_member(sandbox)
    await compose(staff, text)
    return people, staff


async def choose(user, menu: str, *choices: str) -> None:
    """On the panel: open `menu` (👥 역할, 🎓 학년), press each of `choices`, and go back."""
    await user.press(menu)
    for choice in choices:
        await user.press(choice)
    await user.press("받는 사람 선택으로")


async def panel_shown(user, fragment: str = "(작성 중)") -> None:
    """Wait until the newest bot message is the panel: it comes after the preview, maybe
    after a busy moment."""

    async def newest() -> bool:
        await user.refresh()
        return fragment in user.last_text

    await wait_until(newest)


def student_due(now: datetime) -> set[datetime]:
    """When a non-urgent student copy confirmed `now` is due: now, or 08:00 after quiet hours
    (the test may run at night)."""
    local = now.astimezone(KST)
    if time(8) <= local.time() < time(21):
        return {"now"}
    day = local.date() if local.time() < time(8) else local.date() + timedelta(days=1)
    return {datetime.combine(day, time(8), tzinfo=KST)}
