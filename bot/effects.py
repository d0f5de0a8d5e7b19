"""`context.db` while one update is handled: every write transaction of the update records
its count with the update's id (storage/effects.py), so an update handled again after a
crash applies nothing twice.

In webhook mode the update is also fenced: each write transaction first checks, in that
transaction, that this process still holds the sender (storage/inbox.py). A process that
stalled past its lease and lost the person to another process therefore changes nothing
more for them; its handler stops with `Fenced`, which the error handler passes over quietly.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from storage import effects, inbox
from storage.db import Database


@dataclass(frozen=True)
class Hold:
    """The webhook process handling this update and the sender it holds for it."""

    owner: str
    sender: int


log = logging.getLogger(__name__)

# Set by the webhook server around the handling of one update (None in polling mode).
HOLD: ContextVar[Hold | None] = ContextVar("hold", default=None)
# The update being handled, once the gate let it through (the processor finishes it).
CURRENT: ContextVar[UpdateDatabase | None] = ContextVar("current_update", default=None)
# Polling: the update is newer than any seen before, told by the processor as it arrives
# (Finishing.fresh); the gate then needs no database read to know it was never handled.
FRESH: ContextVar[bool] = ContextVar("fresh_update", default=False)


class Fenced(Exception):
    """This process no longer holds the person whose update it was handling."""


class Finishing:
    """Handled updates marked finished (a second delivery is dropped), a batch at a time, in
    polling mode (the webhook finishes each with taking it out of the inbox).

    Marking each update on its own cost a write transaction per update, the only one for an
    update that changes nothing (a search, /help). Here the first handled update starts a
    short wait (WAIT) and everything handled meanwhile is marked in one transaction. Until
    then the ids are kept here, and the gate drops a second delivery of one of them just as
    it drops one marked in the database. A crash loses the marks of the last WAIT at most:
    such an update, delivered again, is handled again, applying none of its writes (each
    write transaction records itself, `UpdateDatabase`), so its person gets one answer twice,
    as a crash in the middle of a handling already gives."""

    WAIT = 0.05  # seconds

    def __init__(self, db: Database) -> None:
        self.db = db
        self.waiting: dict[int, datetime] = {}  # update id: when it was handled
        self.flushing: asyncio.Task | None = None
        # The highest update id seen: recorded in the database when polling started, or
        # come to the gate since (None until `learn`).
        self.newest: int | None = None

    async def learn(self) -> None:
        """Before polling starts: the highest update id the database has recorded."""
        async with self.db.read() as conn:
            self.newest = await effects.newest(conn)

    def fresh(self, update_id: int) -> bool:
        """Newer than every update seen, so never handled before: Telegram numbers updates
        in the order they come and one process polls, so only an update id that is not new
        can be a second delivery. The gate then needs no database read to know it."""
        if self.newest is None or update_id <= self.newest:
            return False
        self.newest = update_id
        return True

    def __contains__(self, update_id: int) -> bool:
        return update_id in self.waiting

    def add(self, update_id: int, now: datetime) -> None:
        self.waiting[update_id] = now
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.create_task(self._after_a_wait())

    async def _after_a_wait(self) -> None:
        await asyncio.sleep(self.WAIT)
        try:
            await self.flush()
        except Exception as error:  # noqa: BLE001 (the next batch tries again; logged by type)
            log.error("marking handled updates finished failed (%s)", type(error).__name__)

    async def flush(self) -> None:
        """Mark what is waiting; the ids stay here until their marks are committed."""
        while self.waiting:
            batch = dict(self.waiting)
            async with self.db.write() as conn:
                await effects.finish_many(conn, batch)
            for update_id in batch:
                self.waiting.pop(update_id, None)

    async def close(self) -> None:
        """At shutdown: what is waiting is marked now."""
        if self.flushing is not None:
            await asyncio.gather(self.flushing, return_exceptions=True)
        await self.flush()


class UpdateDatabase:
    """The application's Database, seen from one update (see the module's docstring)."""

    def __init__(
        self,
        db: Database,
        update_id: int,
        *,
        applied: list[str] | None,
        hold: Hold | None,
        now: datetime,
    ) -> None:
        self.db = db
        self.update_id = update_id
        self.before_crash = frozenset(applied or ())  # writes committed by an earlier handling
        self.committed = list(applied or ())
        self.hold = hold
        self.now = now
        self.made: list[str] = []  # the writes of this handling, by name

    def __getattr__(self, name: str):
        return getattr(self.db, name)

    def read(self):
        return self.db.read()

    def write(self, *, idempotent: bool = False):
        """One write transaction, committed together with its name in the update's record;
        rolled back on any error, and also when an earlier handling of this update committed
        it before a crash (the handler still runs, to answer, but changes nothing).

        `idempotent`: the write only sets values to what this handling decides (a step of a
        flow), so made again after a crash it leaves the same rows; it is not recorded, one
        statement less for the most common write of a chat."""
        return self._write(self._name(sys._getframe(1)), recorded=not idempotent)

    def _name(self, frame) -> str:
        """A write is named by where it is made: its function and line, and its caller's
        (a shared helper such as set_flow serves many steps), numbered when one handling
        makes it again. The name is the same when the same code handles the update again,
        whatever an earlier write changed, so a write skipped the second time (a newcomer's
        row already made) shifts nothing."""
        sites = [f"{frame.f_code.co_qualname}:{frame.f_lineno}"]
        if frame.f_back is not None:
            sites.append(f"{frame.f_back.f_code.co_qualname}:{frame.f_back.f_lineno}")
        name = "<".join(sites)
        self.made.append(name)
        return f"{name}#{self.made.count(name)}"

    @asynccontextmanager
    async def _write(self, name: str, *, recorded: bool) -> AsyncIterator[AsyncConnection]:
        async with self.db.writer.connect() as conn:
            transaction = await conn.begin()
            try:
                if self.hold is not None and not await inbox.holds(conn, **vars(self.hold)):
                    raise Fenced
                yield conn
                if not recorded:
                    await transaction.commit()
                elif name in self.before_crash:
                    await transaction.rollback()
                else:
                    self.committed.append(name)
                    await effects.note_write(conn, self.update_id, self.committed, now=self.now)
                    await transaction.commit()
            except BaseException:
                if transaction.is_active:
                    await transaction.rollback()
                if self.committed and self.committed[-1] == name:
                    self.committed.pop()  # the commit itself failed
                raise
