"""Service levels (the clock): a case waiting for its mediator's first word, or a
mediator's message waiting for an answer, is reminded, then escalated to staff."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, monitors
from storage.cases.common import ANSWER_WAIT, MEDIATOR_WAIT, PARTY_ROLES, POSTS, _add, _tell
from storage.cases.mediating import _escalate
from storage.cases.reading import party_list
from storage.tables import case_messages as messages
from storage.tables import cases, sites

SECOND_WAIT_MAX = timedelta(hours=24)  # from the reminder to the escalation, at most


# ----- service levels (the clock) --------------------------------------------------------------


def second_wait(span: timedelta) -> timedelta:
    """From a service level's reminder to the escalation: the same wait again, at most a day
    (4 hours for a mediator, 24 for an answer with the defaults)."""
    return min(span, SECOND_WAIT_MAX)


async def check_service_levels(
    conn: AsyncConnection,
    *,
    now: datetime,
    mediator_wait: timedelta = MEDIATOR_WAIT,
    answer_wait: timedelta = ANSWER_WAIT,
    limit: int = 50,
) -> list[int]:
    """Open cases whose service level fell due: at step 0 the people it waits for are
    reminded and the escalation is set for later (step 1); at step 1 it goes to staff.
    Returns the cases acted on."""
    pick = (
        select(cases)
        .where(cases.c.status == "open", cases.c.due_at <= now)
        .order_by(cases.c.due_at, cases.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    acted = []
    for found in (await conn.execute(pick)).all():
        why = "no_mediator" if found.due_what == "mediator" else "no_answer"
        if found.due_step >= 1:
            done = await _escalate(conn, found, why, now)
        else:
            span = mediator_wait if found.due_what == "mediator" else answer_wait
            done = await _remind(conn, found, now, second_wait(span))
            if done is None:  # nobody to remind: straight to staff
                done = await _escalate(conn, found, why, now)
        if done:
            acted.append(found.id)
    return acted


async def _remind(conn, found: Row, now: datetime, then: timedelta) -> bool | None:
    """Step 0: remind and move to step 1. None when there is nobody to remind."""
    if found.due_what == "mediator":
        if found.monitor_id is not None:
            told = [found.monitor_id]
        else:
            district = await conn.scalar(
                select(sites.c.district).where(sites.c.id == found.site_id)
            )
            told = [m.id for m in await monitors.in_district(conn, district)]
        kind = "case_sla_mediator"
    else:
        told = await _awaited(conn, found)
        kind = "case_sla_answer"
    if not told:
        return None
    swapped = await conn.execute(
        update(cases)
        .where(
            cases.c.id == found.id,
            cases.c.status == "open",
            cases.c.due_at == found.due_at,
            cases.c.due_step == 0,
        )
        .values(due_at=now + then, due_step=1)
    )
    if swapped.rowcount != 1:
        return False
    event = await _add(conn, found.id, now, "event", f"reminded:{found.due_what}")
    await _tell(conn, kind, found.id, event, told, now)
    await audit.record(conn, None, "case.remind", "case", found.id, what=found.due_what, now=now)
    return True


async def _awaited(conn: AsyncConnection, found: Row) -> list[int]:
    """Whom an unanswered mediator's message waits for: the parties it asked (a private
    message's one, a proposal's who have not answered, else all) who have not written
    since; and the mediator, to follow it up."""
    last = (
        await conn.execute(
            select(messages)
            .where(
                messages.c.case_id == found.id,
                messages.c.sender_role.in_(("monitor", "staff")),
                messages.c.kind.in_(POSTS),
            )
            .order_by(messages.c.id.desc())
            .limit(1)
        )
    ).first()
    if last is None:
        return [found.monitor_id] if found.monitor_id else []
    people = await party_list(conn, found.id)
    if last.kind == "private":
        asked = [last.to_user_id]
    elif last.kind == "proposal":
        asked = [p.user_id for p in people if p.answer is None]
    else:
        asked = [p.user_id for p in people]
    spoke = set(
        (
            await conn.execute(
                select(messages.c.sender_id).where(
                    messages.c.case_id == found.id,
                    messages.c.id > last.id,
                    messages.c.sender_role.in_(PARTY_ROLES),
                )
            )
        ).scalars()
    )
    mediator = found.monitor_id or last.sender_id
    return [u for u in asked if u and u not in spoke] + ([mediator] if mediator else [])
