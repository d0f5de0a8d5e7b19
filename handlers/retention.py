"""The retention sweep on the clock (storage/retention.py says what goes when): once a day,
and a minute after the bot starts, so a bot restarted daily still sweeps."""

from __future__ import annotations

import logging

from bot.context import JinroContext
from storage import retention

log = logging.getLogger(__name__)


def limits(settings) -> retention.Limits:
    return retention.Limits(
        left_days=settings.retention_left_days,
        case_months=settings.retention_case_months,
        audit_months=settings.retention_audit_months,
    )


async def sweep_tick(application) -> None:
    context = JinroContext(application)
    swept = await retention.sweep(
        context.db, now=context.now, tz=context.tz, limits=limits(context.settings)
    )
    done = {rule: rows for rule, rows in swept.done.items() if rows}
    if done:  # counts per rule only: never who
        log.info("retention sweep: %s", done)
