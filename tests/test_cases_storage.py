"""Cases in storage, on SQLite and PostgreSQL: who may open one and who are its parties, the
round-robin of monitors (paused and inactive ones skipped), who may read and write, private
messages, proposals answered once (a compare-and-swap), closing, the service levels with
explicit moments (a reminder, then staff), two clocks at once acting once, and erasing a
person's words."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from storage import cases
from storage.errors import AlreadyHandled, NotFound
from storage.models import (
    AuditEntry,
    Booking,
    Case,
    CaseMessage,
    CaseParty,
    Monitor,
    Program,
    Reminder,
    School,
    Session,
    Site,
    User,
)

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
        school = await conn.scalar(
            insert(School).values(name="정발중학교", district="일산동구").returning(School.id)
        )
        other_school = await conn.scalar(
            insert(School).values(name="백석중학교", district="일산동구").returning(School.id)
        )
        site = await conn.scalar(
            insert(Site)
            .values(name="바다 체험관", kind="public", district="덕양구", safety_status="passed")
            .returning(Site.id)
        )
        other_site = await conn.scalar(
            insert(Site)
            .values(name="숲 체험관", kind="public", district="덕양구", safety_status="passed")
            .returning(Site.id)
        )
        program = await conn.scalar(
            insert(Program)
            .values(
                external_key="바다|해양 생물",
                site_id=site,
                title="해양 생물 관찰",
                type="field_trip",
                field="환경",
                district="덕양구",
                capacity=20,
            )
            .returning(Program.id)
        )
        later, past = [
            await conn.scalar(
                insert(Session)
                .values(
                    program_id=program,
                    starts_at=start,
                    ends_at=start + 2 * H,
                    capacity=20,
                    booked=3,
                )
                .returning(Session.id)
            )
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
        booking = dict(school_id=school, status="confirmed", created_at=NOW - 24 * H)
        ids["own"] = await conn.scalar(
            insert(Booking)
            .values(session_id=later, student_id=STUDENT, booked_by=STUDENT, **booking)
            .returning(Booking.id)
        )
        ids["past_own"] = await conn.scalar(
            insert(Booking)
            .values(session_id=past, student_id=STUDENT, booked_by=STUDENT, **booking)
            .returning(Booking.id)
        )
        ids["class"] = [
            await conn.scalar(
                insert(Booking)
                .values(session_id=later, student_id=None, booked_by=TEACHER, **booking)
                .returning(Booking.id)
            )
            for _ in range(2)
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


# ----- opening ----------------------------------------------------------------------------------


async def test_who_may_open_a_case(db):
    ids = await world(db)
    for outsider in (TEACHER3, OTHER_TEACHER, OTHER_SITE, M1, STAFF, STUDENT2):
        with pytest.raises(NotFound):
            await open_case(db, ids["own"], outsider)
    with pytest.raises(NotFound):  # a booking that does not exist
        await open_case(db, 999_999, STUDENT)
    with pytest.raises(NotFound):  # the class booking is its teacher's, not grade 3's
        await open_case(db, ids["class"][0], TEACHER3)
    for opener in (STUDENT, TEACHER, SITE):
        opened = await open_case(db, ids["own"], opener)
        assert opened.status == "open"
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(Case)) == 3
        roles = (await conn.execute(select(Case.opened_role).order_by(Case.id))).scalars().all()
    assert roles == ["student", "teacher", "site"]


async def test_parties_are_the_student_their_teachers_and_the_site(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT)
    async with db.read() as conn:
        found = await conn.execute(
            select(CaseParty.user_id, CaseParty.role).where(CaseParty.case_id == opened.case_id)
        )
        parties = dict(found.all())
    assert parties == {STUDENT: "student", TEACHER: "teacher", SITE: "site"}
    # Everyone but the opener hears of it, and so does the mediator; the opener does not.
    told = await outbox(db, "case_opened")
    assert sorted(u for _, u in told) == sorted([TEACHER, SITE, opened.monitor_id])
    # A class booking: its teacher and the site; no student joins in.
    opened = await open_case(db, ids["class"][0], SITE, kind="no_show", text="두 명이 안 왔어요")
    async with db.read() as conn:
        found = await conn.execute(
            select(CaseParty.user_id, CaseParty.role).where(CaseParty.case_id == opened.case_id)
        )
        assert dict(found.all()) == {TEACHER: "teacher", SITE: "site"}


async def test_round_robin_skips_paused_inactive_and_other_districts(db):
    ids = await world(db)
    mediators = [
        (await open_case(db, ids["own"], STUDENT, now=NOW + n * timedelta(minutes=1))).monitor_id
        for n in range(4)
    ]
    assert mediators == [M1, M2, M1, M2]
    async with db.write() as conn:
        await conn.execute(update(Monitor).where(Monitor.user_id.in_([M1, M2])).values(paused=True))
    opened = await open_case(db, ids["own"], STUDENT)
    assert opened.monitor_id is None
    # Staff are asked to assign one, at once.
    assert (await outbox(db, "case_unassigned")) == [("case_unassigned", STAFF)]


async def test_a_safety_concern_goes_to_staff_at_once(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT, kind="safety", text="계단 난간이 흔들려요")
    found = await the_case(db, opened.case_id)
    assert (found.status, found.escalation, found.due_at) == ("escalated", "safety", None)
    assert (await outbox(db, "case_escalated")) == [("case_escalated", STAFF)]


async def test_empty_or_too_long_first_messages_are_refused(db):
    ids = await world(db)
    with pytest.raises(cases.Refused, match="empty"):
        await open_case(db, ids["own"], STUDENT, text="   ")
    with pytest.raises(cases.Refused, match="too_long"):
        await open_case(db, ids["own"], STUDENT, text="가" * (cases.TEXT_MAX + 1))
    opened = await open_case(db, ids["own"], STUDENT, text=None, photo="PHOTO-FILE-ID")
    async with db.read() as conn:
        first = (
            await conn.execute(
                select(CaseMessage.__table__).where(
                    CaseMessage.case_id == opened.case_id, CaseMessage.kind == "message"
                )
            )
        ).one()
    assert (first.photo, first.sender_role, first.sender_name) == (
        "PHOTO-FILE-ID",
        "student",
        "민지",
    )


# ----- reading and writing ---------------------------------------------------------------------


async def test_who_may_read_and_write(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT)
    assert opened.monitor_id == M1
    async with db.write() as conn:  # a teacher of grade 2 who joined after it opened
        await conn.execute(
            insert(User).values(
                id=LATE_TEACHER,
                role="teacher",
                name="문선생",
                school_id=ids["school"],
                grades="1,2",
                flow_data={},
            )
        )
    seen = {}
    for viewer in (STUDENT, TEACHER, SITE, M1, M2, STAFF, LATE_TEACHER, TEACHER3, OTHER_TEACHER):
        async with db.read() as conn:
            try:
                seen[viewer] = (await cases.case_for(conn, opened.case_id, await user(db, viewer)))[
                    1
                ]
            except NotFound:
                seen[viewer] = None
    assert seen == {
        STUDENT: "party",
        TEACHER: "party",
        SITE: "party",
        M1: "mediator",
        M2: None,  # another monitor: as if it did not exist
        STAFF: "staff",
        LATE_TEACHER: "reader",
        TEACHER3: None,
        OTHER_TEACHER: None,
    }
    with pytest.raises(NotFound):
        await post(db, opened.case_id, M2)
    with pytest.raises(cases.Refused, match="read_only"):
        await post(db, opened.case_id, LATE_TEACHER)
    with pytest.raises(NotFound):  # a party cannot write privately or propose
        await post(db, opened.case_id, STUDENT, kind="proposal")
    # Lists: the late teacher sees their student's case, the other monitor nothing.
    async with db.read() as conn:
        for viewer, expected in ((LATE_TEACHER, 1), (M2, 0), (M1, 1), (STAFF, 1), (TEACHER3, 0)):
            _, total = await cases.list_for(conn, await user(db, viewer), offset=0, limit=5)
            assert total == expected, viewer


async def test_messages_are_relayed_and_private_ones_stay_private(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT)
    case_id = opened.case_id
    before = len(await outbox(db))
    await post(db, case_id, STUDENT, "제가 그날 시험이에요")
    relayed = (await outbox(db))[before:]
    assert sorted(u for _, u in relayed) == sorted([TEACHER, SITE, M1])
    found = await the_case(db, case_id)
    assert found.last_party_at is not None and found.mediator_at is None
    # The mediator's first word: from then on it has a mediator, and waits for an answer.
    private = await post(
        db, case_id, M1, "민지 학생, 다른 날로 바꿀까요?", kind="private", to_user_id=STUDENT
    )
    found = await the_case(db, case_id)
    assert found.mediator_at is not None and found.due_what == "answer"
    assert (await outbox(db))[-1] == ("case_message", STUDENT)
    with pytest.raises(cases.Refused, match="not_party"):
        await post(db, case_id, M1, "?", kind="private", to_user_id=M2)

    async def visible(viewer):
        async with db.read() as conn:
            who = await user(db, viewer)
            _, seen = await cases.case_for(conn, case_id, who)
            lines, _ = await cases.thread(conn, case_id, who, seen, skip=0, limit=50)
            return {line.id for line in lines}

    assert private in await visible(STUDENT)
    assert private in await visible(M1) and private in await visible(STAFF)
    assert private not in await visible(TEACHER) and private not in await visible(SITE)


async def test_a_proposal_is_answered_once_and_a_replaced_one_not_at_all(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    first = await post(db, case_id, M1, "다음 주 화요일로 옮기면 어떨까요?", kind="proposal")
    assert sorted(u for _, u in await outbox(db, "case_proposal")) == [STUDENT, TEACHER, SITE]

    async def answer(user_id, proposal, accept=True):
        async with db.write() as conn:
            return await cases.answer(
                conn, case_id, proposal, await user(db, user_id), accept, now=NOW + 2 * H
            )

    tally = await answer(STUDENT, first)
    assert (tally.accepted, tally.parties, tally.everyone) == (1, 3, False)
    with pytest.raises(AlreadyHandled):
        await answer(STUDENT, first, accept=False)
    with pytest.raises(NotFound):  # not a party
        await answer(M2, first)
    second = await post(db, case_id, M1, "수요일은 어떨까요?", kind="proposal")
    with pytest.raises(cases.Refused, match="replaced"):
        await answer(TEACHER, first)
    for party in (STUDENT, TEACHER):
        await answer(party, second)
    tally = await answer(SITE, second)
    assert tally.everyone
    # The proposer heard of each answer.
    assert [u for _, u in await outbox(db, "case_answer")].count(M1) == 4


async def test_two_answers_at_once_count_once(db):
    """The same party pressing accept twice at once (two devices): one answer."""
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    proposal = await post(db, case_id, M1, "제안", kind="proposal")
    student = await user(db, STUDENT)

    async def press():
        try:
            async with db.write() as conn:
                await cases.answer(conn, case_id, proposal, student, True, now=NOW + 2 * H)
            return "ok"
        except AlreadyHandled:
            return "already"

    assert sorted(await asyncio.gather(press(), press())) == ["already", "ok"]
    async with db.read() as conn:
        events = await conn.scalar(
            select(func.count()).where(
                CaseMessage.case_id == case_id, CaseMessage.text == "accepted"
            )
        )
    assert events == 1


async def test_closing_tells_everyone_and_stops_posts(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    proposal = await post(db, case_id, M1, "제안", kind="proposal")
    with pytest.raises(NotFound):  # only the mediator or staff close
        async with db.write() as conn:
            await cases.close(conn, case_id, await user(db, SITE), "resolved", now=NOW + 3 * H)
    async with db.write() as conn:
        await cases.close(
            conn, case_id, await user(db, M1), "resolved", "잘 해결됐어요", now=NOW + 3 * H
        )
    assert sorted(u for _, u in await outbox(db, "case_closed")) == [STUDENT, TEACHER, SITE]
    with pytest.raises(cases.Refused, match="closed"):
        await post(db, case_id, STUDENT, "하나 더요")
    with pytest.raises(cases.Refused, match="closed"):
        async with db.write() as conn:
            await cases.answer(conn, case_id, proposal, await user(db, STUDENT), True, now=NOW)
    with pytest.raises(cases.Refused, match="closed"):
        async with db.write() as conn:
            await cases.close(conn, case_id, await user(db, STAFF), "unresolved", now=NOW + 4 * H)
    found = await the_case(db, case_id)
    assert (found.status, found.outcome, found.closed_by) == ("closed", "resolved", M1)
    async with db.read() as conn:
        actions = (await conn.execute(select(AuditEntry.action, AuditEntry.detail))).all()
    assert ("case.close", {"outcome": "resolved"}) in [tuple(a) for a in actions]
    # Ids only in the audit log, never words or names.
    assert not any("해결" in str(detail) or "민지" in str(detail) for _, detail in actions)


async def test_staff_assign_and_a_monitor_takes_a_case_nobody_mediates(db):
    ids = await world(db)
    async with db.write() as conn:
        await conn.execute(update(Monitor).values(paused=True))
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    async with db.write() as conn:
        await conn.execute(update(Monitor).where(Monitor.user_id == M2).values(paused=False))
    with pytest.raises(NotFound):  # another district's monitor
        async with db.write() as conn:
            await cases.take(conn, case_id, await user(db, M3), now=NOW)
    async with db.write() as conn:
        await cases.take(conn, case_id, await user(db, M2), now=NOW + H)
    with pytest.raises(AlreadyHandled):
        async with db.write() as conn:
            await cases.take(conn, case_id, await user(db, M1), now=NOW + H)
    found = await the_case(db, case_id)
    assert (found.monitor_id, found.due_at) == (M2, NOW + H + cases.MEDIATOR_WAIT)
    with pytest.raises(NotFound):  # only staff assign
        async with db.write() as conn:
            await cases.assign(conn, case_id, await user(db, M2), M3, now=NOW + 2 * H)
    async with db.write() as conn:
        await cases.assign(conn, case_id, await user(db, STAFF), M3, now=NOW + 2 * H)
    assert (await the_case(db, case_id)).monitor_id == M3
    assert [u for _, u in await outbox(db, "case_assigned")] == [M2, M3]
    with pytest.raises(NotFound):  # M2 no longer sees it
        async with db.read() as conn:
            await cases.case_for(conn, case_id, await user(db, M2))


# ----- service levels ---------------------------------------------------------------------------


async def test_a_case_without_its_mediators_word_is_reminded_then_escalated(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    assert await check(db, NOW + 4 * H - timedelta(seconds=1)) == []
    assert await check(db, NOW + 4 * H) == [case_id]
    assert await outbox(db, "case_sla_mediator") == [("case_sla_mediator", M1)]
    found = await the_case(db, case_id)
    assert (found.due_step, found.due_at, found.status) == (1, NOW + 8 * H, "open")
    assert await check(db, NOW + 6 * H) == []
    assert await check(db, NOW + 8 * H) == [case_id]
    found = await the_case(db, case_id)
    assert (found.status, found.escalation, found.due_at) == ("escalated", "no_mediator", None)
    assert await outbox(db, "case_escalated") == [("case_escalated", STAFF)]
    assert await check(db, NOW + 100 * H) == []  # once escalated, the clock leaves it


async def test_with_no_monitor_at_all_it_goes_straight_to_staff(db):
    ids = await world(db)
    async with db.write() as conn:
        await conn.execute(update(Monitor).values(paused=True))
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    assert await check(db, NOW + 4 * H) == [case_id]
    found = await the_case(db, case_id)
    assert (found.status, found.escalation) == ("escalated", "no_mediator")
    assert await outbox(db, "case_sla_mediator") == []


async def test_the_mediators_first_word_stops_the_mediator_clock(db):
    ids = await world(db)
    case_id = (await open_case(db, ids["own"], STUDENT)).case_id
    await post(db, case_id, M1, "안녕하세요, 중재를 맡은 수진입니다", now=NOW + 2 * H)
    assert await check(db, NOW + 5 * H) == []
    assert await outbox(db, "case_sla_mediator") == []


async def test_an_unanswered_mediator_is_reminded_then_escalated_and_an_answer_stops_it(db):
    ids = await world(db)
    quiet = (await open_case(db, ids["own"], STUDENT)).case_id
    talked = (await open_case(db, ids["own"], SITE)).case_id
    for case_id in (quiet, talked):
        await post(db, case_id, STAFF, "어떻게 된 일인지 알려 주세요", now=NOW + H)
    t0 = NOW + H
    assert await check(db, t0 + 48 * H - timedelta(seconds=1)) == []
    assert sorted(await check(db, t0 + 48 * H)) == sorted([quiet, talked])
    reminded = [u for _, u in await outbox(db, "case_sla_answer")]
    # Both cases: the three parties and the mediator (the monitor assigned).
    assert sorted(reminded) == sorted([STUDENT, TEACHER, SITE, M1, STUDENT, TEACHER, SITE, M2])
    await post(db, talked, TEACHER, "제가 확인해 볼게요", now=t0 + 50 * H)
    assert await check(db, t0 + 72 * H) == [quiet]
    assert (await the_case(db, quiet)).escalation == "no_answer"
    assert (await the_case(db, talked)).status == "open"


async def test_two_clocks_at_once_remind_and_escalate_once(db):
    ids = await world(db)
    opened = [(await open_case(db, ids["own"], STUDENT)).case_id for _ in range(6)]

    async def both(moment):
        results = await asyncio.gather(check(db, moment), check(db, moment))
        return sorted(results[0] + results[1])

    assert await both(NOW + 4 * H) == sorted(opened)
    assert await both(NOW + 8 * H) == sorted(opened)
    async with db.read() as conn:
        reminded = await conn.scalar(
            select(func.count()).where(CaseMessage.text == "reminded:mediator")
        )
        escalated = await conn.scalar(
            select(func.count()).where(CaseMessage.text == "escalated:no_mediator")
        )
        audits = await conn.scalar(select(func.count()).where(AuditEntry.action == "case.remind"))
    assert (reminded, escalated, audits) == (6, 6, 6)
    assert len(await outbox(db, "case_escalated")) == 6  # each case once, to the one staff


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
        changed = await cases.erase_person(conn, STUDENT, now=NOW)
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
