"""Dates and deadlines as people expect them, end to end through the sandbox (issue 20): a
deadline someone is told falls on a round time and is kept as told; a safety result that needs
fixing has one date everywhere; example dates in questions lie ahead of the city's today; a
student's date filter takes a time too; a card names the session's time span and the hours
credited apart; a second booking of the same programme is pointed out before it is made.

Each test sets its own clock (time-machine, ticking) or reads the city's today: they pass at any
date and hour.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import update

from storage.bookings import answer_by
from storage.models import User
from storage.moments import round_deadline
from tests.conftest import join_as_student
from tests.test_deadlines_e2e import (
    KST,
    apply,
    bookings_of,
    moment,
    next_tuesday,
    tuesday_at,
    world,
)
from tests.world_helpers import add_teacher

# ----- a deadline falls on a round time, kept as told ------------------------------------------


async def test_a_teachers_answer_deadline_is_a_whole_hour_kept_as_told(bot, sandbox, db):
    # 03:27 on Tuesday for a session six days off: 48 hours would end at Thursday 03:27;
    # the deadline is Thursday 03:00, never later than the rule allows.
    with tuesday_at(3, 27) as start:
        later = start.date() + timedelta(days=6)
        session_id = await world(db, datetime.combine(later, time(10), tzinfo=KST))
        teacher = await add_teacher(db, sandbox, 6501, "박선영")
        minji = await join_as_student(sandbox, 6511, "김민지")
        await apply(minji, session_id)
        await minji.expect("자리를 맡아 두었어요")
        due = datetime.combine(start.date() + timedelta(days=2), time(3), tzinfo=KST)
        assert f"선생님께 {moment(due)}까지 승인해 달라고 요청했어요" in minji.last_text
        assert ":27" not in minji.last_text
        notice = await teacher.expect("새 체험 신청")
        assert f"{moment(due)}까지 답해 주십시오" in notice["text"]
        await teacher.send("/pending")
        assert f"{moment(due)}까지 답변" in teacher.last_text
        [booking] = await bookings_of(db, session_id)
        assert booking.expires_at == due  # kept as told

        # In English, the same moment.
        async with db.write() as conn:
            await conn.execute(update(User).where(User.id == 6501).values(lang="en"))
        await teacher.send("/pending")
        assert f"answer by {due:%d %b %Y} 03:00" in teacher.last_text
        assert ":27" not in teacher.last_text


def test_a_deadline_is_rounded_down_never_past_and_never_later_than_the_rule():
    tuesday = next_tuesday()

    def at(days: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(tuesday + timedelta(days=days), time(hour, minute), tzinfo=KST)

    hold = timedelta(hours=48)
    assert answer_by(at(9, 10), at(0, 3, 27), hold) == at(2, 3)  # the whole hour before
    assert answer_by(at(1, 10), at(0, 3, 27), hold) == at(0, 17)  # the roster: round already
    # Close to the start, the whole hour has passed: the half or quarter hour, never the past.
    assert answer_by(at(1, 10, 30), at(1, 10, 10), hold) == at(1, 10, 30)
    assert answer_by(at(1, 10, 20), at(1, 10, 5), hold) == at(1, 10, 15)
    assert round_deadline(at(1, 10, 20), at(1, 10, 16)) == at(1, 10, 20)
    for minute in range(60):
        now = at(0, 9, minute)
        shown = answer_by(at(9, 10), now, hold)
        assert now < shown <= now + hold and shown.minute == 0
