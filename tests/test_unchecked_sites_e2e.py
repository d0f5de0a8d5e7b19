"""A site nobody has inspected yet (issue 20): by default it takes no bookings, and its card
says so in the reader's register, with no Apply button; an old Apply button is refused; it
is never suggested, nor offered to a teacher for a class. Once a parent monitor has checked
it, it is bookable. A city may take bookings before the check (UNCHECKED_SITES_BOOKABLE),
which tests/test_inspections_e2e.py's failed-inspection story runs with."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from handlers.bookings.buttons import APPLY
from storage import discover, pending
from storage.models import Program, Session, Site, utcnow
from tests.conftest import join_as_student
from tests.test_inspections_e2e import apply_buttons, open_card
from tests.world_helpers import add_teacher

PROGRAMME = "반려동물 미용사"  # at 멍냥 펫살롱, a demo site never inspected


async def _site_and_session(db) -> tuple[int, int]:
    async with db.read() as conn:
        found = (
            await conn.execute(
                select(Site.id, Session.id)
                .join(Program, Program.site_id == Site.id)
                .join(Session, Session.program_id == Program.id)
                .where(Site.name == "멍냥 펫살롱", Session.starts_at > utcnow())
                .order_by(Session.starts_at)
            )
        ).first()
    return found[0], found[1]


async def test_a_site_never_inspected_takes_no_booking_until_it_is_checked(bot, sandbox, db):
    site_id, session_id = await _site_and_session(db)
    minji = await join_as_student(sandbox, 7301, "김민지")
    await minji.send(PROGRAMME)
    # Listed with its next date, but no free seats that nobody could take.
    assert "지금은 신청 불가" in minji.last_text and "남은 자리" not in minji.last_text
    await minji.press("1. ")
    assert "아직 안전 점검 전이에요. 학부모 지원단이 점검을 마치면 신청할 수 있어요" in (
        minji.last_text
    )
    assert apply_buttons(minji) == []  # nothing offered that cannot work
    sessions_part = minji.last_text.split("다가오는 일정")[-1]
    assert "남은 자리" not in sessions_part and "마감" not in sessions_part

    # A button kept from before (or forged): refused, nothing booked.
    await minji.press_data(minji.last_message["message_id"], APPLY.pack(session_id))
    assert "안전 점검" in minji.callback_answers[-1]["text"]
    await minji.send("/my")
    assert PROGRAMME not in minji.last_text

    # A teacher sees the card in 합니다체, with no class booking offered.
    teacher = await add_teacher(db, sandbox, 7302)
    await open_card(teacher, PROGRAMME)
    assert "학부모 지원단의 점검을 마치면 예약할 수 있습니다" in teacher.last_text
    assert not any("학급" in b or "단체" in b for b in teacher.buttons)

    # Checked and passed: the same card now offers its sessions.
    async with db.write() as conn:
        today = utcnow().date()
        await conn.execute(
            update(Site)
            .where(Site.id == site_id)
            .values(
                safety_status="passed",
                safety_checked_on=today,
                safety_valid_until=today + timedelta(days=365),
            )
        )
    await minji.send(PROGRAMME)
    assert "남은 자리" in minji.last_text and "신청 불가" not in minji.last_text
    await minji.press("1. ")
    assert "안전 점검 통과" in minji.last_text or "안전 점검을 통과" in minji.last_text
    assert "남은 자리" in minji.last_text
    assert apply_buttons(minji)


async def test_suggestions_and_class_lists_leave_out_sites_never_inspected(demo):
    db = demo
    site_id, session_id = await _site_and_session(db)
    now = utcnow()
    async with db.read() as conn:
        for_you = await discover.for_you(
            conn, grade=2, district=None, fields=["반려동물"], limit=100, now=now
        )
        open_ones, _ = await pending.open_sessions(conn, now=now, limit=1000)
        allowed, _ = await pending.open_sessions(conn, now=now, limit=1000, unchecked_ok=True)
        at_site = set(
            (await conn.execute(select(Program.id).where(Program.site_id == site_id))).scalars()
        )
    assert not at_site & {hit.program_id for hit in for_you.hits}
    assert session_id not in {row.id for row in open_ones}
    assert session_id in {row.id for row in allowed}  # the city's choice, when it allows
