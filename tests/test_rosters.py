"""Who comes to a session, as storage.rosters groups it for the printable roster: class
bookings by teacher and school, seats named or not, students who applied themselves, and
those not coming (waiting, cancelled) left out. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from storage import rosters
from storage.models import User, utcnow
from tests.world_helpers import (
    add_program,
    add_school,
    add_session,
    add_site,
    book_seat,
    student_row,
    teacher_row,
)


async def world(conn) -> dict:
    site = await add_site(conn, "바다 체험관")
    program = await add_program(conn, site, "해양 생물 관찰", external_key="바다|해양")
    session = await add_session(conn, program, utcnow() + timedelta(days=3), capacity=40)
    jeongbal = await add_school(conn, "정발중학교")
    hwajeong = await add_school(conn, "화정중학교")
    await conn.execute(
        insert(User),
        [
            teacher_row(9001, "박선영", jeongbal),
            teacher_row(9002, "김하늘", jeongbal),
            teacher_row(9003, "이도현", hwajeong),
        ],
    )
    await conn.execute(
        insert(User),
        [
            student_row(9101, "김민지", jeongbal),
            student_row(9102, "이서준", jeongbal, grade=1),
            student_row(9103, "최하나", hwajeong, grade=3),
        ],
    )
    return {"session": session, "jeongbal": jeongbal, "hwajeong": hwajeong}


async def seat(conn, w, student_id, *, by, school="jeongbal", status="confirmed", **values):
    return await book_seat(
        conn, w["session"], student_id, status, booked_by=by, school_id=w[school], **values
    )


async def test_class_bookings_are_grouped_by_teacher_and_school(db):
    async with db.write() as conn:
        w = await world(conn)
        first = await seat(conn, w, 9101, by=9001)  # 박선영's class: 민지, a typed name, unnamed
        await seat(conn, w, None, by=9001, student_name="이도윤")
        await seat(conn, w, None, by=9001)
        second = await seat(conn, w, None, by=9002)  # 김하늘's class of the same school
        await seat(conn, w, None, by=9002, status="cancelled")  # given back: not coming
        third = await seat(conn, w, None, by=9003, school="hwajeong", student_name="정우진")
        await seat(conn, w, 9102, by=9102, status="requested")  # on his own, awaiting
        await seat(conn, w, 9103, by=9103, school="hwajeong", status="waitlisted")
    async with db.read() as conn:
        found = await rosters.roster(conn, w["session"])

    assert len(found.people) == 6
    by_key = {c.key: c for c in found.classes}
    assert set(by_key) == {first, second, third}
    assert (by_key[first].teacher, by_key[first].seats, by_key[first].unnamed) == ("박선영", 3, 1)
    assert (by_key[second].teacher, by_key[second].seats, by_key[second].unnamed) == (
        "김하늘",
        1,
        1,
    )
    assert (by_key[third].school, by_key[third].seats) == ("화정중학교", 1)
    assert all(c.teacher_id in (9001, 9002, 9003) for c in found.classes)

    own = [p for p in found.people if not p.class_seat]
    assert [(p.name, p.status, p.teacher) for p in own] == [("이서준", "requested", None)]
    booking, seats = found.of_class(first)
    assert booking.teacher == "박선영"
    assert sorted(p.name or "" for p in seats) == ["", "김민지", "이도윤"]
    assert all(p.teacher == "박선영" and p.school == "정발중학교" for p in seats)
    assert found.of_class(second)[1][0].name is None
    assert found.of_class(12345) is None  # not a class booking of this session


async def test_a_session_nobody_comes_to_has_an_empty_roster(db):
    async with db.write() as conn:
        w = await world(conn)
        await seat(conn, w, 9101, by=9101, status="cancelled")
    async with db.read() as conn:
        found = await rosters.roster(conn, w["session"])
    assert found.people == [] and found.classes == []
