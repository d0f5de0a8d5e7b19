"""Site safety inspections end to end, through the sandbox: staff give a site to a parent
monitor who joined by invite, the monitor fills the checklist (a photo and a note on one
item, one to fix, one failing), fails the site, and the site's people, staff and a teacher
whose student is booked there are told; the student's card then shows the warning without
an apply button and a new application is refused. A monitor picks a due site of their
district and finds things to fix: the site stays bookable with a warning, and the 30-day
re-inspection and the expiry reminders come after time travel. Another monitor's forged
buttons, typed text where a button is expected, and carrying on after leaving.

Every test runs on a Tuesday at 10:00 in Seoul (time-machine, ticking), so what a student
is told is never held back by quiet hours.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import insert, select

from handlers.bookings import buttons as bookings
from handlers.inspections import buttons
from handlers.outbox import dispatch_tick
from storage import invites
from storage.models import Inspection, InspectionItem, Role, Site, User, utcnow
from tests.conftest import ADMIN_ID, join_as_student
from tests.world_helpers import add_teacher

KST = ZoneInfo("Asia/Seoul")
STALE = "이 버튼은 이제 쓸 수 없"
PRESS_A_BUTTON = "아래 버튼 중에서 골라 주십시오"


# ----- people ---------------------------------------------------------------------------------


async def join_monitor(sandbox, db, user_id: int, first_name: str, district: str):
    """A parent monitor joins by an invite link and picks their district, as in the chat."""
    async with db.write() as conn:
        invite = await invites.create(
            conn, role=Role.MONITOR, created_by=ADMIN_ID, days=7, now=utcnow()
        )
    monitor = sandbox.user(user_id, first_name)
    await monitor.send(f"/start {invite.code}")
    await monitor.press(f"“{first_name}”")
    await monitor.press(district)
    assert "학부모 지원단" in monitor.last_text
    return monitor


async def add_site_person(db, sandbox, user_id: int, site_name: str):
    async with db.write() as conn:
        site_id = await conn.scalar(select(Site.id).where(Site.name == site_name))
        await conn.execute(
            insert(User).values(id=user_id, role="site", name="담당자", site_id=site_id)
        )
    person = sandbox.user(user_id, "담당자")
    await person.send("/help")
    return person


async def staff(sandbox):
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/help")  # ADMIN_IDS: staff from the first message
    return admin


def apply_buttons(user) -> list[str]:
    markup = (user.last_message or {}).get("reply_markup") or {}
    return [
        b["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for b in row
        if bookings.APPLY.match(b.get("callback_data", "")) is not None
    ]


async def open_card(user, words: str) -> None:
    await user.send(words)
    await user.press("1. ")


async def answer_all(monitor, answers: list[str]) -> None:
    labels = {"pass": "✅ 적합", "fix": "🔧 보완 필요", "fail": "❌ 부적합"}
    for number, answer in enumerate(answers, start=1):
        assert f"항목 {number}/8" in monitor.last_text, monitor.last_text
        await monitor.press(labels[answer])


async def nothing_failed(sandbox) -> None:
    """No Bot API call of the bot was refused (a press answered twice, a bad edit) and no
    one got the apology for a failure."""
    calls = await sandbox.calls()
    refused = [(c["method"], c.get("description")) for c in calls if not c["ok"]]
    assert not refused, refused
    apologies = [c for c in calls if "문제가 생겨" in str(c["params"].get("text", ""))]
    assert not apologies


def message(user, message_id: int) -> dict:
    """The bot's message `message_id` as the user's chat shows it now (after a send or press,
    which read the chat again)."""
    return next(m for m in user.bot_messages if m["message_id"] == message_id)


async def inspections_of(db) -> list:
    async with db.read() as conn:
        return list((await conn.execute(select(Inspection.__table__))).all())


# ----- a failed site --------------------------------------------------------------------------


async def test_a_failed_inspection_closes_the_site_and_tells_everyone_concerned(
    tuesday_morning, bot, sandbox, db
):
    # A city that takes bookings at sites not inspected yet (UNCHECKED_SITES_BOOKABLE).
    settings = bot.bot_data["settings"]
    bot.bot_data["settings"] = replace(settings, unchecked_sites_bookable=True)
    admin = await staff(sandbox)
    monitor = await join_monitor(sandbox, db, 1401, "은정", "일산서구")
    site_person = await add_site_person(db, sandbox, 7001, "멍냥 펫살롱")
    teacher = await add_teacher(db, sandbox, 7101)
    minji = await join_as_student(sandbox, 7201, "김민지")
    await open_card(minji, "반려동물 미용사")
    assert "안전 점검 전이에요. 점검 전에도 신청할 수 있어요" in minji.last_text
    session_data = apply_buttons(minji)[0]
    await minji.press("신청하기")
    await minji.expect("자리를 맡아 두었어요")
    await teacher.expect("김민지")

    await admin.send("/inspections")
    assert "체험처 안전 점검" in admin.last_text and "일산서구: " in admin.last_text
    await admin.press("점검 기록 없음")
    assert "멍냥 펫살롱" in admin.last_text
    await admin.press("멍냥 펫살롱")
    assert "누구에게 점검을 맡기시겠습니까" in admin.last_text
    await admin.press("은정 (일산서구)")
    assert "멍냥 펫살롱 점검을 은정 님께 배정하고 알렸습니다" in admin.last_text
    await monitor.expect("안전 점검을 부탁드립니다")
    await monitor.press("▶ 점검 시작")
    assert "항목 1/8" in monitor.last_text and "비상구와 대피 안내도" in monitor.last_text

    # Typed text where a button is expected: told so, and the item comes again.
    await monitor.send("다 괜찮아 보여요")
    assert PRESS_A_BUTTON in monitor.bot_messages[-2]["text"]
    assert "항목 1/8" in monitor.last_text

    await monitor.press("📎 사진·메모")
    assert "사진을 보내 주십시오" in monitor.last_text
    await monitor.send_photo(caption="비상구 안내도가 문 뒤에 가려져 있음")
    assert "사진을 저장했습니다" in monitor.last_text and "사진 첨부됨" in monitor.last_text
    await monitor.send("안내도를 문 앞으로 옮기기로 함")
    assert "메모를 저장했습니다" in monitor.last_text
    assert "안내도를 문 앞으로 옮기기로 함" in monitor.last_text
    await answer_all(monitor, ["pass", "fix", "fail", "pass", "pass", "pass", "pass", "pass"])
    assert "모든 항목에 답했습니다" in monitor.last_text
    assert "‘부적합’" in monitor.last_text  # what the answers suggest
    await monitor.press("❌ 부적합")
    note_asked = monitor.last_message
    assert "의견 없이 진행" in str(note_asked["reply_markup"])
    await monitor.send("보험 가입 증서를 보여 주지 못함")
    assert "결과: 부적합" in monitor.last_text and "보험 가입 증서" in monitor.last_text
    # The note came typed: its question above keeps no "without a note" to press.
    assert not message(monitor, note_asked["message_id"]).get("reply_markup")
    await monitor.press("✅ 결과 확정")
    assert "기록했습니다: 부적합" in monitor.last_text

    told = await site_person.expect("멍냥 펫살롱 안전 점검 결과: 부적합")
    assert "새 신청을 받을 수 없습니다" in told["text"] and "보험" in told["text"]
    news = await admin.expect("안전 점검 부적합")
    assert "예약 1건" in news["text"] and "은정" in news["text"]
    warned = await teacher.expect("안전 점검을 통과하지 못했습니다")
    assert "반려동물 미용사 직업체험" in warned["text"] and "학생 1명" in warned["text"]

    [inspection] = await inspections_of(db)
    async with db.read() as conn:
        site = (await conn.execute(select(Site).where(Site.name == "멍냥 펫살롱"))).one()
        items = (
            await conn.execute(select(InspectionItem.__table__).order_by(InspectionItem.position))
        ).all()
    assert (inspection.status, inspection.result) == ("done", "failed")
    assert inspection.note == "보험 가입 증서를 보여 주지 못함"
    assert site.safety_status == "failed" and site.safety_checked_on == tuesday_morning.date()
    assert [i.result for i in items][:3] == ["pass", "fix", "fail"]
    assert items[0].photo and items[0].note == "안내도를 문 앞으로 옮기기로 함"

    # The student's card: the warning and no apply button; a new application is refused.
    await open_card(minji, "반려동물 미용사")
    assert "통과하지 못해서 신청할 수 없어요" in minji.last_text
    assert apply_buttons(minji) == []
    seojun = await join_as_student(sandbox, 7202, "이서준")
    await open_card(seojun, "반려동물 미용사")
    await seojun.press_data(seojun.last_message["message_id"], session_data)
    assert "안전 점검을 통과하기 전까지 신청할 수 없어요" in seojun.callback_answers[-1]["text"]

    # Staff open the result from the news, and its photo by file_id.
    await admin.press("📄 점검 결과 보기")
    assert "멍냥 펫살롱 안전 점검" in admin.last_text and "안내도를 문 앞으로" in admin.last_text
    await admin.press("📷 사진 (1)")
    photo = admin.last_message
    assert photo.get("photo") and "1/8 비상구와 대피 안내도" in photo.get("caption", "")
    # So does the site's own person, from their news.
    await site_person.press("📄 점검 결과 보기")
    assert "멍냥 펫살롱 안전 점검" in site_person.last_text
    await nothing_failed(sandbox)


# ----- a monitor picks a site; needs fixing; the reminders -------------------------------------


async def test_a_monitor_picks_a_site_that_then_needs_fixing_and_the_reminders_come(
    tuesday_morning, bot, sandbox, db
):
    admin = await staff(sandbox)
    monitor = await join_monitor(sandbox, db, 1401, "은정", "일산동구")
    site_person = await add_site_person(db, sandbox, 7001, "흙담 도자기공방")
    await monitor.send("/inspections")
    assert "내 안전 점검" in monitor.last_text and "담당 지역: 일산동구" in monitor.last_text
    await monitor.press("📋 점검할 곳 고르기")
    assert "일산동구 점검이 필요한 체험처" in monitor.last_text
    assert "흙담 도자기공방" in monitor.last_text and "보완 필요" in monitor.last_text
    await monitor.press("흙담 도자기공방")
    assert "흙담 도자기공방 점검을 맡으셨습니다" in monitor.last_text
    [picked] = await inspections_of(db)
    assert picked.assigned_by is None and picked.status == "assigned"
    await monitor.press("▶ 점검 시작")
    await answer_all(monitor, ["pass"] * 7 + ["fix"])
    assert "‘보완 필요’" in monitor.last_text
    await monitor.press("🔧 보완 필요")
    await monitor.press("의견 없이 진행")
    await monitor.press("✅ 결과 확정")
    assert "기록했습니다: 보완 필요" in monitor.last_text
    told = await site_person.expect("안전 점검 결과: 보완 필요")
    assert "프로그램이 안내된 내용과 일치" in told["text"]  # the item to fix

    # Bookable, with the warning.
    minji = await join_as_student(sandbox, 7201, "김민지")
    await open_card(minji, "도예가 체험")
    recheck_day = tuesday_morning.date() + timedelta(days=30)
    assert "안전 점검에서 보완할 점이 있었어요" in minji.last_text
    assert f"{recheck_day.year}년 {recheck_day.month}월 {recheck_day.day}일까지 재점검" in (
        minji.last_text
    )
    assert apply_buttons(minji)
    await minji.press("신청하기")
    await minji.expect("자리를 맡아 두었어요")

    # A week before the re-inspection day, which is also the day the result runs out: the
    # site and staff (one day everywhere, never a second one a year away).
    warn_day = recheck_day - timedelta(days=7)
    with time_machine.travel(datetime.combine(warn_day, time(9, 1), tzinfo=KST), tick=True):
        await dispatch_tick(bot)
    expiry = await site_person.expect("안전 점검이")
    assert (
        f"{recheck_day.year}년 {recheck_day.month}월 {recheck_day.day}일에 만료됩니다"
        in (expiry["text"])
    )
    staff_news = await admin.expect("흙담 도자기공방(일산동구) 안전 점검이")
    assert "배정해 주십시오" in staff_news["text"]
    # 30 days on, at 09:00: the monitor and staff are reminded to look again.
    with time_machine.travel(datetime.combine(recheck_day, time(9, 1), tzinfo=KST), tick=True):
        await dispatch_tick(bot)
        await monitor.expect("흙담 도자기공방 재점검 시기입니다")
        await admin.expect("흙담 도자기공방(일산동구) 재점검 시기입니다")
    # Not inspected again by that day: from the next one the site takes no new bookings.
    with time_machine.travel(
        datetime.combine(recheck_day, time(10), tzinfo=KST) + timedelta(days=1)
    ):
        await open_card(minji, "도예가 체험")
        assert not apply_buttons(minji)
    await nothing_failed(sandbox)


async def test_the_reminders_say_nothing_once_the_site_is_inspected_again(
    tuesday_morning, bot, sandbox, db
):
    admin = await staff(sandbox)
    monitor = await join_monitor(sandbox, db, 1401, "은정", "일산동구")
    for _ in range(2):  # the second inspection supersedes the first one's reminders
        await monitor.send("/inspections")
        await monitor.press("📋 점검할 곳 고르기")
        await monitor.press("흙담 도자기공방")
        await monitor.press("▶ 점검 시작")
        await answer_all(monitor, ["pass"] * 7 + ["fix"])
        await monitor.press("🔧 보완 필요")
        await monitor.press("의견 없이 진행")
        await monitor.press("✅ 결과 확정")
    recheck_day = tuesday_morning.date() + timedelta(days=30)
    with time_machine.travel(datetime.combine(recheck_day, time(9, 1), tzinfo=KST), tick=True):
        await dispatch_tick(bot)
    await monitor.expect("재점검 시기입니다")
    await admin.expect("재점검 시기입니다")
    await dispatch_tick(bot)  # nothing more is due
    await monitor.refresh()
    await admin.refresh()
    assert sum("재점검 시기입니다" in m.get("text", "") for m in monitor.bot_messages) == 1
    assert sum("재점검 시기입니다" in m.get("text", "") for m in admin.bot_messages) == 1
    await nothing_failed(sandbox)


# ----- forged buttons, typed text, carrying on -------------------------------------------------


async def test_only_the_inspection_s_monitor_can_fill_it(tuesday_morning, bot, sandbox, db):
    admin = await staff(sandbox)
    eunjeong = await join_monitor(sandbox, db, 1401, "은정", "일산서구")
    jihyun = await join_monitor(sandbox, db, 1402, "지현", "일산서구")
    await admin.send("/inspections")
    await admin.press("점검 기록 없음")
    await admin.press("그린셀바이오")
    await admin.press("은정 (일산서구)")
    [inspection] = await inspections_of(db)
    await eunjeong.expect("안전 점검을 부탁드립니다")

    # Staff see it is taken: a second assignment is not offered.
    await admin.send("/inspections")
    await admin.press("점검 기록 없음")
    await admin.press("그린셀바이오")
    assert "이미 은정 님께 배정되었습니다" in admin.last_text
    assert not any(label.startswith("지현") for label in admin.buttons)

    # Another monitor forges the buttons: the same answer as a missing one, nothing changes.
    await jihyun.send("/inspections")
    message_id = jihyun.last_message["message_id"]
    for data in (
        buttons.START.pack(inspection.id),
        buttons.PICK.pack(inspection.site_id),
        buttons.DETAIL.pack(inspection.id),
        buttons.START.pack(999999),
        "is:a:x:1:pass",
    ):
        await jihyun.press_data(message_id, data)
        answer = jihyun.callback_answers[-1]["text"]
        assert STALE in answer or "다른 지원단원이 방금" in answer, (data, answer)
    assert (await inspections_of(db))[0].status == "assigned"

    await eunjeong.press("▶ 점검 시작")
    await eunjeong.press("✅ 적합")
    await eunjeong.press("🔧 보완 필요")
    for data in (
        buttons.ANSWER.pack(inspection.id, 3, "fail"),
        buttons.ATTACH.pack(inspection.id, 3),
        buttons.RESULT_CHOSEN.pack(inspection.id, "failed"),
    ):
        await jihyun.press_data(message_id, data)
        assert STALE in jihyun.callback_answers[-1]["text"]
    # A student and a teacher cannot open it either.
    minji = await join_as_student(sandbox, 7201, "김민지")
    await minji.press_data(minji.last_message["message_id"], buttons.DETAIL.pack(inspection.id))
    assert "이 버튼은 이제 쓸 수 없어요" in minji.callback_answers[-1]["text"]
    await jihyun.send("/checklist")
    assert "사용하실 수 없습니다" in jihyun.last_text

    # A sticker while the item's buttons are shown: as for typed words, the item again.
    await eunjeong.send_sticker()
    assert PRESS_A_BUTTON in eunjeong.bot_messages[-2]["text"]
    assert "항목 3/8" in eunjeong.last_text
    # A sticker where a photo or note is expected, and too long a note.
    await eunjeong.press("📎 사진·메모")
    await eunjeong.send_sticker()
    assert "사진으로 보내 주시거나" in eunjeong.last_text
    await eunjeong.send("가" * 501)
    assert "501자입니다" in eunjeong.last_text

    # Leaving and coming back: /inspections carries on at the first unanswered item.
    await eunjeong.send("/cancel")
    await eunjeong.send("/inspections")
    assert "2개 답함" in eunjeong.bot_messages[-2]["text"]
    assert "항목 3/8" in eunjeong.last_text
    # ◀ goes back to change an earlier answer.
    await eunjeong.press("◀ 이전 항목")
    assert "항목 2/8" in eunjeong.last_text and "지금 답: 🔧 보완 필요" in eunjeong.last_text
    await eunjeong.press("✅ 적합")
    assert "항목 3/8" in eunjeong.last_text
    async with db.read() as conn:
        answers = (
            (
                await conn.execute(
                    select(InspectionItem.result)
                    .where(InspectionItem.inspection_id == inspection.id)
                    .order_by(InspectionItem.position)
                )
            )
            .scalars()
            .all()
        )
    assert answers[:3] == ["pass", "pass", None]

    # Staff cancel it: the monitor is told, and its buttons are stale.
    await admin.send("/inspections")
    await admin.press("진행 중인 점검 (1)")
    await admin.press("그린셀바이오")
    await admin.press("✖ 점검 취소")
    await admin.press("네, 취소합니다")
    assert "점검을 취소했습니다" in admin.last_text
    await eunjeong.expect("점검을 시청 담당자가 취소했습니다")
    await eunjeong.press_data(message_id, buttons.ANSWER.pack(inspection.id, 3, "pass"))
    assert STALE in eunjeong.callback_answers[-1]["text"]
    await nothing_failed(sandbox)


async def test_staff_keep_the_checklist(tuesday_morning, bot, sandbox, db):
    admin = await staff(sandbox)
    await admin.send("/checklist")
    assert "안전 점검 체크리스트" in admin.last_text and "8. 프로그램이 안내된" in admin.last_text
    await admin.press("참가자 보험 가입")
    assert "⬜ 3. 참가자 보험 가입" in admin.last_text
    await admin.press("➕ 항목 추가")
    item_asked = admin.last_message["message_id"]
    await admin.send("가")
    assert "2자에서 200자까지" in admin.last_text
    await admin.send("소화기 위치 <표시>")
    assert not message(admin, item_asked).get("reply_markup")  # the list below has its own
    assert "9. 소화기 위치 &lt;표시&gt;" in admin.last_text or "9. 소화기 위치 <표시>" in (
        admin.last_text
    )

    monitor = await join_monitor(sandbox, db, 1401, "은정", "덕양구")
    await monitor.send("/inspections")
    await monitor.press("📋 점검할 곳 고르기")
    await monitor.press("소소 캔들공방")
    await monitor.press("▶ 점검 시작")
    await answer_all(monitor, ["pass"] * 7)
    assert "항목 8/8" in monitor.last_text and "소화기 위치 <표시>" in monitor.last_text
    await nothing_failed(sandbox)


async def test_staff_find_a_site_by_part_of_its_name(tuesday_morning, bot, sandbox, db):
    admin = await staff(sandbox)
    await join_monitor(sandbox, db, 1401, "은정", "일산서구")
    await admin.send("/inspections")
    await admin.press("🔎 체험처 찾기")
    assert "체험처 이름의 일부를 입력해 주십시오" in admin.last_text
    await admin.send("없는체험처이름")
    assert "‘없는체험처이름’에 맞는 체험처가 없습니다" in admin.last_text
    await admin.send("펫살롱")
    assert "체험처를 고르시거나" in admin.last_text
    await admin.press("멍냥 펫살롱")
    assert "누구에게 점검을 맡기시겠습니까" in admin.last_text
    assert "은정 (일산서구)" in admin.buttons
    await nothing_failed(sandbox)
