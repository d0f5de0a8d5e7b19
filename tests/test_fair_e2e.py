"""Staff type a fair opening's time, end to end through the sandbox: a weekday named without a
week is the next one to come after now, as in every other step that asks for a future moment
(the rest of the fair opening: tests/test_bookings_e2e.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine

from tests.conftest import ADMIN_ID, KST


@pytest.fixture
def wednesday_afternoon():
    """Next Wednesday 15:00 in Seoul, the clock ticking from there: the test does not depend on
    the day or hour it runs at."""
    today = datetime.now(KST).date()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    start = datetime.combine(wednesday, time(15), tzinfo=KST)
    with time_machine.travel(start, tick=True):
        yield start


async def test_a_weekday_typed_on_that_weekday_afternoon_is_the_next_one(
    wednesday_afternoon, bot, sandbox, db
):
    staff = sandbox.user(ADMIN_ID, "담당자")
    await staff.send("꽃")
    await staff.press("1. ")
    await staff.press("공정 신청 설정")
    await staff.press("신청 시작 시각")
    await staff.send("수요일 10시")  # this morning's has gone: next week's
    next_week = wednesday_afternoon.date() + timedelta(days=7)
    assert f"{next_week.month}월 {next_week.day}일 10:00 신청 시작" in staff.last_text

    await staff.press("신청 시작 시각")
    await staff.send("수요일 16시")  # still to come today
    today = wednesday_afternoon.date()
    assert f"{today.month}월 {today.day}일 16:00 신청 시작" in staff.last_text
