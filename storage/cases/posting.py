"""Writing in a case: messages relayed to everyone, privately to one party, or a proposal;
and the parties' answers to a proposal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage.cases.common import ANSWER_WAIT, POSTS, _add, _check_text, _clean, _tell
from storage.cases.reading import _lock, access, party_list, party_role
from storage.errors import AlreadyHandled, NotFound, Refused
from storage.tables import case_messages as messages
from storage.tables import case_parties as parties
from storage.tables import cases


@dataclass(frozen=True)
class Answered:
    accepted: int  # parties who accepted the proposal so far
    parties: int
    rejected: int

    @property
    def everyone(self) -> bool:
        return self.accepted == self.parties


# ----- posting --------------------------------------------------------------------------------


async def _involved_staff(conn: AsyncConnection, case_id: int) -> list[int]:
    """Staff who have written in the case: they hear its news from then on."""
    found = await conn.execute(
        select(messages.c.sender_id)
        .where(
            messages.c.case_id == case_id,
            messages.c.sender_role == "staff",
            messages.c.kind.in_(POSTS),
            messages.c.sender_id.is_not(None),
        )
        .distinct()
    )
    return list(found.scalars())


async def post(
    conn: AsyncConnection,
    case_id: int,
    sender: Row,
    text: str | None,
    photo: str | None = None,
    *,
    now: datetime,
    kind: str = "message",
    to_user_id: int | None = None,
    answer_wait: timedelta = ANSWER_WAIT,
) -> int:
    """Write a message in the case and relay it; returns its id. Parties post to everyone;
    the mediator (the case's monitor, or staff) also privately to one party (`to_user_id`)
    or a proposal the parties accept or reject. Access is checked here, every time."""
    text = _clean(text)
    _check_text(text, photo)
    if kind not in POSTS:
        raise NotFound
    found = await _lock(conn, case_id)
    seen = await access(conn, found, sender) if found is not None else None
    if seen is None:
        raise NotFound
    if seen == "reader":
        raise Refused("read_only")
    if found.status == "closed":
        raise Refused("closed")
    mediating = seen in ("mediator", "staff")
    if kind != "message" and not mediating:
        raise NotFound
    if kind == "proposal" and photo is not None:
        raise Refused("empty")
    people = await party_list(conn, case_id)
    party_ids = [p.user_id for p in people]
    if kind == "private" and to_user_id not in party_ids:
        raise Refused("not_party")
    if seen == "party":
        role = await party_role(conn, case_id, sender.id)
    else:
        role = "monitor" if seen == "mediator" else "staff"
    message_id = await _add(
        conn, case_id, now, kind, text, photo, sender=sender, role=role,
        to_user_id=to_user_id if kind == "private" else None,
    )  # fmt: skip
    values: dict = {}
    if mediating:
        if found.mediator_at is None:
            values["mediator_at"] = now
        if found.status == "open":
            values.update(due_at=now + answer_wait, due_what="answer", due_step=0)
        if kind == "proposal":
            values["proposal_id"] = message_id
            await conn.execute(
                update(parties)
                .where(parties.c.case_id == case_id)
                .values(answer=None, answered_at=None)
            )
    else:
        values["last_party_at"] = now
        if found.due_what == "answer":
            values.update(due_at=None, due_what=None, due_step=0)
    await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
    others = [u for u in party_ids if u != sender.id]
    watchers = [u for u in [found.monitor_id, *await _involved_staff(conn, case_id)] if u]
    watchers = [u for u in watchers if u != sender.id]
    if kind == "private":
        await _tell(conn, "case_message", case_id, message_id, [to_user_id], now)
    elif kind == "proposal":
        await _tell(conn, "case_proposal", case_id, message_id, others, now)
        await _tell(conn, "case_message", case_id, message_id, watchers, now)
    else:
        await _tell(conn, "case_message", case_id, message_id, others + watchers, now)
    await audit.record(
        conn, sender.id, f"case.{kind}", "case", case_id, message=message_id,
        photo=photo is not None,
        now=now,
    )  # fmt: skip
    return message_id


async def answer(
    conn: AsyncConnection, case_id: int, proposal_id: int, user: Row, accept: bool, *, now
) -> Answered:
    """A party accepts or rejects the current proposal, once: a compare-and-swap on their
    answer. An answer to a proposal since replaced is Refused("replaced"); a second answer
    AlreadyHandled. The proposer (and the monitor) are told, with the tally."""
    found = await _lock(conn, case_id)
    role = await party_role(conn, case_id, user.id) if found is not None else None
    if role is None:
        raise NotFound
    if found.status == "closed":
        raise Refused("closed")
    if found.proposal_id != proposal_id:
        raise Refused("replaced")
    said = "accepted" if accept else "rejected"
    swapped = await conn.execute(
        update(parties)
        .where(
            parties.c.case_id == case_id,
            parties.c.user_id == user.id,
            parties.c.answer.is_(None),
        )
        .values(answer=said, answered_at=now)
    )
    if swapped.rowcount != 1:
        raise AlreadyHandled
    event = await _add(conn, case_id, now, "event", said, sender=user, role=role)
    values: dict = {"last_party_at": now}
    if found.due_what == "answer":
        values.update(due_at=None, due_what=None, due_step=0)
    await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
    tally = await _tally(conn, case_id)
    proposer = await conn.scalar(select(messages.c.sender_id).where(messages.c.id == proposal_id))
    await _tell(
        conn, "case_answer", case_id, event, [u for u in (proposer, found.monitor_id) if u], now
    )
    await audit.record(
        conn, user.id, f"case.{said}", "case", case_id, proposal=proposal_id, now=now
    )
    return tally


async def _tally(conn: AsyncConnection, case_id: int) -> Answered:
    found = await conn.execute(select(parties.c.answer).where(parties.c.case_id == case_id))
    said = list(found.scalars())
    return Answered(said.count("accepted"), len(said), said.count("rejected"))


async def tally(conn: AsyncConnection, case_id: int) -> Answered:
    return await _tally(conn, case_id)
