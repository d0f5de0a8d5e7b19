"""Storage of users, invites and consent, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from storage import consent, invites
from storage import users as users_store
from storage.errors import AlreadyHandled, AlreadyRegistered, InviteInvalid, NotFound
from storage.models import AuditEntry, Invite, Role, School, User, utcnow


async def add_school(db, name="정발중학교", district="일산동구") -> int:
    async with db.write() as conn:
        result = await conn.execute(
            insert(School.__table__).values(name=name, district=district, kind="middle")
        )
        return result.inserted_primary_key[0]


async def add_user(db, user_id: int, **values):
    async with db.write() as conn:
        await users_store.load_or_create(conn, user_id, "ko", now=utcnow())
        if values:
            return await users_store.change(conn, user_id, **values)
        return await users_store.get(conn, user_id)


async def test_school_search_matches_part_of_the_name_without_spaces(db):
    await add_school(db, "정발중학교")
    await add_school(db, "백석중학교")
    await add_school(db, "고양자유대안학교", "덕양구")
    async with db.read() as conn:
        assert [s.name for s in await users_store.find_schools(conn, "정발")] == ["정발중학교"]
        assert [s.name for s in await users_store.find_schools(conn, "백석 중")] == ["백석중학교"]
        assert len(await users_store.find_schools(conn, "중학교")) == 2
        assert await users_store.find_schools(conn, "%") == []
        assert await users_store.find_schools(conn, "_") == []


async def test_invite_gives_role_and_counts_uses(db):
    school_id = await add_school(db)
    async with db.write() as conn:
        invite = await invites.create(
            conn,
            role=Role.TEACHER,
            created_by=1,
            school_id=school_id,
            max_uses=2,
            now=utcnow(),
        )
    teachers = [await add_user(db, uid) for uid in (10, 11, 12)]
    for teacher in teachers[:2]:
        async with db.write() as conn:
            await invites.accept(conn, invite.code, teacher, now=utcnow())
    with pytest.raises(InviteInvalid) as refused:
        async with db.write() as conn:
            await invites.accept(conn, invite.code, teachers[2], now=utcnow())
    assert refused.value.reason == "used_up"
    async with db.read() as conn:
        joined = await users_store.get(conn, 10)
        third = await users_store.get(conn, 12)
        actions = (await conn.execute(select(AuditEntry.__table__.c.action))).scalars().all()
    assert (joined.role, joined.school_id) == ("teacher", school_id)
    assert third.role is None
    assert actions.count("invite.accept") == 2 and "invite.create" in actions


async def test_invite_unknown_expired_and_already_registered(db):
    async with db.write() as conn:
        invite = await invites.create(conn, role=Role.MONITOR, created_by=1, now=utcnow())
        await conn.execute(update(Invite.__table__).values(expires_at=utcnow() - timedelta(1)))
    stranger = await add_user(db, 20)
    for code, reason in (("inope", "unknown"), (invite.code, "expired")):
        with pytest.raises(InviteInvalid) as refused:
            async with db.write() as conn:
                await invites.accept(conn, code, stranger, now=utcnow())
        assert refused.value.reason == reason
    student = await add_user(db, 21, role=Role.STUDENT)
    with pytest.raises(AlreadyRegistered):
        async with db.write() as conn:
            await invites.accept(conn, invite.code, student, now=utcnow())


async def test_last_invite_place_goes_to_exactly_one_of_many(db):
    async with db.write() as conn:
        invite = await invites.create(
            conn, role=Role.MONITOR, created_by=1, max_uses=3, now=utcnow()
        )
    people = [await add_user(db, 100 + n) for n in range(12)]

    async def try_join(person):
        try:
            async with db.write() as conn:
                await invites.accept(conn, invite.code, person, now=utcnow())
            return True
        except InviteInvalid:
            return False

    results = await asyncio.gather(*(try_join(p) for p in people))
    async with db.read() as conn:
        monitors = (
            await conn.execute(
                select(func.count())
                .select_from(User.__table__)
                .where(User.__table__.c.role == "monitor")
            )
        ).scalar_one()
        uses = (await conn.execute(select(Invite.__table__.c.uses))).scalar_one()
    assert sum(results) == 3 == monitors == uses


async def student(db, user_id, school_id, *, grade=1, under14=True):
    return await add_user(
        db,
        user_id,
        role=Role.STUDENT,
        school_id=school_id,
        grade=grade,
        name=f"학생{user_id}",
        under14=under14,
    )


PHONE = "+821023456789"


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("010-2345-6789", PHONE),
        ("01023456789", PHONE),
        ("０１０ ２３４５ ６７８９", PHONE),  # full-width digits, as some keyboards type them
        ("+82 10 2345 6789", PHONE),
        ("02-123-4567", None),  # a landline: no Telegram account answers for it
        ("010-234-567", None),
        ("+82 010-2345-6789", PHONE),  # the national 0 kept after the country code
        ("(010) 2345.6789", PHONE),
        # A digit short or one too many is refused, never re-split into another number
        # ("010-2345-678" once became "010-234-5678", a real-looking number of someone else).
        ("010-2345-678", None),
        ("0102345678", None),
        ("010-2345-67890", None),
        ("011-234-5678", None),  # the old 01X numbers all moved to 010
        ("+1 202 555 0143", None),  # not a Korean mobile number
        ("+82 2 123 4567", None),
        ("010-2345-6789 엄마", None),
        ("공일공", None),
        ("", None),
        ("1" * 500, None),
    ],
)
def test_a_typed_mobile_number(typed, number):
    assert consent.mobile_number(typed) == number


def test_a_shared_number_comes_without_its_plus():
    assert consent.mobile_number("821023456789", shared=True) == PHONE
    assert consent.shown_number(PHONE) == "010-2345-6789"


async def test_guardian_consent_with_the_number_the_student_gave(db):
    school_id = await add_school(db)
    minji = await student(db, 30, school_id)
    assert consent.needs_consent(minji)
    async with db.write() as conn:
        old = await consent.ask(conn, minji, "+821011112222", now=utcnow())
        token = await consent.ask(conn, minji, PHONE, now=utcnow())  # the first is replaced
        assert (await consent.pending(conn, minji.id, now=utcnow())).token == token
    for guardian_id, phone, refused in (
        (minji.id, PHONE, consent.SelfConsent),
        (31, "+821099998888", consent.WrongPhone),
        (31, None, consent.WrongPhone),  # a contact card, not their own
    ):
        with pytest.raises(refused):
            async with db.write() as conn:
                await consent.give(
                    conn,
                    token,
                    None,
                    guardian_id,
                    relationship="parent",
                    shared_phone=phone,
                    now=utcnow(),
                )
    with pytest.raises(NotFound):  # replaced
        async with db.write() as conn:
            await consent.give(
                conn, old, None, 31, relationship="parent", shared_phone=PHONE, now=utcnow()
            )
    async with db.write() as conn:
        after = await consent.give(
            conn, token, None, 31, relationship="guardian", shared_phone=PHONE, now=utcnow()
        )
        assert [c.id for c in await consent.children_of(conn, 31)] == [minji.id]
    assert after.consent_method == "guardian" and not consent.needs_consent(after)
    with pytest.raises(NotFound):  # once
        async with db.write() as conn:
            await consent.give(
                conn, token, None, 31, relationship="parent", shared_phone=PHONE, now=utcnow()
            )


async def test_an_account_with_a_role_never_consents(db):
    school_id = await add_school(db)
    minji = await student(db, 32, school_id)
    classmate = await student(db, 33, school_id, under14=False)
    async with db.write() as conn:
        token = await consent.ask(conn, minji, PHONE, now=utcnow())
    with pytest.raises(consent.NotAGuardian):
        async with db.write() as conn:
            await consent.give(
                conn,
                token,
                classmate,
                classmate.id,
                relationship="parent",
                shared_phone=PHONE,
                now=utcnow(),
            )


async def test_declined_and_withdrawn_consent_leave_the_student_waiting(db):
    school_id = await add_school(db)
    minji = await student(db, 40, school_id)
    async with db.write() as conn:
        token = await consent.ask(conn, minji, PHONE, now=utcnow())
        for wrong in (None, "+821099998888"):  # a no is checked as a yes is: nothing written
            with pytest.raises(consent.WrongPhone):
                await consent.decline(conn, token, None, 41, shared_phone=wrong, now=utcnow())
        assert (await consent.pending(conn, minji.id, now=utcnow())).token == token
        after = await consent.decline(conn, token, None, 41, shared_phone=PHONE, now=utcnow())
        assert consent.needs_consent(after)
        token = await consent.ask(conn, after, PHONE, now=utcnow())
        await consent.give(
            conn, token, None, 41, relationship="parent", shared_phone=PHONE, now=utcnow()
        )
        with pytest.raises(NotFound):  # only the guardian who consented withdraws
            await consent.withdraw(conn, 42, minji.id, now=utcnow(), offer=timedelta(hours=1))
        taken = await consent.withdraw(conn, 41, minji.id, now=utcnow(), offer=timedelta(hours=1))
        assert consent.needs_consent(taken.student) and taken.withdrawn == []
        assert taken.kept == 0
        assert await consent.children_of(conn, 41) == []
        actions = (await conn.execute(select(AuditEntry.action))).scalars().all()
    assert {"consent.asked", "consent.declined", "consent.given", "consent.withdrawn"} <= set(
        actions
    )


async def test_paper_consent_only_for_the_teachers_own_school_and_grades(db):
    mine, other = await add_school(db), await add_school(db, "백석중학교")
    teacher = await add_user(db, 50, role=Role.TEACHER, school_id=mine, grades="1")
    first_grader = await student(db, 51, mine, grade=1)
    third_grader = await student(db, 52, mine, grade=3)
    elsewhere = await student(db, 53, other, grade=1)
    async with db.read() as conn:
        shown, total = await consent.states(conn, teacher, now=utcnow())
    assert [(s.id, s.state) for s in shown] == [(first_grader.id, "none")] and total == 1
    for outsider in (third_grader, elsewhere):
        with pytest.raises(NotFound):
            async with db.write() as conn:
                await consent.record_paper(conn, teacher, outsider.id, now=utcnow())
    async with db.write() as conn:
        recorded = await consent.record_paper(conn, teacher, first_grader.id, now=utcnow())
        shown, _ = await consent.states(conn, teacher, now=utcnow())
    assert recorded.consent_method == "paper"
    assert [(s.state, s.method) for s in shown] == [("given", "paper")]
    with pytest.raises(AlreadyHandled):
        async with db.write() as conn:
            await consent.record_paper(conn, teacher, first_grader.id, now=utcnow())


async def test_a_failed_transaction_writes_nothing(db):
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await users_store.load_or_create(conn, 60, "ko", now=utcnow())
            raise RuntimeError("handler crashed halfway")
    async with db.read() as conn:
        assert await users_store.get(conn, 60) is None


def test_a_mobile_number_with_a_digit_too_few_or_many_says_how_many():
    assert [
        consent.miscounted(typed)
        for typed in ("010-2345-678", "010-2345-67890", "+82 10 2345 678", "010-2345-6789")
    ] == [10, 12, 10, 0]
    assert consent.miscounted("02-123-4567") == consent.miscounted("엄마") == 0
