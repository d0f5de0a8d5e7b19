"""Site inspections in storage, on SQLite and PostgreSQL: the checklist and what an inspection
copies of it; one open inspection per site; only its monitor fills it; what a result does to
the site, who hears of it and when; a failed site refuses new bookings; and the year's
progress with the calendar-year boundary in Seoul.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from bot.settings import SettingsError, load_settings
from storage import bookings, inspections, monitors, pending
from storage.catalogue import DISTRICTS
from storage.errors import AlreadyHandled, NotFound
from storage.models import AuditEntry, Booking, Reminder, Site, User
from storage.users import get as get_user
from tests.test_bookings import NOW, apply, user, world
from tests.world_helpers import add_school, teacher_row

KST = ZoneInfo("Asia/Seoul")
MONITOR, OTHER_MONITOR, FAR_MONITOR = 40_001, 40_002, 40_003
STAFF, STAFF_AWAY = 50_001, 50_002
SITE_PERSON = 60_001


async def people(db, w) -> None:
    """Monitors (two in the site's district, one elsewhere), staff (one who blocked the bot),
    and the site's person."""
    async with db.write() as conn:
        # One insert of several rows takes its columns from the first: every row has all.
        rows = [
            (MONITOR, "monitor", "최은정", None),
            (OTHER_MONITOR, "monitor", "박지현", None),
            (FAR_MONITOR, "monitor", "김하나", None),
            (STAFF, "staff", "담당자", None),
            (STAFF_AWAY, "staff", "전담당", None),
            (SITE_PERSON, "site", "체험처 담당", w["site"]),
        ]
        await conn.execute(
            insert(User),
            [dict(zip(("id", "role", "name", "site_id"), row, strict=True)) for row in rows],
        )
        await conn.execute(update(User).where(User.id == STAFF_AWAY).values(active=False))
        await monitors.set_district(conn, MONITOR, "덕양구", now=NOW)
        await monitors.set_district(conn, OTHER_MONITOR, "덕양구", now=NOW)
        await monitors.set_district(conn, FAR_MONITOR, "일산서구", now=NOW)


async def open_one(db, w, monitor=MONITOR, *, now=NOW) -> int:
    async with db.write() as conn:
        return await inspections.assign(conn, w["site"], monitor, STAFF, now=now)


async def fill(db, inspection_id: int, answers: list[str], monitor=MONITOR, now=NOW) -> None:
    async with db.write() as conn:
        await inspections.start(conn, inspection_id, monitor, now=now)
        for position, result in enumerate(answers, start=1):
            await inspections.answer(conn, inspection_id, monitor, position, result)


async def finish(db, inspection_id: int, result: str, monitor=MONITOR, now=NOW, days=365):
    async with db.write() as conn:
        return await inspections.finish(conn, inspection_id, monitor, result, "살펴봄", now, days)


async def outbox(db, *, assigned: bool = False) -> dict[str, set[tuple[int, datetime]]]:
    """kind -> {(user id, due)} of the pending outbox rows about inspections (the news of
    the assignment only when asked)."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(Reminder.kind, Reminder.user_id, Reminder.due_at, Reminder.key).where(
                Reminder.inspection_id.is_not(None),
                Reminder.status == "pending",
                Reminder.kind != "inspection_assigned" if not assigned else True,
            )
        )
        found: dict[str, set] = {}
        for kind, user_id, due, _ in rows.all():
            found.setdefault(kind, set()).add((user_id, due))
    return found


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=KST)


# ----- the checklist --------------------------------------------------------------------------


async def test_the_checklist_starts_with_the_defaults_and_staff_change_it(db):
    w = await world(db)
    await people(db, w)
    async with db.write() as conn:
        items = await inspections.checklist_items(conn)
        assert [i.key for i in items] == list(inspections.DEFAULT_ITEMS)
        assert await inspections.seed_checklist(conn) == 0  # idempotent
        insurance = next(i for i in items if i.key == "insurance")
        assert await inspections.toggle_item(conn, insurance.id, STAFF, now=NOW) is False
        added = await inspections.add_item(conn, "  소화기  위치 표시 ", STAFF, now=NOW)
        with pytest.raises(ValueError):
            await inspections.add_item(conn, "가" * 201, STAFF, now=NOW)
        # Seeding again does not turn the item staff turned off back on.
        assert await inspections.seed_checklist(conn) == 0
        active = await inspections.checklist_items(conn, active_only=True)
    assert [i.key for i in active][:2] == ["exits", "first_aid"] and len(active) == 8
    assert active[-1].id == added and active[-1].text == "소화기 위치 표시"

    inspection_id = await open_one(db, w)
    async with db.write() as conn:
        await inspections.start(conn, inspection_id, MONITOR, now=NOW)
        copied = await inspections.inspection_items(conn, inspection_id)
        # Later changes leave the inspection as it was.
        await inspections.toggle_item(conn, insurance.id, STAFF, now=NOW)
        await inspections.toggle_item(conn, added, STAFF, now=NOW)
        after = await inspections.inspection_items(conn, inspection_id)
    assert [(i.position, i.key, i.text) for i in copied] == [
        (n, key, None)
        for n, key in enumerate([k for k in inspections.DEFAULT_ITEMS if k != "insurance"], 1)
    ] + [(8, None, "소화기 위치 표시")]
    assert after == copied

    async with db.write() as conn:
        for item in await inspections.checklist_items(conn, active_only=True):
            if item.key != "exits":
                await inspections.toggle_item(conn, item.id, STAFF, now=NOW)
        exits = next(i for i in await inspections.checklist_items(conn) if i.key == "exits")
        with pytest.raises(inspections.Refused, match="last_item"):
            await inspections.toggle_item(conn, exits.id, STAFF, now=NOW)
        with pytest.raises(NotFound):
            await inspections.toggle_item(conn, 999_999, STAFF, now=NOW)


async def test_seeding_an_empty_checklist_puts_the_defaults_back_in_order(db):
    from storage.models import ChecklistItem

    async with db.write() as conn:
        await conn.execute(ChecklistItem.__table__.delete())
        assert await inspections.seed_checklist(conn) == 8
        items = await inspections.checklist_items(conn)
    assert [(i.position, i.key) for i in items] == list(
        enumerate(inspections.DEFAULT_ITEMS, start=1)
    )


# ----- opening ----------------------------------------------------------------------------------


async def test_one_open_inspection_per_site(db):
    w = await world(db)
    await people(db, w)
    first = await open_one(db, w)
    assert await outbox(db, assigned=True) == {"inspection_assigned": {(MONITOR, NOW)}}
    with pytest.raises(inspections.Refused, match="open"):
        await open_one(db, w, OTHER_MONITOR)
    async with db.write() as conn:
        with pytest.raises(inspections.Refused, match="open"):
            await inspections.pick(conn, w["site"], OTHER_MONITOR, now=NOW)
        # Not a monitor, or a site that does not exist: the same NotFound.
        with pytest.raises(NotFound):
            await inspections.assign(conn, w["site"], STAFF, STAFF, now=NOW)
        with pytest.raises(NotFound):
            await inspections.assign(conn, 999_999, MONITOR, STAFF, now=NOW)
        cancelled = await inspections.cancel(conn, first, STAFF, now=NOW)
        assert cancelled.monitor_id == MONITOR
        with pytest.raises(AlreadyHandled):
            await inspections.cancel(conn, first, STAFF, now=NOW)
    # The unsent news of the assignment goes; the monitor hears it was called off instead.
    assert await outbox(db, assigned=True) == {"inspection_cancelled": {(MONITOR, NOW)}}
    async with db.write() as conn:
        picked = await inspections.pick(conn, w["site"], OTHER_MONITOR, now=NOW)
        found = await inspections.get(conn, picked)
        # A monitor of another district may not pick it (the same answer as no such site).
        with pytest.raises(NotFound):
            await inspections.pick(conn, w["site"], FAR_MONITOR, now=NOW)
    assert (found.status, found.assigned_by, found.monitor_id) == ("assigned", None, OTHER_MONITOR)


async def test_two_openings_at_once_make_one_inspection(db):
    w = await world(db)
    await people(db, w)

    async def attempt(monitor: int):
        try:
            async with db.write() as conn:
                return await inspections.pick(conn, w["site"], monitor, now=NOW)
        except inspections.Refused:
            return None

    for _ in range(3):
        results = await asyncio.gather(attempt(MONITOR), attempt(OTHER_MONITOR))
        assert sum(r is not None for r in results) == 1
        async with db.write() as conn:
            await inspections.cancel(conn, next(r for r in results if r), STAFF, now=NOW)


async def test_only_due_sites_may_be_picked(db):
    w = await world(db)
    await people(db, w)
    today = NOW.astimezone(KST).date()
    async with db.write() as conn:
        await conn.execute(
            update(Site).values(
                safety_status="passed",
                safety_checked_on=today - timedelta(days=10),
                safety_valid_until=today + timedelta(days=200),
            )
        )
        with pytest.raises(inspections.Refused, match="not_due"):
            await inspections.pick(conn, w["site"], MONITOR, now=NOW)
        assert (await inspections.to_pick(conn, "덕양구", today))[1] == 0
        # Thirty days before it runs out it is due again; staff may assign any site.
        await conn.execute(update(Site).values(safety_valid_until=today + timedelta(days=30)))
        sites, total = await inspections.to_pick(conn, "덕양구", today)
        assert total == 1 and sites[0].id == w["site"]
        assert (await inspections.to_pick(conn, "일산서구", today))[1] == 0
        await inspections.pick(conn, w["site"], MONITOR, now=NOW)
        # With an inspection open it is no longer offered.
        assert (await inspections.to_pick(conn, "덕양구", today))[1] == 0


# ----- filling ----------------------------------------------------------------------------------


async def test_only_the_assigned_monitor_fills_it(db):
    w = await world(db)
    await people(db, w)
    inspection_id = await open_one(db, w)
    async with db.write() as conn:
        with pytest.raises(NotFound):
            await inspections.start(conn, inspection_id, OTHER_MONITOR, now=NOW)
        begun = await inspections.start(conn, inspection_id, MONITOR, now=NOW)
        assert begun.status == "in_progress"
        again = await inspections.start(conn, inspection_id, MONITOR, now=NOW)  # carries on
        assert again.id == inspection_id
        assert len(await inspections.inspection_items(conn, inspection_id)) == 8
        for forged in (
            inspections.answer(conn, inspection_id, OTHER_MONITOR, 1, "pass"),
            inspections.attach(conn, inspection_id, OTHER_MONITOR, 1, note="남의 것"),
            inspections.finish(conn, inspection_id, OTHER_MONITOR, "passed", None, NOW, 365),
            inspections.answer(conn, inspection_id, MONITOR, 99, "pass"),
            inspections.answer(conn, inspection_id, MONITOR, 1, "maybe"),
        ):
            with pytest.raises(NotFound):
                await forged
        assert await inspections.answer(conn, inspection_id, MONITOR, 1, "pass") == 2
        # Answering item 3 first: then the next unanswered after it, then back to 2.
        assert await inspections.answer(conn, inspection_id, MONITOR, 3, "fix") == 4
        item = await inspections.attach(
            conn, inspection_id, MONITOR, 3, note=" 소화기  없음 ", photo="PHOTO-ID"
        )
        assert (item.note, item.photo) == ("소화기 없음", "PHOTO-ID")
        for position in range(4, 9):
            await inspections.answer(conn, inspection_id, MONITOR, position, "pass")
        assert await inspections.next_position(conn, inspection_id) == 2
        with pytest.raises(inspections.Refused, match="unanswered"):
            await inspections.finish(conn, inspection_id, MONITOR, "passed", None, NOW, 365)
        assert await inspections.answer(conn, inspection_id, MONITOR, 2, "fail") is None
        answers = [i.result for i in await inspections.inspection_items(conn, inspection_id)]
    assert inspections.suggested(answers) == "failed"
    assert inspections.suggested(["pass", "fix"]) == "needs_fix"
    assert inspections.suggested(["pass"]) == "passed"
    await finish(db, inspection_id, "needs_fix")  # the monitor decides, not the suggestion
    with pytest.raises(AlreadyHandled):
        await finish(db, inspection_id, "needs_fix")
    async with db.write() as conn:
        with pytest.raises(NotFound):  # done: nothing to change any more
            await inspections.answer(conn, inspection_id, MONITOR, 1, "fail")


# ----- results ----------------------------------------------------------------------------------


async def test_a_failed_site_is_closed_and_everyone_concerned_hears_at_once(db):
    w = await world(db, capacity=30, students=3)
    await people(db, w)
    async with db.write() as conn:
        # A teacher of another grade (not told), and a teacher of another school who booked
        # class seats there (told).
        other_school = await add_school(conn, "다른학교")
        teachers = [
            teacher_row(20_001, "삼학년", w["schools"][0], "3"),
            teacher_row(20_002, "반담임", other_school),
        ]
        await conn.execute(insert(User), teachers)
    booked = await apply(db, w["students"][0], w["session"])
    async with db.write() as conn:
        await bookings.book_class(conn, await user(db, 20_002), w["session"], 2, now=NOW)
    inspection_id = await open_one(db, w)
    await fill(db, inspection_id, ["pass", "fix", "fail", "pass", "pass", "pass", "pass", "pass"])
    done = await finish(db, inspection_id, "failed")
    assert done.inspection.result == "failed" and done.told == 4

    today = NOW.astimezone(KST).date()
    async with db.read() as conn:
        site = (await conn.execute(select(Site).where(Site.id == w["site"]))).one()
        audit = await conn.scalar(
            select(AuditEntry.detail).where(AuditEntry.action == "inspection.finish")
        )
        still = await conn.scalar(select(Booking.status).where(Booking.id == booked.booking_id))
    assert (site.safety_status, site.safety_checked_on) == ("failed", today)
    assert site.safety_valid_until == today + timedelta(days=365)
    assert audit == {"result": "failed"}
    assert still == "requested"  # bookings already made stay: staff decide
    assert await outbox(db) == {
        "inspection_result": {(SITE_PERSON, NOW)},
        "inspection_failed_staff": {(STAFF, NOW)},  # not the one who blocked the bot
        # The covering teacher of the student's own booking, and the class's teacher; not
        # the teacher of another grade. No follow-ups for a failure.
        "inspection_failed_teacher": {(w["teacher"], NOW), (20_002, NOW)},
    }

    # New applications and class bookings are refused.
    with pytest.raises(bookings.Refused, match="safety"):
        await apply(db, w["students"][1], w["session"])
    async with db.write() as conn:
        with pytest.raises(bookings.Refused, match="safety"):
            await bookings.book_class(conn, await user(db, w["teacher"]), w["session"], 1, now=NOW)
        # Teacher lists do not offer it either.
        sessions, _ = await pending.open_sessions(conn, now=NOW)
        assert w["session"] not in {s.id for s in sessions}
        # What each teacher is told about: their own students there.
        theirs = await inspections.teacher_sessions(conn, w["site"], w["teacher"], NOW)
        assert [(s.id, n) for s, n in theirs] == [(w["session"], 1)]
        assert await inspections.teacher_sessions(conn, w["site"], 20_001, NOW) == []
        class_teacher = await inspections.teacher_sessions(conn, w["site"], 20_002, NOW)
        assert [n for _, n in class_teacher] == [2]


async def test_needs_fix_stays_bookable_with_a_recheck_and_an_expiry_reminder(db):
    w = await world(db)
    await people(db, w)
    inspection_id = await open_one(db, w)
    await fill(db, inspection_id, ["pass"] * 7 + ["fix"])
    await finish(db, inspection_id, "needs_fix", days=365)
    today = NOW.astimezone(KST).date()
    # One day: the result holds until the re-inspection, and the site hears a week before.
    valid_until = today + timedelta(days=30)
    recheck, expiry = at_nine(valid_until), at_nine(valid_until - timedelta(7))
    assert await outbox(db) == {
        "inspection_result": {(SITE_PERSON, NOW)},
        "inspection_recheck": {(MONITOR, recheck)},
        "inspection_recheck_staff": {(STAFF, recheck)},
        "inspection_expiry": {(SITE_PERSON, expiry)},
        "inspection_expiry_staff": {(STAFF, expiry)},
    }
    applied = await apply(db, w["students"][0], w["session"])
    assert applied.status == "requested"  # bookable, shown with a warning
    async with db.read() as conn:
        site = (await conn.execute(select(Site).where(Site.id == w["site"]))).one()
        assert site.safety_valid_until == valid_until

    # A second inspection: the first one's follow-ups go, and it counts as superseded.
    async with db.write() as conn:
        second = await inspections.pick(conn, w["site"], OTHER_MONITOR, now=NOW)
        first = await inspections.get(conn, inspection_id)
        assert await inspections.superseded(conn, first)
    later = NOW + timedelta(days=20)
    await fill(db, second, ["pass"] * 8, OTHER_MONITOR, later)
    await finish(db, second, "passed", OTHER_MONITOR, later, days=400)
    second_until = (later.astimezone(KST) + timedelta(days=400)).date()
    found = await outbox(db)
    assert set(found) == {"inspection_result", "inspection_expiry", "inspection_expiry_staff"}
    assert found["inspection_expiry_staff"] == {(STAFF, at_nine(second_until - timedelta(30)))}
    async with db.read() as conn:
        site = (await conn.execute(select(Site).where(Site.id == w["site"]))).one()
        assert (site.safety_status, site.safety_valid_until) == ("passed", second_until)
        assert not await inspections.superseded(conn, await inspections.get(conn, second))


async def test_the_result_day_is_the_city_s_day(db):
    w = await world(db)
    await people(db, w)
    # 2026-12-31 23:30 in Seoul is still 2026; 00:30 on 1 January is 2027.
    for moment, day in (
        (datetime(2026, 12, 31, 14, 30, tzinfo=UTC), date(2026, 12, 31)),
        (datetime(2026, 12, 31, 15, 30, tzinfo=UTC), date(2027, 1, 1)),
    ):
        inspection_id = await open_one(db, w, now=moment)
        await fill(db, inspection_id, ["pass"] * 8, now=moment)
        done = await finish(db, inspection_id, "passed", now=moment, days=30)
        assert (done.inspection.checked_on, done.inspection.valid_until) == (
            day,
            day + timedelta(days=30),
        )


# ----- staff's figures --------------------------------------------------------------------------


async def test_progress_by_district_in_the_calendar_year(db):
    async with db.write() as conn:
        rows = [
            ("덕양 올해 첫날", "덕양구", date(2026, 1, 1), date(2027, 1, 1), "passed"),
            ("덕양 작년 마지막날", "덕양구", date(2025, 12, 31), date(2026, 12, 31), "passed"),
            ("덕양 한 번도", "덕양구", None, None, "pending"),
            ("일산동 보완", "일산동구", date(2026, 11, 20), date(2027, 11, 20), "needs_fix"),
            ("일산서 부적합", "일산서구", date(2026, 6, 1), date(2027, 6, 1), "failed"),
            ("일산서 한 번도", "일산서구", None, None, "pending"),
        ]
        for name, district, checked, until, status in rows:
            await conn.execute(
                insert(Site).values(
                    name=name,
                    kind="public",
                    district=district,
                    safety_status=status,
                    safety_checked_on=checked,
                    safety_valid_until=until,
                )
            )
        year = await inspections.progress(conn, date(2026, 12, 1))
        next_year = await inspections.progress(conn, date(2027, 1, 1))
        never, total = await inspections.never_inspected(conn)
        page_two, _ = await inspections.never_inspected(conn, offset=1, limit=1)
        soon, soon_total = await inspections.expiring(conn, date(2026, 12, 1))
        picks, _ = await inspections.to_pick(conn, "덕양구", date(2026, 12, 1))
    assert year.year == 2026
    assert [(d.district, d.checked, d.total) for d in year.districts] == [
        ("덕양구", 1, 3),
        ("일산동구", 1, 1),
        ("일산서구", 1, 2),
    ]
    assert (year.checked, year.total, year.never, year.expiring) == (3, 6, 2, 1)
    assert [(d.district, d.checked) for d in next_year.districts] == [
        ("덕양구", 0),
        ("일산동구", 0),
        ("일산서구", 0),
    ]
    assert [s.name for s in never] == ["덕양 한 번도", "일산서 한 번도"] and total == 2
    assert [s.name for s in page_two] == ["일산서 한 번도"]
    # Runs out within 30 days of 1 December (31 December), or ran out already.
    assert [s.name for s in soon] == ["덕양 작년 마지막날"] and soon_total == 1
    assert [s.name for s in picks] == ["덕양 한 번도", "덕양 작년 마지막날"]


async def test_the_monitors_for_a_site_are_its_district_s_first(db):
    w = await world(db)
    await people(db, w)
    async with db.write() as conn:
        await monitors.set_paused(conn, OTHER_MONITOR, True, now=NOW)
        site, found = await inspections.monitors_for(conn, w["site"])
    assert site.id == w["site"]
    assert [m.id for m in found] == [MONITOR, FAR_MONITOR]  # paused ones are left out


async def test_viewers_are_staff_the_monitor_and_the_site_s_own_people(db):
    w = await world(db)
    await people(db, w)
    inspection_id = await open_one(db, w)
    async with db.write() as conn:
        other_site = await conn.scalar(
            insert(Site)
            .values(name="남의 체험처", kind="public", district="덕양구")
            .returning(Site.id)
        )
        await conn.execute(
            insert(User).values(id=60_002, role="site", name="남", site_id=other_site)
        )
        for viewer in (STAFF, MONITOR, SITE_PERSON):
            found = await inspections.for_viewer(conn, inspection_id, await get_user(conn, viewer))
            assert found.id == inspection_id
        for stranger in (OTHER_MONITOR, 60_002, w["teacher"], w["students"][0]):
            with pytest.raises(NotFound):
                await inspections.for_viewer(conn, inspection_id, await get_user(conn, stranger))


def test_the_validity_setting():
    assert load_settings({}).safety_valid_days == 365
    assert load_settings({"SAFETY_VALID_DAYS": "30"}).safety_valid_days == 30
    for bad in ("29", "1096", "a year"):
        with pytest.raises(SettingsError, match="^SAFETY_VALID_DAYS"):
            load_settings({"SAFETY_VALID_DAYS": bad})


async def test_the_demo_monitor_finds_sites_to_inspect_in_any_district(demo):
    today = datetime.now(KST).date()
    async with demo.read() as conn:
        found = {d: await inspections.to_pick(conn, d, today) for d in DISTRICTS}
        progress = await inspections.progress(conn, today)
    assert all(total >= 1 for _, total in found.values())
    assert "흙담 도자기공방" in {s.name for s in found["일산동구"][0]}  # the needs_fix example
    assert progress.never >= 3 and progress.total > progress.never
