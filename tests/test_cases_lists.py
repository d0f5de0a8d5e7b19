"""Cases in storage, on SQLite and PostgreSQL: the bookings a case can be opened about, and
erasing a person's words."""

from __future__ import annotations

from sqlalchemy import func, select

from storage import cases
from storage.models import CaseMessage, CaseParty
from tests.cases_helpers import M1, NOW, SITE, STUDENT, TEACHER, open_case, post, user, world

# ----- lists, erasing ---------------------------------------------------------------------------


async def test_bookings_to_open_a_case_about(db):
    ids = await world(db)
    async with db.read() as conn:
        for user_id, expected in (
            (STUDENT, [ids["own"], ids["past_own"]]),
            (TEACHER, None),
            (SITE, None),
            (M1, []),
        ):
            picks = await cases.pickable(conn, await user(db, user_id), now=NOW)
            if expected is not None:
                assert [p.booking_id for p in picks] == expected, user_id
            else:
                # The student's booking, the past one, and the class booking as one entry.
                assert len(picks) == 3, user_id
                assert [p.seats for p in picks if p.name is None] == [2]
                assert {p.name for p in picks} == {"민지", None}


async def test_erasing_a_person_keeps_the_thread_readable(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT, text="저는 민지예요")).case_id
    await post(db, case_id, M1, "네, 민지 학생")
    async with db.write() as conn:
        changed = await cases.erase_people(conn, [STUDENT])
    assert changed == 2  # the first message and the "opened" event's name
    async with db.read() as conn:
        lines = (
            await conn.execute(
                select(CaseMessage.__table__)
                .where(CaseMessage.case_id == case_id)
                .order_by(CaseMessage.id)
            )
        ).all()
        parties = await conn.scalar(
            select(func.count()).where(CaseParty.case_id == case_id, CaseParty.user_id == STUDENT)
        )
    mine = [line for line in lines if line.sender_id == STUDENT]
    assert all(line.sender_name is None for line in mine)
    assert [(line.text, line.photo) for line in mine if line.kind == "message"] == [(None, None)]
    assert any(line.text == "네, 민지 학생" for line in lines)  # others' words stay
    assert parties == 0
