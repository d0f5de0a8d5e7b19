"""The clock stops cleanly: a step in hand finishes, a step handed out but not begun is not
begun, and neither is reported as a failed job."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from bot.runner import Clock


async def test_a_step_handed_out_just_before_the_stop_is_not_cancelled(caplog):
    ran: list[str] = []

    async def tick(application) -> None:
        ran.append("begun")
        await asyncio.sleep(0.01)
        ran.append("done")

    clock = Clock(application=None)
    clock.every(tick, seconds=3600)
    clock.scheduler.start()
    job = clock.scheduler.get_jobs()[0]
    # What the scheduler does when the step falls due: the task is made, not yet run.
    clock.scheduler._lookup_executor("default").submit_job(job, [datetime.now(UTC)])
    with caplog.at_level(logging.ERROR, logger="apscheduler"):
        await clock.stop()
        await asyncio.sleep(0.05)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert ran == []


async def test_a_step_in_hand_finishes_before_the_clock_stops(caplog):
    ran: list[str] = []
    begun = asyncio.Event()

    async def tick(application) -> None:
        ran.append("begun")
        begun.set()
        await asyncio.sleep(0.05)
        ran.append("done")

    clock = Clock(application=None)
    clock.every(tick, seconds=3600, first_in=0)
    clock.scheduler.start()
    await asyncio.wait_for(begun.wait(), 5)
    with caplog.at_level(logging.ERROR, logger="apscheduler"):
        await clock.stop()
    assert ran == ["begun", "done"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
