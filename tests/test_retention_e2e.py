"""The retention sweep through the running bot: joining records when a student will leave,
every day they write records that they were here, and the clock's daily step forgets them a
month after they left; they can come back as a newcomer."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import time_machine
from sqlalchemy import select

from handlers.retention import sweep_tick
from storage import school_year
from storage.models import User
from tests.conftest import KST, join_as_student


async def the_row(db, user_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(User.__table__).where(User.id == user_id))).first()


async def test_a_third_grader_is_forgotten_a_month_after_leaving(bot, sandbox, db):
    today = datetime.now(KST).date()
    student = await join_as_student(sandbox, 7401, "윤슬기", grade=3)
    row = await the_row(db, 7401)
    assert row.leaves_on == school_year.leaves_on(today, 3)
    assert row.seen_on == today

    grace = timedelta(days=bot.bot_data["settings"].retention_left_days)
    for day, still_here in ((row.leaves_on + grace - timedelta(days=1), True),
                            (row.leaves_on + grace, False)):  # fmt: skip
        with time_machine.travel(datetime.combine(day, time(4, 0), tzinfo=KST), tick=True):
            await sweep_tick(bot)
        assert (await the_row(db, 7401) is not None) is still_here

    await student.send("/start")
    assert "학생이에요" in str(student.last_message.get("reply_markup"))
