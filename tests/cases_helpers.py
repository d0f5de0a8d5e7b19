"""The storage tests' world for cases (tests/test_cases_*.py but the _e2e ones): two
schools, a site with its sessions and bookings, teachers, monitors and staff; opening,
posting and the clock as one call each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from storage import cases
from storage.models import Case, Monitor, Reminder, User
from tests.world_helpers import add_booking, add_program, add_school, add_session, add_site

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=KST).astimezone(UTC)  # a Tuesday morning
H = timedelta(hours=1)

STUDENT, STUDENT2 = 101, 102
TEACHER, TEACHER3, OTHER_TEACHER, LATE_TEACHER = 201, 202, 203, 204
SITE, OTHER_SITE = 301, 302
M1, M2, M3, PAUSED, GONE = 401, 402, 403, 404, 405
STAFF = 501


async def world(db) -> dict:
    """Two schools, our site in 덕양구 with a session in three days and one ten days ago,
    another site; a student of grade 2 with a confirmed booking, a class booking of two
    unnamed seats; teachers of grade 2, of grade 3 and of another school; monitors: two free
    in 덕양구, one in 일산서구, a paused one and one who blocked the bot; staff."""
    ids = {}
    async with db.write() as conn:
        school = await add_school(conn, "정발중학교", district="일산동구")
        other_school = await add_school(conn, "백석중학교", district="일산동구")
        site = await add_site(conn, "바다 체험관")
        other_site = await add_site(conn, "숲 체험관")
        program = await add_program(conn, site, "해양 생물 관찰", external_key="바다|해양 생물")
        later, past = [
            await add_session(conn, program, start, capacity=20, booked=3)
            for start in (NOW + timedelta(days=3), NOW - timedelta(days=10))
        ]
        people = [
            dict(id=STUDENT, role="student", name="김민지", school_id=school, grade=2),
            dict(id=STUDENT2, role="student", name="이서준", school_id=school, grade=2),
            dict(id=TEACHER, role="teacher", name="박선생", school_id=school, grades="2"),
            dict(id=TEACHER3, role="teacher", name="최선생", school_id=school, grades="3"),
            dict(id=OTHER_TEACHER, role="teacher", name="정선생", school_id=other_school),
            dict(id=SITE, role="site", name="바다 담당자", site_id=site),
            dict(id=OTHER_SITE, role="site", name="숲 담당자", site_id=other_site),
            dict(id=M1, role="monitor", name="한수진"),
            dict(id=M2, role="monitor", name="오은정"),
            dict(id=M3, role="monitor", name="서미라"),
            dict(id=PAUSED, role="monitor", name="윤보라"),
            dict(id=GONE, role="monitor", name="강하나", active=False),
            dict(id=STAFF, role="staff", name="시청 담당자"),
        ]
        for person in people:
            await conn.execute(insert(User).values(lang="ko", flow_data={}, **person))
        for user_id, district, paused in (
            (M1, "덕양구", False),
            (M2, "덕양구", False),
            (M3, "일산서구", False),
            (PAUSED, "덕양구", True),
            (GONE, "덕양구", False),
        ):
            await conn.execute(
                insert(Monitor).values(user_id=user_id, district=district, paused=paused)
            )
        booking = dict(school_id=school, created_at=NOW - 24 * H)  # confirmed a day ago
        ids["own"] = await add_booking(conn, later, STUDENT, **booking)
        ids["past_own"] = await add_booking(conn, past, STUDENT, **booking)
        ids["class"] = [
            await add_booking(conn, later, None, booked_by=TEACHER, **booking) for _ in range(2)
        ]
    ids.update(school=school, site=site, session=later)
    return ids


async def user(db, user_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(User.__table__).where(User.id == user_id))).one()


async def open_case(db, booking_id, opener_id, kind="schedule", text="시간이 바뀌었대요", **kw):
    opener = await user(db, opener_id)
    async with db.write() as conn:
        return await cases.open_case(
            conn, booking_id, opener, kind, text, now=kw.pop("now", NOW), **kw
        )


async def post(db, case_id, sender_id, text="안녕하세요", *, now=NOW + H, **kw):
    sender = await user(db, sender_id)
    async with db.write() as conn:
        return await cases.post(conn, case_id, sender, text, now=now, **kw)


async def outbox(db, kind: str | None = None) -> list[tuple[str, int]]:
    async with db.read() as conn:
        stmt = select(Reminder.kind, Reminder.user_id).order_by(Reminder.id)
        if kind:
            stmt = stmt.where(Reminder.kind == kind)
        return [tuple(row) for row in (await conn.execute(stmt)).all()]


async def the_case(db, case_id):
    async with db.read() as conn:
        return (await conn.execute(select(Case.__table__).where(Case.id == case_id))).one()


async def check(db, moment):
    async with db.write() as conn:
        return await cases.check_service_levels(conn, now=moment)
