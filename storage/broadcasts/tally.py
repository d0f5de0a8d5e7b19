"""Figures: how a broadcast's deliveries stand, and the estimate of the time left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.common import CANCELLED, Share
from storage.tables import broadcasts, reminders

BLOCKED = "Forbidden"  # last_error of a delivery to someone who blocked the bot
RATE_WINDOW = timedelta(seconds=60)  # the estimate of time left follows the last minute


@dataclass(frozen=True)
class Figures:
    total: int = 0
    delivered: int = 0
    blocked: int = 0  # the recipient blocked the bot (now inactive)
    failed: int = 0  # given up for another reason, counted in `reasons`
    reasons: list[Share] = field(default_factory=list)  # the most frequent first
    cancelled: int = 0
    skipped: int = 0  # no longer sendable (e.g. the recipient left), not counting cancelled
    pending: int = 0
    held: int = 0
    in_flight: int = 0  # claimed by a sender right now
    later: int = 0  # pending, due later (scheduled, or a student's copy after quiet hours)
    recent: int = 0  # settled within RATE_WINDOW: the rate for the estimate

    @property
    def waiting(self) -> int:
        return self.pending + self.held + self.in_flight

    @property
    def undelivered(self) -> int:
        return self.blocked + self.failed + self.cancelled + self.skipped

    def to_json(self) -> dict:
        values = {key: getattr(self, key) for key in self.__dataclass_fields__}
        return {**values, "reasons": [list(share) for share in self.reasons]}

    @classmethod
    def from_json(cls, data: dict) -> Figures:
        known = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        reasons = [Share(*reason) for reason in known.pop("reasons", [])]
        return cls(**known, reasons=reasons)

    def shown(self, status: str) -> str:
        """What a progress message says in short: it is edited only when this changes."""
        parts = (status, self.delivered, self.blocked, self.failed, self.cancelled)
        return ":".join(map(str, (*parts, self.skipped, self.waiting, self.later)))


async def figures(
    conn: AsyncConnection, broadcast_ids: list[int], *, now: datetime
) -> dict[int, Figures]:
    """Each broadcast's figures: a finished one's as kept with its report, the others
    counted from their deliveries (one grouped read for all)."""
    if not broadcast_ids:
        return {}
    kept = await conn.execute(
        select(broadcasts.c.id, broadcasts.c.outcome).where(
            broadcasts.c.id.in_(broadcast_ids), broadcasts.c.outcome.is_not(None)
        )
    )
    found = {row.id: Figures.from_json(row.outcome) for row in kept.all()}
    counting = [broadcast_id for broadcast_id in broadcast_ids if broadcast_id not in found]
    return {**found, **await _counted(conn, counting, now)} if counting else found


async def _counted(conn: AsyncConnection, broadcast_ids: list[int], now: datetime):
    r = reminders.c
    rows = await conn.execute(
        select(
            r.broadcast_id,
            r.status,
            r.last_error,
            func.count().label("n"),
            func.sum(case((r.due_at > now, 1), else_=0)).label("later"),
            func.sum(case((r.sent_at >= now - RATE_WINDOW, 1), else_=0)).label("recent"),
        )
        .where(r.broadcast_id.in_(broadcast_ids))
        .group_by(r.broadcast_id, r.status, r.last_error)
    )
    tallies = {broadcast_id: _Tally() for broadcast_id in broadcast_ids}
    for row in rows.all():
        tallies[row.broadcast_id].add(row)
    return {broadcast_id: tally.figures() for broadcast_id, tally in tallies.items()}


class _Tally:
    def __init__(self) -> None:
        self.values = dict.fromkeys(
            ("total", "delivered", "blocked", "failed", "cancelled", "skipped", "pending"), 0
        )
        self.values.update(held=0, in_flight=0, later=0, recent=0)
        self.reasons: dict[str, int] = {}

    def add(self, row: Row) -> None:
        v, n = self.values, row.n
        v["total"] += n
        if row.status in ("sent", "dead"):
            v["recent"] += row.recent or 0
        if row.status == "sent":
            v["delivered"] += n
        elif row.status == "dead" and row.last_error == BLOCKED:
            v["blocked"] += n
        elif row.status == "dead":
            v["failed"] += n
            reason = row.last_error or "?"
            self.reasons[reason] = self.reasons.get(reason, 0) + n
        elif row.status == "skipped":
            v["cancelled" if row.last_error == CANCELLED else "skipped"] += n
        elif row.status == "pending":
            v["pending"] += n
            v["later"] += row.later or 0
        elif row.status == "held":
            v["held"] += n
        elif row.status == "sending":
            v["in_flight"] += n

    def figures(self) -> Figures:
        reasons = sorted(self.reasons.items(), key=lambda item: (-item[1], item[0]))
        return Figures(**self.values, reasons=[Share(*reason) for reason in reasons])


def time_left(found: Figures, started: datetime | None, now: datetime) -> timedelta | None:
    """How long what is due now will take at the rate of the last minute; None before
    there is a rate to go by."""
    due_now = found.pending - found.later + found.in_flight
    if started is None or not found.recent or not due_now:
        return None
    elapsed = min(RATE_WINDOW, max(now - started, timedelta(seconds=1)))
    per_second = found.recent / elapsed.total_seconds()
    return timedelta(seconds=due_now / per_second)
