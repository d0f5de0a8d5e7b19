"""Joining, end to end: the real bot, driven through the sandbox over HTTP, for every role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from handlers.consent import buttons as consent
from handlers.onboarding import buttons
from storage import invites, monitors
from storage import users as users_store
from storage.models import Invite, Role, User, utcnow
from tests.conftest import ADMIN_ID, join_as_student

# A student hears of consent only 08:00-21:00 (the outbox): the stories run on a Tuesday morning.
pytestmark = pytest.mark.usefixtures("tuesday_morning")


async def make_invite(db, role, **kwargs):
    async with db.write() as conn:
        school_id = site_id = None
        if role == Role.TEACHER:
            school_id = (await users_store.find_schools(conn, "정발중"))[0].id
        if role == Role.SITE:
            site_id = (await users_store.find_sites(conn, "MBC ART"))[0].id
        invite = await invites.create(
            conn,
            role=role,
            created_by=ADMIN_ID,
            school_id=school_id,
            site_id=site_id,
            now=utcnow(),
            **kwargs,
        )
    return invite.code


async def user_row(db, user_id):
    async with db.read() as conn:
        return await users_store.get(conn, user_id)


async def test_student_joins_in_korean(bot, sandbox, db):
    minji = sandbox.user(1001, "민지")
    await minji.send("/start")
    assert "어떤 분이신가요?" in minji.last_text
    await minji.press("학생이에요")
    assert "학교" in minji.last_text
    await minji.send("정발")
    await minji.press("정발중학교")
    assert "몇 학년" in minji.last_text
    await minji.press("2학년")
    await minji.send("김민지")
    assert "태어났나요" in minji.last_text
    await minji.press("아니요")
    assert "가입 완료" in minji.last_text and "정발중학교 2학년" in minji.last_text
    row = await user_row(db, 1001)
    assert (row.role, row.grade, row.name, row.under14, row.flow) == (
        "student",
        2,
        "김민지",
        False,
        None,
    )
    menus = await sandbox.calls("setMyCommands")
    mine = [c for c in menus if (c["params"].get("scope") or {}).get("chat_id") == 1001]
    assert [c["command"] for c in mine[-1]["params"]["commands"]][:4] == [
        "search",
        "foryou",
        "my",
        "help",
    ]


async def test_english_speaker_gets_english(bot, sandbox):
    alex = sandbox.user(1010, "Alex", language_code="en")
    await alex.send("/start")
    assert "Who are you?" in alex.last_text
    await alex.press("Switch language")
    assert "어떤 분이신가요?" in alex.last_text


async def test_under_14_is_asked_for_the_guardians_number_on_joining(bot, sandbox, db):
    """The rest of consent: tests/test_consent_e2e.py."""
    seojun = await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    assert "보호자 동의가 필요해요" in seojun.last_text
    assert "보호자의 휴대전화 번호를 입력해 주세요" in seojun.last_text
    assert (await user_row(db, 1002)).flow == "cn.phone"
    await seojun.send("010-2345-6789")
    assert "start=c" in seojun.last_text


async def test_teacher_joins_by_invite_and_records_a_paper_form(bot, sandbox, db):
    await join_as_student(sandbox, 1002, "이서준", under14=True, grade=1)
    code = await make_invite(db, Role.TEACHER)
    teacher = sandbox.user(1101, "선영", "박")
    await teacher.send(f"/start {code}")
    assert "선생님으로 가입합니다" in teacher.messages[-2]["text"]
    assert "정발중학교" in teacher.messages[-2]["text"]
    await teacher.press("“박선영”")
    await teacher.press("1학년")
    assert "✓ 1학년" in teacher.buttons
    await teacher.press("3학년")
    await teacher.press("완료")
    assert "선생님으로 가입을 마쳤습니다" in teacher.last_text
    row = await user_row(db, 1101)
    assert (row.role, row.grades, row.name) == ("teacher", "1,3", "박선영")

    await teacher.send("/consents")
    assert "1명" in teacher.last_text
    await teacher.press("이서준: 동의서 받음")
    assert "동의: 종이 동의서" in teacher.last_text
    seojun = sandbox.user(1002, "이서준")
    await seojun.expect("선생님이 보호자 동의서를 기록해 주셨어요")
    assert (await user_row(db, 1002)).consent_method == "paper"


async def test_site_mentor_monitor_and_staff_join_by_invite(bot, sandbox, db):
    site = sandbox.user(1201, "담당자")
    await site.send(f"/start {await make_invite(db, Role.SITE)}")
    assert "MBC ART" in site.messages[-2]["text"]
    await site.send("김담당")
    assert "김담당 님, 체험처로 가입을 마쳤습니다" in site.last_text

    mentor = sandbox.user(1301, "Mentor")
    await mentor.send(f"/start {await make_invite(db, Role.MENTOR)}")
    await mentor.send("정하늘")
    await mentor.press("대학생 멘토")
    await mentor.send("간호")
    await mentor.expect("정하늘 님, 멘토로 가입을 마쳤습니다")  # then asked for free times
    assert (await user_row(db, 1301)).mentor_id is not None

    monitor = sandbox.user(1401, "은정")
    await monitor.send(f"/start {await make_invite(db, Role.MONITOR)}")
    await monitor.press("“은정”")
    assert "어느 구를 맡으십니까" in monitor.last_text
    await monitor.send("일산")  # a button is expected: the question comes again
    assert "어느 구를 맡으십니까" in monitor.last_text
    await monitor.press("일산서구")
    assert "학부모 지원단" in monitor.last_text
    async with db.read() as conn:
        assert (await monitors.get(conn, 1401)).district == "일산서구"

    staff = sandbox.user(1501, "Staff")
    await staff.send(f"/start {await make_invite(db, Role.STAFF)}")
    await staff.send("오미근")
    await staff.send("/help")
    assert "/invite" in staff.last_text


async def test_staff_from_admin_ids_are_welcomed_then_welcomed_back(bot, sandbox, db):
    """ADMIN_IDS makes staff on their very first update: that /start is a welcome, not
    "welcome back"; the next /start is."""
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/start")
    assert "진로 봇에 오신 것을 환영합니다" in admin.last_text
    assert "담당자로 등록되어 있습니다" in admin.last_text
    assert "다시" not in admin.last_text
    await admin.send("/start")
    assert "다시 만나 반갑습니다" in admin.last_text


async def test_staff_from_admin_ids_invites_a_teacher_in_the_chat(bot, sandbox, db):
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/invite")
    await admin.press("선생님")
    await admin.send("백석")
    await admin.press("백석중학교")
    await admin.press("5명")
    await admin.press("7일")
    created = admin.messages[-2]["text"]  # then its QR code
    assert "초대 링크를 만들었습니다" in created
    link = next(w for w in created.split() if "start=" in w)
    teacher = sandbox.user(1102, "Teacher")
    await teacher.send(f"/start {link.split('start=', 1)[1]}")
    assert "백석중학교" in teacher.messages[-2]["text"]
    async with db.read() as conn:
        uses = (await conn.execute(select(Invite.__table__.c.uses))).scalar_one()
    assert uses == 1

    student = sandbox.user(1103, "학생")
    await student.send("/invite")
    assert "쓸 수 없어요" in student.last_text


async def test_invalid_used_and_expired_invites_are_explained(bot, sandbox, db):
    visitor = sandbox.user(1600, "방문자")
    await visitor.send("/start iDoesNotExist")
    assert "초대 코드를 찾을 수 없습니다" in visitor.last_text

    code = await make_invite(db, Role.MONITOR, max_uses=1)
    await sandbox.user(1601, "첫째").send(f"/start {code}")
    await visitor.send(f"/start {code}")
    assert "정해진 인원이 모두 사용했습니다" in visitor.last_text

    expired = await make_invite(db, Role.MONITOR)
    async with db.write() as conn:
        await conn.execute(
            update(Invite.__table__)
            .where(Invite.__table__.c.code == expired)
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
    await visitor.send(f"/start {expired}")
    assert "만료되었습니다" in visitor.last_text

    minji = await join_as_student(sandbox, 1602, "김민지")
    await minji.send(f"/start {await make_invite(db, Role.TEACHER)}")
    assert "이미 학생으로 가입되어 있어" in minji.last_text
    assert (await user_row(db, 1602)).role == "student"

    await visitor.send("/start xyz")  # a link of no known kind
    assert "처음부터 시작할게요" in visitor.last_text

    typed = sandbox.user(1603, "코드")
    await typed.send("/start")
    await typed.press("초대받았어요")
    await typed.send(f"https://t.me/jinro_demo_bot?start={await make_invite(db, Role.MONITOR)}")
    assert "학부모 지원단으로 가입합니다" in typed.messages[-2]["text"]


async def test_free_text_where_a_button_was_expected(bot, sandbox, db):
    minji = sandbox.user(1700, "민지")
    await minji.send("/start")
    await minji.send("잘 모르겠어요")
    assert "어떤 분이신가요?" in minji.last_text and "학생이에요" in minji.buttons[0]
    await minji.press("학생이에요")
    await minji.send("없는학교이름")
    assert "찾은 학교가 없어요" in minji.last_text
    await minji.send("정발")
    await minji.press("정발중학교")
    await minji.send("4학년이요")
    assert minji.messages[-2]["text"].startswith("아래 버튼 중에서 골라 주세요")
    assert minji.buttons == ["1학년", "2학년", "3학년"]
    await minji.send("2학년이요")  # a button's answer in her own words counts as pressed
    await minji.send("<b>1234</b>")
    assert "이름만 글자로" in minji.last_text
    # walking away halfway leaves nothing half-written, and no button of the step
    asked = next(m for m in reversed(minji.bot_messages) if m.get("reply_markup"))
    assert "“민지”" in str(asked["reply_markup"])  # offered as the name
    await minji.send("/cancel")
    assert "취소했어요" in minji.last_text
    await minji.refresh()
    asked = next(m for m in minji.bot_messages if m["message_id"] == asked["message_id"])
    assert not asked.get("reply_markup")
    row = await user_row(db, 1700)
    assert (row.role, row.school_id, row.grade, row.name, row.flow) == (
        None,
        None,
        None,
        None,
        None,
    )


async def test_bad_input_in_any_state_gets_a_short_answer(bot, sandbox, db):
    minji = sandbox.user(1800, "민지")
    await minji.send_sticker()
    assert "글자와 버튼만" in minji.last_text
    await minji.send("/start")
    await minji.send_photo()
    assert "글자와 버튼만" in minji.last_text
    await minji.send("/nosuchcommand")
    assert "모르는 명령어" in minji.last_text
    first = minji.bot_messages[0]["message_id"]
    start = next(m for m in minji.messages if not m["from_bot"] and m.get("text") == "/start")
    await minji.edit(start["message_id"], "/help")
    assert "고친 메시지는 다시 읽지 않아요" in minji.last_text
    for forged in (
        buttons.SCHOOL.pack(999999),
        "zz:1",
        "ob:gr:7",
        consent.PAPER_FORM.pack(0, 0, 1),
        "gc:y:cNOPE",
        consent.RELATIONSHIP.pack("parent", "c" + "N" * 22),  # well-formed, but no such link
        consent.WITHDRAW.pack(0, 1),  # no child of theirs
        "inv:uses:5",
        buttons.AGE.pack("y"),
        "ob:sc:" + "9" * 30,
        "lang:xx",
    ):
        await minji.press_data(first, forged)
        assert minji.callback_answers[-1]["text"], forged
    assert "이 버튼은 이제 쓸 수 없어요" in minji.callback_answers[-1]["text"]
    row = await user_row(db, 1800)
    assert row.role is None and row.school_id is None and row.lang == "ko"


async def test_html_in_names_shows_as_written(bot, sandbox, db):
    from storage.models import School

    async with db.write() as conn:
        await conn.execute(
            School.__table__.insert().values(
                name="<b>Café & Co</b> 중학교", district="덕양구", kind="middle"
            )
        )
    student = sandbox.user(1900, "학생")
    await student.send("/start")
    await student.press("학생이에요")
    await student.send("Café")
    await student.press("<b>Café & Co</b>")
    assert "<b>Café & Co</b> 중학교, 몇 학년이에요?" in student.last_text

    from storage.models import Site

    async with db.write() as conn:
        site_id = (
            await conn.execute(
                Site.__table__.insert()
                .values(
                    name="<b>Café & Co</b>",
                    kind="small_business",
                    district="일산서구",
                    safety_status="passed",
                )
                .returning(Site.__table__.c.id)
            )
        ).scalar_one()
        code = (
            await invites.create(
                conn, role=Role.SITE, created_by=ADMIN_ID, site_id=site_id, now=utcnow()
            )
        ).code
    owner = sandbox.user(1901, "사장님")
    await owner.send(f"/start {code}")
    assert "체험처: <b>Café & Co</b>" in owner.messages[-2]["text"]


async def test_an_update_delivered_twice_is_handled_once(bot, sandbox, db):
    minji = sandbox.user(2000, "민지")
    await minji.send("/start")
    await minji.press("학생이에요")
    answered = len(minji.bot_messages)
    stats = await sandbox.update_stats()
    await sandbox.redeliver(stats[-1]["update_id"])
    await minji.send("/help")  # the duplicate is queued before this one
    assert len(minji.bot_messages) == answered + 1


async def test_help_cancel_and_settings_for_every_role(bot, sandbox, db):
    minji = await join_as_student(sandbox, 2100, "김민지")
    await minji.send("/help")
    assert "/consent" in minji.last_text
    await minji.send("/cancel")
    assert "지금 취소할 일은 없어요" in minji.last_text
    await minji.send("/settings")
    await minji.press("English")
    assert "I will speak English" in minji.last_text
    await minji.send("/help")
    assert "What you can do" in minji.last_text
    async with db.read() as conn:
        count = (await conn.execute(select(func.count()).select_from(User.__table__))).scalar()
    assert count == 1


async def test_a_buttons_answer_typed_instead_of_pressed_counts(bot, sandbox, db):
    """At a button step a student types the answer ("학생", "2학년", "아니요", a label in
    English): it counts as the press; anything else shows the buttons again."""
    minji = sandbox.user(1701, "민지")
    await minji.send("/start")
    await minji.send("학생")
    assert "학교" in minji.last_text  # asked for the school, not "press a button"
    await minji.send("정발")
    await minji.press("정발")
    await minji.send("몰라요")
    assert "버튼" in minji.messages[-2]["text"]  # pressed nothing: the buttons again
    await minji.send("2 학년")
    await minji.send("김민지")
    await minji.send("Grade 3")  # at the age step, a grade is no answer
    assert "버튼" in minji.messages[-2]["text"]
    await minji.send("아니요")
    async with db.read() as conn:
        joined = await users_store.get(conn, 1701)
    assert (joined.role, joined.grade, joined.under14) == (Role.STUDENT, 2, False)
    # Every question answered by typing, or asked again below, lost its buttons.
    assert not [m["text"][:20] for m in minji.bot_messages if m.get("reply_markup")]

    seojun = sandbox.user(1702, "서준")
    await seojun.send("/start")
    await seojun.send("🎒 학생이에요")
    await seojun.send("정발")
    await seojun.press("정발")
    await seojun.send("중1")
    await seojun.send("이서준")
    await seojun.send("Yes (under 14)")
    async with db.read() as conn:
        joined = await users_store.get(conn, 1702)
    assert (joined.role, joined.grade, joined.under14) == (Role.STUDENT, 1, True)


async def test_a_newcomers_cancel_at_the_first_question_stops_nothing(bot, sandbox, db):
    """Nothing is typed or saved yet: /cancel says there was nothing to stop, not that what
    was under way is thrown away; /start asks again."""
    newcomer = sandbox.user(1710, "하늘")
    await newcomer.send("/start")
    await newcomer.send("/cancel")
    assert newcomer.last_text.startswith("지금 취소할 일은 없어요")
    assert "저장하지 않았" not in newcomer.last_text
    await newcomer.send("/start")
    assert "어떤 분이신가요?" in newcomer.last_text
