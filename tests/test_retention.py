"""The retention sweep (storage/retention.py) on both databases: named people are seeded with
their bookings, survey comments, cases, mentor questions and consents; the sweep runs at
moments past each limit; then no text column of any table holds a seeded name or number,
and the programme's figures still add up.

Every moment is given to the sweep (it never reads the wall clock), so the dates below are
the story's own and hold at any date the suite runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import JSON, String, Text, cast, func, insert, or_, select

from storage import erasure, retention, stats
from storage.models import (
    AuditEntry,
    Base,
    Case,
    CaseMessage,
    CaseParty,
    ConsentRequest,
    Mentor,
    MentorRequest,
    SurveyAnswer,
    User,
)
from tests.cases_helpers import KST
from tests.world_helpers import add_booking, add_program, add_school, add_session, add_site

LIMITS = retention.Limits(left_days=30, case_months=12, audit_months=24)
HANEUL, BADA, GUREUM, BYEOL, TEACHER = 8101, 8102, 8103, 8104, 8105
# Names and numbers nobody else in the world has, so a search for them finds only them.
NAMES = {HANEUL: "가하늘", BADA: "나바다", GUREUM: "다구름", BYEOL: "라별님"}
UNNAMED = "마은하"  # a student a teacher booked who is not on Telegram
PHONES = ("+821055550001", "+821055550002")
SEEDED = [*NAMES.values(), UNNAMED, *PHONES]


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=KST).astimezone(UTC)


AUTUMN = date(2026, 10, 14)  # the school year 2026 (March 2026 to February 2027)


async def seed(db) -> dict:
    async with db.write() as conn:
        school = await add_school(conn, "가온중학교")
        site = await add_site(conn, "하늘 체험관")
        program = await add_program(conn, site, "별 관찰", external_key="하늘|별")
        past = await add_session(conn, program, at(AUTUMN), capacity=20, booked=3)
        people = [
            # A third-grader: leaves on 1 March 2027.
            dict(id=HANEUL, role="student", grade=3, leaves_on=date(2027, 3, 1)),
            # A first-grader: leaves on 1 March 2029; her guardian consented.
            dict(id=BADA, role="student", grade=1, leaves_on=date(2029, 3, 1), under14=True),
            # Someone who pressed /start, gave a name and never came back.
            dict(id=GUREUM, role=None, seen_on=date(2025, 10, 1)),
            dict(id=BYEOL, role=None),  # Bada's guardian
        ]
        for person in people:
            values = {"school_id": school, "seen_on": AUTUMN, **person}
            if person["role"] is None:
                values.pop("school_id")
            await conn.execute(
                insert(User).values(lang="ko", flow_data={}, name=NAMES[person["id"]], **values)
            )
        await conn.execute(
            insert(User).values(
                id=TEACHER, role="teacher", name="박선생", school_id=school, lang="ko"
            )
        )
        said = {}
        for student in (HANEUL, BADA):
            booking = await add_booking(
                conn, past, student, student_name=NAMES[student], attendance="attended"
            )
            await conn.execute(
                insert(SurveyAnswer).values(
                    booking_id=booking,
                    score=5,
                    comment=f"{NAMES[student]}: 별이 좋았어요",
                    answered_at=at(AUTUMN + timedelta(days=1)),
                )
            )
            said[student] = booking
        await add_booking(
            conn, past, None, booked_by=TEACHER, school_id=school, student_name=UNNAMED,
            reason=f"{UNNAMED} 결석 예정",
        )  # fmt: skip
        await a_closed_case(conn, said[BADA], past, site, school)
        await conn.execute(
            insert(MentorRequest).values(
                requester_id=HANEUL, school_id=school, mode="online", field="천문",
                question=f"{NAMES[HANEUL]}예요. 천문학자가 되려면요?", status="closed",
                created_at=at(AUTUMN), closed_at=at(AUTUMN + timedelta(days=3)),
            )
        )  # fmt: skip
        await consents(conn)
        await conn.execute(
            insert(AuditEntry).values(at=at(date(2025, 1, 5)), action="old.entry", detail={})
        )
    return {"past": past}


async def a_closed_case(conn, booking: int, session: int, site: int, school: int) -> None:
    """Bada asked about her seat; the teacher answered naming her; closed in November."""
    case_id = await conn.scalar(
        insert(Case)
        .values(
            booking_id=booking, session_id=session, site_id=site, school_id=school,
            student_id=BADA, kind="schedule", status="closed", opened_by=BADA,
            opened_role="student", opened_at=at(AUTUMN), closed_at=at(date(2026, 11, 2)),
            outcome="resolved",
        )
        .returning(Case.id)
    )  # fmt: skip
    for user_id, role in ((BADA, "student"), (TEACHER, "teacher")):
        await conn.execute(insert(CaseParty).values(case_id=case_id, user_id=user_id, role=role))
    lines = [
        (BADA, "student", NAMES[BADA], "message", "자리를 옮길 수 있나요?"),
        (TEACHER, "teacher", "박선생", "message", f"{NAMES[BADA]} 학생, 옮겨 드렸어요"),
        (BADA, "student", NAMES[BADA], "event", "opened"),
    ]
    for sender, role, name, kind, text in lines:
        await conn.execute(
            insert(CaseMessage).values(
                case_id=case_id, at=at(AUTUMN), sender_id=sender, sender_role=role,
                sender_name=name, kind=kind, text=text,
            )
        )  # fmt: skip


async def consents(conn) -> None:
    """Byeol consented for Bada with her own number; Haneul's guardian declined."""
    base = dict(created_at=at(AUTUMN), expires_at=at(AUTUMN + timedelta(days=7)))
    await conn.execute(
        insert(ConsentRequest).values(
            token="c-bada", student_id=BADA, status="given", guardian_phone=PHONES[0],
            relationship="parent", method="contact", answered_by=BYEOL,
            answered_at=at(AUTUMN), **base,
        )
    )  # fmt: skip
    await conn.execute(
        insert(ConsentRequest).values(
            token="c-haneul", student_id=HANEUL, status="declined", guardian_phone=PHONES[1],
            answered_at=at(AUTUMN), **base,
        )
    )  # fmt: skip


async def where_seeded(db) -> list[str]:
    """Every table and column (text, and JSON read as text) still holding a seeded name or
    number."""
    found = []
    async with db.read() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String | Text):
                    text = column
                elif isinstance(column.type, JSON):
                    text = cast(column, Text)
                else:
                    continue
                hit = or_(*(text.contains(word) for word in SEEDED))
                if await conn.scalar(select(func.count()).select_from(table).where(hit)):
                    found.append(f"{table.name}.{column.name}")
    return found


async def sweep_on(db, day: date) -> retention.Swept:
    return await retention.sweep(db, now=at(day, 3), tz=KST, limits=LIMITS)


async def here(db) -> set[int]:
    async with db.read() as conn:
        return set((await conn.scalars(select(User.id))).all())


async def figures(db) -> tuple:
    async with db.read() as conn:
        found = await stats.figures(conn)
    return found.by_status, found.attended, found.answers, found.average


async def test_the_sweep_forgets_each_thing_when_its_time_comes_and_the_figures_stay(db):
    await seed(db)
    before = await figures(db)

    # December: only the guest quiet for over a year and a month is forgotten.
    swept = await sweep_on(db, date(2026, 12, 2))
    assert swept.done["people"] == 1
    assert await here(db) == {HANEUL, BADA, BYEOL, TEACHER}

    # A month after Haneul left: she is forgotten; the school year 2026's comments, the
    # unnamed student's name and the declined request with its number go.
    swept = await sweep_on(db, date(2027, 3, 31))
    assert await here(db) == {BADA, BYEOL, TEACHER}
    assert swept.done["survey_comments"] == 1  # Bada's (Haneul's went with her)
    assert swept.done["booking_words"] == 1
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(ConsentRequest)) == 1

    # A year after the case closed: its words go, the thread stays.
    await sweep_on(db, date(2027, 11, 3))
    async with db.read() as conn:
        lines = (await conn.execute(select(CaseMessage.kind, CaseMessage.text))).all()
    assert sorted(lines, key=str) == sorted(
        [("message", None), ("message", None), ("event", "opened")], key=str
    )

    # Bada leaves in 2029; her guardian holds her consent until she is forgotten, and then
    # is forgotten too, having said nothing for over a year.
    await sweep_on(db, date(2029, 3, 31))
    assert BADA not in await here(db)
    await sweep_on(db, date(2029, 4, 1))
    assert await here(db) == {TEACHER}

    assert await where_seeded(db) == []
    assert await figures(db) == before
    async with db.read() as conn:
        old = select(func.count()).where(AuditEntry.action == "old.entry")
        assert await conn.scalar(old) == 0
        kept = await conn.scalar(select(func.count()).where(AuditEntry.action == "retention.swept"))
    assert kept > 0  # each batch said what rule it swept and how much, never who


async def test_someone_with_a_seat_to_come_is_kept_until_it_is_over(db):
    ids = await seed(db)
    async with db.write() as conn:
        program = await conn.scalar(select(func.min(Case.site_id)))  # any site will do
        later = await add_session(
            conn,
            await add_program(conn, program, "달 관찰", external_key="하늘|달"),
            at(date(2027, 4, 20)),
            capacity=5,
        )
        await add_booking(conn, later, HANEUL, student_name=NAMES[HANEUL])
    assert ids["past"]
    await sweep_on(db, date(2027, 3, 31))
    assert HANEUL in await here(db)
    await sweep_on(db, date(2027, 4, 21))
    assert HANEUL not in await here(db)


async def test_a_sweep_holds_the_writer_a_batch_at_a_time(db):
    """Many rows to do: several transactions, each a batch, and a second sweep finds nothing
    (a cut-off or doubled sweep does no harm)."""
    await seed(db)
    async with db.write() as conn:
        await conn.execute(
            insert(AuditEntry),
            [{"at": at(date(2024, 1, 1)), "action": "old.entry", "detail": {}}] * 1200,
        )
    swept = await sweep_on(db, date(2026, 12, 2))
    assert swept.done["audit_entries"] == 1200  # the seeded 2025 entry is not two years old
    # One transaction a rule, but the audit log's: 500, 500 and 200 entries.
    assert swept.transactions == len(retention.RULES) + 2
    again = await sweep_on(db, date(2026, 12, 2))
    assert sum(again.done.values()) == 0


async def test_a_forgotten_mentors_profile_names_nobody_and_is_offered_nothing(db):
    async with db.write() as conn:
        mentor_id = await conn.scalar(
            insert(Mentor)
            .values(kind="professional", name="가별빛", field="천문", bio="가별빛의 소개")
            .returning(Mentor.id)
        )
        await conn.execute(
            insert(User).values(id=8201, role="mentor", name="가별빛", mentor_id=mentor_id)
        )
        await erasure.forget(conn, [8201])
    async with db.read() as conn:
        profile = (await conn.execute(select(Mentor.__table__))).one()
    assert (profile.name, profile.bio, profile.paused) == ("", None, True)
