"""The mentor storage tests' small world: schools, mentors with weekly slots, students and
teachers, a request asked and accepted, and the check that each mentor's places match."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from storage import mentors
from storage.models import Mentor, MentorField, MentorRequest, MentorSlot, School, User

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=KST).astimezone(UTC)  # a Tuesday morning
WINDOW = timedelta(hours=24)


async def schools(db) -> dict[str, int]:
    async with db.write() as conn:
        return {
            district: await conn.scalar(
                insert(School)
                .values(name=f"{district}중학교", district=district)
                .returning(School.id)
            )
            for district in ("덕양구", "일산동구", "일산서구")
        }


async def add_mentor(
    db,
    user_id: int,
    field: str = "방송영상",
    *,
    extra=(),
    districts="덕양구",
    online=True,
    group=False,
    visits=False,
    max_open=3,
    paused=False,
    slots=((1, time(16, 0)), (3, time(16, 0))),
    open_requests=0,
) -> int:
    """A mentor profile with its user and weekly slots ((weekday, start), 60 minutes)."""
    async with db.write() as conn:
        mentor_id = await conn.scalar(
            insert(Mentor)
            .values(
                kind="professional",
                name=f"멘토{user_id}",
                field=field,
                online=online,
                group_sessions=group,
                school_visits=visits,
                districts=districts,
                max_open=max_open,
                paused=paused,
                open_requests=open_requests,
            )
            .returning(Mentor.id)
        )
        for name in extra:
            await conn.execute(insert(MentorField).values(mentor_id=mentor_id, field=name))
        for weekday, starts in slots:
            await conn.execute(
                insert(MentorSlot).values(
                    mentor_id=mentor_id, weekday=weekday, starts=starts, minutes=60
                )
            )
        await conn.execute(
            insert(User).values(
                id=user_id, role="mentor", name=f"멘토{user_id}", mentor_id=mentor_id
            )
        )
    return mentor_id


async def add_student(db, user_id: int, school_id: int, **values) -> None:
    async with db.write() as conn:
        await conn.execute(
            insert(User).values(
                id=user_id,
                role="student",
                name=values.pop("name", "김민지"),
                school_id=school_id,
                grade=values.pop("grade", 2),
                under14=values.pop("under14", False),
                **values,
            )
        )


async def add_teacher(db, user_id: int, school_id: int, grades: str = "") -> None:
    async with db.write() as conn:
        await conn.execute(
            insert(User).values(
                id=user_id,
                role="teacher",
                name=f"교사{user_id}",
                school_id=school_id,
                grades=grades,
            )
        )


async def user(db, user_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(User.__table__).where(User.id == user_id))).one()


async def ask(db, requester_id: int, field="방송영상", mode="online", now=NOW, times=()):
    requester = await user(db, requester_id)
    async with db.write() as conn:
        return await mentors.create_request(
            conn,
            requester,
            field=field,
            mode=mode,
            question="방송 PD가 되려면 무엇을 공부해야 하나요?",
            times=times,
            now=now,
            window=WINDOW,
        )


async def request(db, request_id: int):
    async with db.read() as conn:
        return await mentors.get(conn, request_id)


async def assert_places_match(db) -> None:
    """Each mentor's open_requests equals the requests that hold one of their places."""
    async with db.read() as conn:
        stored = dict((await conn.execute(select(Mentor.id, Mentor.open_requests))).all())
        counted = dict(
            (
                await conn.execute(
                    select(MentorRequest.mentor_id, func.count())
                    .where(MentorRequest.counted.is_(True))
                    .group_by(MentorRequest.mentor_id)
                )
            ).all()
        )
        holding = dict(
            (
                await conn.execute(
                    select(MentorRequest.mentor_id, func.count())
                    .where(
                        MentorRequest.status.in_(mentors.OPEN),
                        ~(
                            (MentorRequest.mode == "group")
                            & (MentorRequest.counted.is_(False))
                            & (MentorRequest.status == "scheduled")
                        ),
                    )
                    .group_by(MentorRequest.mentor_id)
                )
            ).all()
        )
    assert stored == {m: counted.get(m, 0) for m in stored}
    assert counted == {m: n for m, n in holding.items() if m is not None}


async def accepted(db, requester_id, mentor_user_id, **ask_values):
    created = await ask(db, requester_id, **ask_values)
    async with db.write() as conn:
        await mentors.accept(conn, created.request_id, await user(db, mentor_user_id), now=NOW)
    return created.request_id
