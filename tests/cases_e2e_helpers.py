"""The end-to-end cases tests' small world (tests/test_cases_*_e2e.py): the people and
ids, students joining, bookings, opening a case as in the chat, the clock's tick, and the
check that nobody sees another person's account."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import insert, select

from handlers.cases import clock_tick
from handlers.outbox import dispatch_tick
from storage.models import Case, Monitor, User, utcnow
from storage.search import refresh_next
from tests.conftest import ADMIN_ID
from tests.world_helpers import add_program, add_session, add_site, book_seat, school_named

KST = ZoneInfo("Asia/Seoul")
STUDENT, STUDENT2 = 734001, 734002
TEACHER = 734101
SITE_USER = 734201
MONITOR, MONITOR2 = 734301, 734302
# Everyone in a story (the second student aside): nobody may see another one's account.
EVERYONE = [STUDENT, TEACHER, SITE_USER, MONITOR, MONITOR2, ADMIN_ID]
STALE_STUDENT = "이 버튼은 이제 쓸 수 없어요"
STALE_ADULT = "이 버튼은 이제 쓸 수 없습니다"
USERNAMES = {
    STUDENT: "minji_kim7",
    STUDENT2: "seojun_lee2",
    TEACHER: "jihoon_park_t",
    SITE_USER: "garam_seaside",
    MONITOR: "sujin_parents",
    MONITOR2: "eunjung_parents",
    ADMIN_ID: "city_staff_jinro",
}


# ----- a small world --------------------------------------------------------------------------


async def world(db, sandbox, *, monitors_free: bool = True) -> dict:
    """A site in 덕양구 with a session in three days; its person; a teacher of 정발중학교's
    second grade; two parent monitors of 덕양구 (paused unless `monitors_free`); staff; every
    chat opened. Returns the people and ids."""
    now = utcnow()
    async with db.write() as conn:
        school_id = await school_named(conn)
        site_id = await add_site(conn, "바다 체험관")
        program_id = await add_program(
            conn, site_id, "해양 생물 관찰", external_key="바다 체험관|해양 생물 관찰"
        )
        session_id = await add_session(conn, program_id, now + timedelta(days=3), capacity=20)
        await refresh_next(conn, [program_id], now=now)
        people = [
            dict(id=TEACHER, role="teacher", name="박지훈", school_id=school_id, grades="2"),
            dict(id=SITE_USER, role="site", name="최가람", site_id=site_id),
            dict(id=MONITOR, role="monitor", name="한수진"),
            dict(id=MONITOR2, role="monitor", name="오은정"),
        ]
        for person in people:
            await conn.execute(insert(User).values(lang="ko", flow_data={}, **person))
        for monitor in (MONITOR, MONITOR2):
            await conn.execute(
                insert(Monitor).values(user_id=monitor, district="덕양구", paused=not monitors_free)
            )
    found = {"school": school_id, "session": session_id, "site": site_id}
    for key, user_id, first in (
        ("teacher", TEACHER, "지훈"),
        ("site", SITE_USER, "가람"),
        ("monitor", MONITOR, "수진"),
        ("monitor2", MONITOR2, "은정"),
        ("staff", ADMIN_ID, "정우"),
    ):
        person = sandbox.user(user_id, first, username=USERNAMES[user_id])
        await person.send("/help")
        found[key] = person
    return found


async def join(sandbox, user_id: int, name: str):
    """A student of 정발중학교's second grade joins, as in the chat."""
    student = sandbox.user(user_id, name[1:], username=USERNAMES[user_id])
    await student.send("/start")
    await student.press("학생이에요")
    await student.send("정발")
    await student.press("정발")
    await student.press("2학년")
    await student.send(name)
    await student.press("아니요")
    return student


async def book(db, session_id: int, student_id: int) -> int:
    """The student's confirmed booking, its seat counted."""
    async with db.write() as conn:
        return await book_seat(conn, session_id, student_id, created_at=utcnow())


async def world_with_minji(db, sandbox, **options) -> tuple[dict, object]:
    """The opening of most stories: the world (`options` as for `world`), and 김민지 joined,
    with a confirmed seat on its session."""
    w = await world(db, sandbox, **options)
    minji = await join(sandbox, STUDENT, "김민지")
    await book(db, w["session"], STUDENT)
    return w, minji


async def open_as(person, kind: str, text: str, *, booking: str = "해양 생물") -> None:
    await person.send("/cases")
    await person.press("새 사례")
    await person.press(booking)
    await person.press(kind)
    await person.send(text)
    await person.press("보내기")


async def cases(db) -> list:
    async with db.read() as conn:
        return list((await conn.execute(select(Case.__table__).order_by(Case.id))).all())


def relayed(person, fragment: str) -> list[dict]:
    return [m for m in person.bot_messages if fragment in (m.get("text") or m.get("caption") or "")]


async def travel_tick(bot, moment: datetime) -> None:
    """The clock at `moment`: the cases' step, then the outbox."""
    with time_machine.travel(moment, tick=True):
        await clock_tick(bot)
        await dispatch_tick(bot)


async def assert_nobody_sees_another_account(sandbox, people: list[int]) -> int:
    """No call to one person's chat (texts, captions, buttons, edits) carries another
    person's user id or username. Returns how many calls were looked at."""
    looked = 0
    for call in await sandbox.calls():
        params = call["params"]
        chat_id = params.get("chat_id")
        if chat_id not in people:
            continue
        looked += 1
        shown = json.dumps(
            {key: value for key, value in params.items() if key != "chat_id"}, ensure_ascii=False
        )
        for other in people:
            if other == chat_id:
                continue
            assert str(other) not in shown, (chat_id, other, shown)
            assert USERNAMES[other] not in shown, (chat_id, other, shown)
    return looked
