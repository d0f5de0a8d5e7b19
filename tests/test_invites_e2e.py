"""Staff's invite links in the chat, end to end through the sandbox on both databases: how
long a link works is chosen, a long list of schools says there are more, every link comes
with its QR code for a printed letter, and /invites lists the links that still work and
stops one."""

from __future__ import annotations

import struct
from datetime import timedelta

import segno
from sqlalchemy import select

from handlers.invites.qr import qr_png
from storage.models import AuditEntry, Invite
from tests.conftest import ADMIN_ID


def test_the_qr_code_is_a_png_of_the_link_that_prints_sharp():
    link = "https://t.me/jinro_demo_bot?start=iAbCdEfGhIjKlMnOp"
    png = qr_png(link)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    modules = segno.make(link, error="m", micro=False).symbol_size(scale=8, border=4)
    assert (width, height) == modules and width >= 8 * (21 + 8)


async def _invite_teacher(admin, school: str, uses: str, days: str) -> str:
    await admin.send("/invite")
    await admin.press("선생님")
    await admin.send(school)
    await admin.press(school)
    await admin.press(uses)
    await admin.press(days)
    created = admin.messages[-2]["text"]
    assert "초대 링크를 만들었습니다" in created
    return next(w for w in created.split() if "start=" in w).split("start=", 1)[1]


async def test_a_link_for_a_letter_works_a_month_and_comes_as_a_qr_code(bot, sandbox, db):
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/invite")
    await admin.press("선생님")
    await admin.send("중")  # every school matches: more than the buttons show
    assert "맞는 이름이 더 있습니다" in admin.last_text
    assert len(admin.buttons) == 8
    await admin.send("백석")
    assert "맞는 이름이 더 있습니다" not in admin.last_text
    await admin.press("백석중학교")
    await admin.press("30명")
    assert "며칠 동안" in admin.last_text
    await admin.send("한 달")  # typed where a button is asked for
    assert "아래 버튼 중에서 골라 주십시오" in admin.messages[-2]["text"]
    await admin.press("30일")
    photo = admin.last_message
    assert photo.get("photo") and "QR 코드" in photo.get("caption", "")
    async with db.read() as conn:
        invite = (await conn.execute(select(Invite.__table__))).one()
    # A month, ending on the whole hour before (as the list shows it, storage.moments).
    assert (
        timedelta(days=30, hours=-1) < invite.expires_at - invite.created_at <= timedelta(days=30)
    )
    assert invite.expires_at.minute == 0
    assert invite.max_uses == 30
    assert f"start={invite.code}" in admin.messages[-2]["text"]
    # The schools found for "중" and the days asked before "한 달" lost their buttons when
    # found or asked again below: nothing is left to press.
    assert not [m["text"][:20] for m in admin.bot_messages if m.get("reply_markup")]


async def test_invites_lists_the_working_links_and_stops_one(bot, sandbox, db):
    admin = sandbox.user(ADMIN_ID, "관리자")
    await admin.send("/invites")
    assert "지금 쓸 수 있는 초대 링크가 없습니다" in admin.last_text
    first = await _invite_teacher(admin, "백석중학교", "1명", "7일")
    await _invite_teacher(admin, "정발중학교", "5명", "90일")
    await admin.send("/invites")
    listed = admin.last_text
    assert "쓸 수 있는 초대 링크: 2개" in listed
    assert "1. 선생님 · 정발중학교" in listed  # newest first
    assert "2. 선생님 · 백석중학교 — 1명 중 0명 가입" in listed
    await admin.press("🚫 2번 중지")
    assert admin.last_text.startswith("초대 링크를 중지했습니다")
    assert "쓸 수 있는 초대 링크: 1개" in admin.last_text
    assert "백석중학교" not in admin.last_text

    teacher = sandbox.user(1180, "교사")
    await teacher.send(f"/start {first}")
    assert "가입을 마쳤습니다" not in teacher.last_text  # the stopped link signs no one up
    async with db.read() as conn:
        entries = await conn.execute(
            select(AuditEntry.actor_id).where(AuditEntry.action == "invite.revoke")
        )
        assert entries.scalars().all() == [ADMIN_ID]

    teacher_too = sandbox.user(1181, "교사")
    await teacher_too.send("/invites")
    assert "쓸 수 없" in teacher_too.last_text  # staff only
