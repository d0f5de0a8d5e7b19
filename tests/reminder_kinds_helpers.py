"""What the reminder-kind tests share: Seoul's clock, the outbox rows, moving the bot's clock
to December 2026 where their stories are told, and one tick of the clock at a moment."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from handlers.outbox import dispatch_tick, plan_tick
from storage.models import Reminder

KST = ZoneInfo("Asia/Seoul")


def kst(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=KST)


async def outbox(db, kind: str | None = None) -> list:
    stmt = select(Reminder.__table__).order_by(Reminder.key)
    if kind is not None:
        stmt = stmt.where(Reminder.kind == kind)
    async with db.read() as conn:
        return list((await conn.execute(stmt)).all())


@pytest.fixture(autouse=True)
def in_december_2026():
    """These stories are told in December 2026 (the kst(...) moments below). The bot's own
    clock must be there too: at a later real date its background ticks would send at once
    what a story says is not due yet (a digest before 08:30, a reminder before its day)."""
    with time_machine.travel(kst(2026, 12, 1, 9), tick=True):
        yield


async def tick_at(bot, moment: datetime, *, plan: bool = False) -> None:
    """The clock at `moment`: the hourly planning step if asked, then one dispatch."""
    with time_machine.travel(moment, tick=True):
        if plan:
            await plan_tick(bot)
        await dispatch_tick(bot)


def count(person, fragment: str) -> int:
    return sum(fragment in m.get("text", "") for m in person.bot_messages)
