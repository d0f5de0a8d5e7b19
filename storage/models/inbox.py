"""The webhook's inbox: updates acknowledged to Telegram and not yet handled, who holds
each sender's updates, and the ids of updates already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class ProcessedUpdate(Base):
    """What an update has changed so far (storage/effects.py): each write transaction of an
    update records here, in that same transaction, which write it was (`applied`). Handled
    again after a crash, the update runs without re-applying those; once `finished`, a
    second delivery is dropped."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The writes committed, each named by where in the code it was made (bot/effects.py).
    applied: Mapped[list | None] = mapped_column(JSON)
    finished: Mapped[bool] = mapped_column(Boolean, default=False, server_default=true())


class InboxUpdate(Base):
    """A webhook update stored before Telegram got its 200; deleted once handled.

    `sender` (the person, or the chat when there is none) keeps one sender's updates in
    order across processes: only the process holding the sender (InboxHolder) hands them
    out. `attempts` counts hand-outs; an update that keeps failing, or that PTB cannot
    read, is quarantined (kept, never handed out again) with the problem's name."""

    __tablename__ = "inbox_updates"
    __table_args__ = (Index("ix_inbox_updates_sender", "sender", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Only for updates without a sender: the process handing it out, until then.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sender: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    problem: Mapped[str | None] = mapped_column(String(80))


class InboxHolder(Base):
    """The process that hands out one sender's updates, while its lease lasts. A living
    process renews its leases every few seconds; a dead one's run out and another takes
    the sender over, from its oldest update."""

    __tablename__ = "inbox_holders"

    sender: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner: Mapped[str] = mapped_column(String(80))
    leased_until: Mapped[datetime] = mapped_column(UTCDateTime)
