"""What the case modules share: the kinds, outcomes and limits, the refusal, and writing one
line of a case's record with the notices about it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import reminders as outbox

# Refused here: closed | read_only | replaced | empty | too_long | not_party.
from storage.errors import Refused
from storage.names import shared_name
from storage.tables import case_messages as messages
from storage.tables import users
from storage.users import covered_grades

KINDS = ("schedule", "safety", "complaint", "no_show", "other")
OUTCOMES = ("resolved", "unresolved", "withdrawn")
PARTY_ROLES = ("student", "teacher", "site")
POSTS = ("message", "private", "proposal")  # what people write (the rest are events)
TEXT_MAX = 2000
NOTE_MAX = 500
MEDIATOR_WAIT = timedelta(hours=4)  # the default; the CASE_MEDIATOR_HOURS setting
ANSWER_WAIT = timedelta(hours=48)  # the default; the CASE_ANSWER_HOURS setting


def party_tag(case_id: int, user_id: int) -> int:
    """A short check number for a party's place in a case's list, carried in the mediator's
    button instead of their user id (a Telegram id never goes to another person)."""
    return int(hashlib.sha1(f"{case_id}:{user_id}".encode()).hexdigest()[:5], 16)


def at_place(shown: Sequence, place: int, tag: int, scope: int, person=lambda row: row.id):
    """The row at `place` of a list shown under `scope` (a case, a teacher, a guardian) if
    its check number is still `tag`; None when the list changed since it was shown."""
    if place >= len(shown) or party_tag(scope, person(shown[place])) != tag:
        return None
    return shown[place]


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _check_text(text: str | None, photo: str | None, limit: int = TEXT_MAX) -> None:
    if text is None and photo is None:
        raise Refused("empty")
    if text is not None and len(text) > limit:
        raise Refused("too_long")


def _covers(teacher: Row, grade: int | None) -> bool:
    grades = covered_grades(teacher)
    return not grades or grade in grades


async def _add(
    conn: AsyncConnection,
    case_id: int,
    now: datetime,
    kind: str,
    text: str | None,
    photo: str | None = None,
    *,
    sender: Row | None = None,
    role: str | None = None,
    to_user_id: int | None = None,
) -> int:
    """One line of the case's record; returns its id."""
    return await conn.scalar(
        insert(messages)
        .values(
            case_id=case_id,
            at=now,
            sender_id=sender.id if sender is not None else None,
            sender_role=role,
            sender_name=shared_name(sender.name, role) if sender is not None else None,
            kind=kind,
            to_user_id=to_user_id,
            text=text,
            photo=photo,
        )
        .returning(messages.c.id)
    )


async def _assigned_event(conn: AsyncConnection, case_id: int, monitor_id: int, now) -> int:
    """ "Assigned" names the monitor who mediates from now (as its sender)."""
    monitor = (await conn.execute(select(users).where(users.c.id == monitor_id))).one()
    return await _add(conn, case_id, now, "event", "assigned", sender=monitor, role="monitor")


async def _tell(
    conn: AsyncConnection, kind: str, case_id: int, message_id: int, user_ids, now: datetime
) -> None:
    """A notice about one line of the case to each of `user_ids`, due at once."""
    plans = [
        outbox.Planned(kind, user_id, now, f"{kind}:{message_id}:{user_id}")
        for user_id in dict.fromkeys(user_ids)
    ]
    await outbox.write(conn, plans, now, case_id=case_id, detail=str(message_id))
