"""The storage side of broadcasts, on SQLite and PostgreSQL: who an audience reaches, the role
limits (a teacher never reaches another school, a site only its booked students), inactive
users left out, confirm writing exactly one delivery per recipient (and nothing before it),
pause, resume, cancel, the figures and the end of a broadcast; and the draft's buttons
bounded by the same lists."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from handlers.broadcasts import buttons
from handlers.broadcasts.pickers import CHOICES
from storage import broadcasts as store
from storage import reminders
from storage.broadcasts import Audience
from storage.errors import AlreadyHandled, NotAllowed, NotFound
from storage.models import Broadcast, Reminder, User
from tests.world_helpers import add_booking, add_program, add_school, add_session, add_site

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 12:00 in Seoul
NIGHT = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 22:00 in Seoul: students' quiet hours
MORNING = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 08:00 the next day in Seoul

STAFF, TEACHER_A, TEACHER_B, SITE_1, SITE_2, MENTOR, MONITOR, GUEST = range(1, 9)
A1, A2, A3, B1, B2 = 101, 102, 103, 201, 202  # students: school, then number


async def world(db) -> dict:
    """Two schools in two districts, two sites of two kinds with a programme each, students
    (one inactive), teachers, site people, a mentor, a monitor, someone who never joined, and
    bookings: A1 confirmed and B1 requested at site 1, B2 confirmed at site 2; A2 only
    cancelled at site 1 and waiting at site 2."""
    ids = {}
    async with db.write() as conn:
        for key, name, district in (("A", "가람중학교", "덕양구"), ("B", "나래중학교", "일산서구")):
            ids[key] = await add_school(conn, name, district=district)
        for key, kind, district in (("S1", "public", "덕양구"), ("S2", "company", "일산동구")):
            ids[key] = await add_site(conn, f"체험처{key}", kind=kind, district=district)
            ids[f"P{key[1]}"] = await add_program(
                conn,
                ids[key],
                f"{key} 체험",
                external_key=f"{key}|체험",
                district=district,
                capacity=10,
            )
        for key, program in (("S1a", "P1"), ("S1b", "P1"), ("S2a", "P2")):
            ids[key] = await add_session(conn, ids[program], NOW + timedelta(days=3), capacity=10)
        people = [
            dict(id=STAFF, role="staff"),
            dict(id=TEACHER_A, role="teacher", school_id=ids["A"], grades=""),
            dict(id=TEACHER_B, role="teacher", school_id=ids["B"], grades="2"),
            dict(id=SITE_1, role="site", site_id=ids["S1"]),
            dict(id=SITE_2, role="site", site_id=ids["S2"]),
            dict(id=MENTOR, role="mentor"),
            dict(id=MONITOR, role="monitor"),
            dict(id=GUEST, role=None),
            dict(id=A1, role="student", school_id=ids["A"], grade=1),
            dict(id=A2, role="student", school_id=ids["A"], grade=2),
            dict(id=A3, role="student", school_id=ids["A"], grade=3, active=False),
            dict(id=B1, role="student", school_id=ids["B"], grade=2),
            dict(id=B2, role="student", school_id=ids["B"], grade=3),
        ]
        for person in people:
            await conn.execute(insert(User).values(**{"lang": "ko", "active": True, **person}))
        for student, session, status in (
            (A1, "S1a", "confirmed"),
            (B1, "S1b", "requested"),
            (B2, "S2a", "confirmed"),
            (A2, "S1a", "cancelled"),
            (A2, "S2a", "waitlisted"),
            (A3, "S1a", "confirmed"),  # inactive: left out all the same
        ):
            await add_booking(conn, ids[session], student, status)  # of the student's school
    return ids


async def person(db, user_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(User.__table__).where(User.id == user_id))).one()


async def reached(db, author_id: int, **chosen) -> set[int]:
    """Whom the author reaches with the audience: the ids confirm would write."""
    author = await person(db, author_id)
    async with db.read() as conn:
        found = await conn.execute(store._recipients(author, Audience.from_json(chosen)))
        ids = {row.id for row in found.all()}
        counted = await store.count(conn, author, Audience.from_json(chosen))
    assert counted.total == len(ids)
    return ids


async def new_draft(db, author_id: int, *, text: str = "<b>공지</b>", **values) -> int:
    author = await person(db, author_id)
    async with db.write() as conn:
        broadcast_id = await store.start_draft(
            conn, author, text=text, media_kind=None, media_file_id=None, now=NOW
        )
        if values:
            await store.update_draft(conn, broadcast_id, author, **values)
    return broadcast_id


async def confirm(db, broadcast_id: int, author_id: int, now: datetime = NOW):
    author = await person(db, author_id)
    async with db.write() as conn:
        return await store.confirm(conn, broadcast_id, author, now=now)


async def deliveries(db, broadcast_id: int) -> list:
    async with db.read() as conn:
        found = await conn.execute(
            select(Reminder.__table__)
            .where(Reminder.broadcast_id == broadcast_id)
            .order_by(Reminder.user_id)
        )
        return list(found.all())


async def outbox_size(db) -> int:
    async with db.read() as conn:
        return await conn.scalar(select(func.count()).select_from(Reminder))


async def figures(db, broadcast_id: int, now: datetime = NOW) -> store.Figures:
    async with db.read() as conn:
        return (await store.figures(conn, [broadcast_id], now=now))[broadcast_id]


# ----- who an audience reaches ----------------------------------------------------------------


async def test_each_filter_reaches_whom_it_says(db):
    ids = await world(db)
    assert await reached(db, STAFF, roles=["student"]) == {A1, A2, B1, B2}
    assert await reached(db, STAFF, roles=["teacher", "site"]) == {
        TEACHER_A,
        TEACHER_B,
        SITE_1,
        SITE_2,
    }
    assert await reached(db, STAFF, schools=[ids["A"]]) == {A1, A2, TEACHER_A}
    # A district: students and teachers by their school's district, site people by their site's.
    assert await reached(db, STAFF, districts=["덕양구"]) == {A1, A2, TEACHER_A, SITE_1}
    assert await reached(db, STAFF, districts=["일산동구"]) == {SITE_2}
    # A grade: its students and the teachers who cover it (no grades picked: every grade).
    assert await reached(db, STAFF, grades=[2]) == {A2, B1, TEACHER_A, TEACHER_B}
    assert await reached(db, STAFF, grades=[3]) == {B2, TEACHER_A}
    assert await reached(db, STAFF, site_kinds=["company"]) == {SITE_2}
    # Participants: requested or confirmed, never cancelled or waiting.
    assert await reached(db, STAFF, program=ids["P1"]) == {A1, B1}
    assert await reached(db, STAFF, program=ids["P2"]) == {B2}
    assert await reached(db, STAFF, session=ids["S1a"]) == {A1}
    # Filters combine: students of grade 3 in 일산서구.
    combined = dict(roles=["student"], districts=["일산서구"], grades=[3])
    assert await reached(db, STAFF, **combined) == {B2}


async def test_everyone_means_every_active_member_and_nothing_chosen_means_nobody(db):
    await world(db)
    everyone = {STAFF, TEACHER_A, TEACHER_B, SITE_1, SITE_2, MENTOR, MONITOR, A1, A2, B1, B2}
    assert await reached(db, STAFF, everyone=True) == everyone  # not GUEST, not inactive A3
    assert await reached(db, STAFF) == set()
    # Unknown values (a forged or old audience) are dropped, not trusted.
    assert await reached(db, STAFF, roles=["admin"], grades=[7, True], site_kinds=["x"]) == set()


async def test_inactive_users_are_never_counted(db):
    ids = await world(db)
    assert A3 not in await reached(db, STAFF, schools=[ids["A"]])
    async with db.write() as conn:
        await conn.execute(update(User).where(User.id == A1).values(active=False))
    assert await reached(db, STAFF, schools=[ids["A"]]) == {A2, TEACHER_A}


async def test_a_teacher_reaches_only_students_of_their_own_school(db):
    ids = await world(db)
    own = {A1, A2}
    for chosen in (
        {},
        {"everyone": True},
        {"schools": [ids["B"]]},
        {"roles": ["teacher", "staff"]},
        {"districts": ["일산서구"]},
        {"program": ids["P2"]},
        {"site_kinds": ["company"]},
    ):
        assert await reached(db, TEACHER_A, **chosen) == own, chosen
    assert await reached(db, TEACHER_A, grades=[2]) == {A2}
    assert await reached(db, TEACHER_B, grades=[2, 3]) == {B1, B2}
    # Confirmed with another school in its stored audience, it still writes only their own.
    broadcast_id = await new_draft(db, TEACHER_A, audience={"schools": [ids["B"]]})
    await confirm(db, broadcast_id, TEACHER_A)
    assert {row.user_id for row in await deliveries(db, broadcast_id)} == own


async def test_a_site_reaches_only_students_booked_on_its_sessions(db):
    ids = await world(db)
    assert await reached(db, SITE_1) == {A1, B1}
    assert await reached(db, SITE_1, everyone=True, roles=["teacher"]) == {A1, B1}
    assert await reached(db, SITE_1, session=ids["S1a"]) == {A1}
    assert await reached(db, SITE_1, program=ids["P1"]) == {A1, B1}
    assert await reached(db, SITE_2) == {B2}
    # Another site's programme or session reaches nobody, and cannot even be chosen.
    assert await reached(db, SITE_1, program=ids["P2"]) == set()
    assert await reached(db, SITE_1, session=ids["S2a"]) == set()
    broadcast_id = await new_draft(db, SITE_1)
    site = await person(db, SITE_1)
    for chosen in ({"program": ids["P2"]}, {"session": ids["S2a"]}, {"session": 999_999}):
        with pytest.raises(NotAllowed):
            async with db.write() as conn:
                await store.update_draft(conn, broadcast_id, site, audience=chosen)


async def test_only_staff_teachers_and_sites_broadcast_and_only_staff_urgently(db):
    await world(db)
    for user_id in (A1, MENTOR, MONITOR, GUEST):
        user = await person(db, user_id)
        with pytest.raises(NotAllowed):
            async with db.write() as conn:
                await store.start_draft(
                    conn, user, text="x", media_kind=None, media_file_id=None, now=NOW
                )
        with pytest.raises(NotAllowed):
            async with db.read() as conn:
                await store.count(conn, user, Audience(everyone=True))
    broadcast_id = await new_draft(db, TEACHER_A)
    with pytest.raises(NotAllowed):
        async with db.write() as conn:
            await store.update_draft(conn, broadcast_id, await person(db, TEACHER_A), urgent=True)
    staff_draft = await new_draft(db, STAFF, urgent=True)
    async with db.read() as conn:
        assert (await store.draft(conn, staff_draft, await person(db, STAFF))).urgent is True


# ----- confirm --------------------------------------------------------------------------------


async def test_nothing_is_in_the_outbox_before_confirm_then_one_delivery_each(db):
    ids = await world(db)
    broadcast_id = await new_draft(db, STAFF, audience={"schools": [ids["A"], ids["B"]]})
    async with db.write() as conn:
        await store.update_draft(conn, broadcast_id, await person(db, STAFF), urgent=True)
    assert await outbox_size(db) == 0
    row = await confirm(db, broadcast_id, STAFF)
    assert (row.status, row.total, row.confirmed_at) == ("sending", 6, NOW)
    rows = await deliveries(db, broadcast_id)
    assert [r.user_id for r in rows] == [TEACHER_A, TEACHER_B, A1, A2, B1, B2]
    assert all(r.key == f"broadcast:{broadcast_id}:{r.user_id}" for r in rows)
    assert all((r.kind, r.status, r.due_at) == ("broadcast", "pending", NOW) for r in rows)
    # Pressed twice, or its deliveries written again: still one each.
    with pytest.raises(AlreadyHandled):
        await confirm(db, broadcast_id, STAFF)
    async with db.write() as conn:
        found = (await conn.execute(select(Broadcast.__table__))).one()
        await store._write_deliveries(
            conn, found, await person(db, STAFF), now=NOW, tz=reminders.CITY_TZ
        )
    assert len(await deliveries(db, broadcast_id)) == 6
    # Another user's draft, or none at all.
    other = await new_draft(db, TEACHER_A)
    with pytest.raises(NotFound):
        await confirm(db, other, TEACHER_B)
    with pytest.raises(NotFound):
        await confirm(db, 999_999, STAFF)


async def test_two_confirms_at_once_write_one_copy_each(db):
    ids = await world(db)
    broadcast_id = await new_draft(db, STAFF, audience={"program": ids["P1"]})
    outcomes = await asyncio.gather(
        confirm(db, broadcast_id, STAFF), confirm(db, broadcast_id, STAFF), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyHandled", "Row"]
    assert [r.user_id for r in await deliveries(db, broadcast_id)] == [A1, B1]


async def test_students_wait_for_the_morning_unless_it_is_urgent(db):
    ids = await world(db)
    calm = await new_draft(db, STAFF, audience={"schools": [ids["A"]]})
    await confirm(db, calm, STAFF, now=NIGHT)
    due = {r.user_id: r.due_at for r in await deliveries(db, calm)}
    assert due == {TEACHER_A: NIGHT, A1: MORNING, A2: MORNING}
    urgent = await new_draft(db, STAFF, audience={"schools": [ids["A"]]}, urgent=True)
    await confirm(db, urgent, STAFF, now=NIGHT)
    assert {r.due_at for r in await deliveries(db, urgent)} == {NIGHT}


async def test_nobody_or_a_moment_gone_by_writes_nothing(db):
    await world(db)
    empty = await new_draft(db, STAFF, audience={"roles": ["student"], "site_kinds": ["public"]})
    with pytest.raises(store.Refused) as refused:
        await confirm(db, empty, STAFF)
    assert refused.value.reason == "nobody"
    late = await new_draft(
        db, STAFF, audience={"everyone": True}, scheduled_at=NOW - timedelta(minutes=1)
    )
    with pytest.raises(store.Refused) as refused:
        await confirm(db, late, STAFF)
    assert refused.value.reason == "past"
    assert await outbox_size(db) == 0
    async with db.read() as conn:
        statuses = set((await conn.execute(select(Broadcast.status))).scalars())
    assert statuses == {"draft"}


async def test_a_scheduled_broadcast_is_due_at_its_moment_and_starts_then(db):
    ids = await world(db)
    at = NOW + timedelta(hours=2)
    broadcast_id = await new_draft(db, STAFF, audience={"program": ids["P1"]}, scheduled_at=at)
    row = await confirm(db, broadcast_id, STAFF)
    assert row.status == "scheduled"
    assert {r.due_at for r in await deliveries(db, broadcast_id)} == {at}
    async with db.write() as conn:
        assert await store.start_due(conn, now=NOW + timedelta(hours=1)) == []
        assert await store.start_due(conn, now=at) == [broadcast_id]
        assert await reminders.claim_due(conn, now=NOW) == []


async def test_a_new_draft_replaces_an_abandoned_one(db):
    await world(db)
    first = await new_draft(db, STAFF)
    second = await new_draft(db, STAFF)
    author = await person(db, STAFF)
    async with db.read() as conn:
        assert await store.draft(conn, first, author) is None
        assert await store.draft(conn, second, author) is not None


# ----- steering -------------------------------------------------------------------------------


async def test_pause_holds_resume_releases_cancel_skips(db):
    await world(db)
    broadcast_id = await new_draft(db, STAFF, audience={"everyone": True})
    await confirm(db, broadcast_id, STAFF)
    staff = await person(db, STAFF)
    async with db.write() as conn:
        claimed = await reminders.claim_due(conn, now=NOW, limit=2)  # two in flight
        paused = await store.pause(conn, broadcast_id, staff, now=NOW)
    assert paused.status == "paused"
    found = await figures(db, broadcast_id)
    assert (found.held, found.in_flight, found.pending) == (9, 2, 0)
    async with db.write() as conn:
        assert await reminders.claim_due(conn, now=NOW + timedelta(minutes=1)) == []
        with pytest.raises(AlreadyHandled):
            await store.pause(conn, broadcast_id, staff, now=NOW)
    async with db.write() as conn:
        resumed = await store.resume(conn, broadcast_id, staff, now=NOW)
    assert resumed.status == "sending"
    assert (await figures(db, broadcast_id)).pending == 9
    async with db.write() as conn:
        await reminders.mark(conn, claimed[0].id, "sent", now=NOW)
        assert await store.cancel(conn, broadcast_id, staff, now=NOW) == 9
        with pytest.raises(AlreadyHandled):
            await store.resume(conn, broadcast_id, staff, now=NOW)
    found = await figures(db, broadcast_id)
    assert (found.delivered, found.cancelled, found.in_flight, found.waiting) == (1, 9, 1, 1)
    assert {r.last_error for r in await deliveries(db, broadcast_id) if r.status == "skipped"} == {
        "cancelled"
    }


async def test_only_the_author_or_staff_steer_a_broadcast(db):
    await world(db)
    broadcast_id = await new_draft(db, TEACHER_A)
    await confirm(db, broadcast_id, TEACHER_A)
    for other in (TEACHER_B, SITE_1, A1):
        async with db.write() as conn:
            with pytest.raises(NotFound):
                await store.pause(conn, broadcast_id, await person(db, other), now=NOW)
            assert await store.owned(conn, broadcast_id, await person(db, other)) is None
    async with db.write() as conn:
        await store.pause(conn, broadcast_id, await person(db, STAFF), now=NOW)
        await store.resume(conn, broadcast_id, await person(db, TEACHER_A), now=NOW)
        listed, total = await store.listing(conn, await person(db, TEACHER_B), offset=0, limit=5)
    assert (listed, total) == ([], 0)


async def test_a_retry_that_comes_back_while_paused_is_held_again(db):
    await world(db)
    broadcast_id = await new_draft(db, STAFF, audience={"roles": ["student"]})
    await confirm(db, broadcast_id, STAFF)
    async with db.write() as conn:
        claimed = await reminders.claim_due(conn, now=NOW, limit=1)
        await store.pause(conn, broadcast_id, await person(db, STAFF), now=NOW)
        await reminders.retry_later(conn, claimed[0], "TimedOut", now=NOW)
    assert (await figures(db, broadcast_id)).pending == 1
    async with db.write() as conn:
        await store.settle(conn, broadcast_id, now=NOW)
    assert (await figures(db, broadcast_id)).held == 4


# ----- figures and the end --------------------------------------------------------------------


async def test_figures_finish_and_the_undelivered(db):
    ids = await world(db)
    broadcast_id = await new_draft(db, STAFF, audience={"schools": [ids["A"], ids["B"]]})
    await confirm(db, broadcast_id, STAFF)
    outcome = {
        TEACHER_A: ("sent", None),
        TEACHER_B: ("sent", None),
        A1: ("dead", "Forbidden"),
        A2: ("dead", "BadRequest"),
    }
    async with db.write() as conn:
        for user_id, (status, error) in outcome.items():
            await conn.execute(
                update(Reminder)
                .where(Reminder.broadcast_id == broadcast_id, Reminder.user_id == user_id)
                .values(status=status, last_error=error, sent_at=NOW)
            )
    found = await figures(db, broadcast_id, now=NOW + timedelta(seconds=10))
    assert (found.total, found.delivered, found.blocked, found.failed) == (6, 2, 1, 1)
    assert (found.reasons, found.pending, found.recent) == ([("BadRequest", 1)], 2, 4)
    left = store.time_left(found, NOW, NOW + timedelta(seconds=10))
    assert left == timedelta(seconds=5)  # 4 in 10 s, 2 to go
    async with db.write() as conn:
        assert not await store.finish_if_done(conn, broadcast_id, now=NOW)
        await conn.execute(
            update(Reminder)
            .where(Reminder.broadcast_id == broadcast_id, Reminder.user_id.in_([B1, B2]))
            .values(status="sent", sent_at=NOW)
        )
        followed = [row.id for row in await store.followed(conn)]
        assert followed == [broadcast_id]
        assert await store.finish_if_done(conn, broadcast_id, now=NOW)
        final = (await store.figures(conn, [broadcast_id], now=NOW))[broadcast_id]
        assert await store.claim_report(conn, broadcast_id, final, now=NOW)
        assert not await store.claim_report(conn, broadcast_id, final, now=NOW)  # once
        assert await store.followed(conn) == []
        undelivered = await store.undelivered(conn, broadcast_id)
        sent = await store.for_delivery(conn, broadcast_id)
    # The figures stay when the deliveries are deleted long after.
    async with db.write() as conn:
        await conn.execute(delete(Reminder).where(Reminder.broadcast_id == broadcast_id))
    assert await figures(db, broadcast_id) == final
    assert [(u.user_id, u.role, u.school, u.status, u.reason) for u in undelivered] == [
        (A1, "student", "가람중학교", "dead", "Forbidden"),
        (A2, "student", "가람중학교", "dead", "BadRequest"),
    ]
    assert (sent.text, sent.status, sent.urgent, sent.media_kind) == (
        "<b>공지</b>",
        "done",
        False,
        None,
    )


def test_the_draft_buttons_carry_exactly_the_audience_lists():
    """A toggle carries a value's place in its list (a grade itself), its field bounded by
    the list: a list grown in storage must grow its button's field, or its last value could
    not be offered; the buttons' authors are storage's."""
    for choices in CHOICES.values():
        field = choices.toggle.fields[-1]
        numbers = [choices.number(place, value) for place, value in enumerate(choices.values)]
        assert (field.low, field.high) == (min(numbers), max(numbers)), choices.key
        assert [choices.value(number) for number in numbers] == list(choices.values)
    assert set(buttons.AUTHORS) == set(store.AUTHORS)
