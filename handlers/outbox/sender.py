"""The outbox's sender: what is due in the outbox table (storage/reminders/) is claimed,
composed by its kind (handlers/outbox/kinds.py, declared by each area) and sent, paced, on
the clock's tick or at once after a change (kick).

Each reminder is checked again when it is sent: a booking cancelled or a session started
since it was written means it is skipped, never sent late.
"""

from __future__ import annotations

import asyncio
import collections
import logging

from telegram import Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.context import JinroContext
from bot.pacing import retry_seconds
from handlers.common import questions, send, speaks_formally
from handlers.outbox.kinds import ASKS, HOLD, KINDS, Copy
from handlers.outbox.reading import COMPOSING, Batch
from messages import render
from storage import reminders as store
from storage import users as users_store
from storage.models import utcnow
from storage.reminders.sending import get as reminder_row

log = logging.getLogger(__name__)
BATCH = 50


async def dispatch_tick(application) -> int:
    """The clock's tick, and the kick after a change: one round at a time in this process;
    a kick during a round asks for one more right after it. Returns how many were claimed."""
    rounds = application.bot_data.setdefault("outbox_rounds", Rounds())
    return await rounds.run(lambda: dispatch_round(application))


def kick(context: JinroContext) -> None:
    """Something was just committed to the outbox for now (a notice): send it without
    waiting for the next tick. Call after the transaction that wrote it."""
    context.application.create_task(dispatch_tick(context.application), name="outbox-kick")


class Rounds:
    """One dispatch round at a time in this process. Asking during a round queues one more
    right after it, shared by everyone who asks meanwhile; each caller returns when a round
    that began after its call has finished, so what it wrote has been looked at."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.queued: asyncio.Future | None = None

    async def run(self, one_round) -> int:
        if not self.lock.locked():
            async with self.lock:
                return await one_round()
        if self.queued is None:
            self.queued = asyncio.ensure_future(self._next(one_round))
        return await asyncio.shield(self.queued)

    async def _next(self, one_round) -> int:
        async with self.lock:
            self.queued = None  # a call from now on needs a round after this one
            return await one_round()


async def dispatch_round(application) -> int:
    """Claim what is due and send it; returns how many were claimed.

    Up to SEND_IN_FLIGHT (a setting, 8 by default) messages are in flight at once, to
    different people: one at a time, each Bot API round trip (about 0.1 s to Telegram) would
    hold sending far below 30/s. The pacer hands out slots in order, so the overall rate and
    the per-chat spacing hold. A sender that finds nothing left claims the next batch while
    the others' messages are still on their way, so there is no pause between batches. Each
    row is marked as soon as it is sent, and a person has one row in flight at a time
    (storage/reminders/), so a crash repeats at most one message per person. A person's next
    message waits a second after their last one: the round looks again a second later. On
    an error the other senders finish the message in hand and take no more; rows left
    unsent keep their lease and are claimed again when it ends."""
    context = JinroContext(application)
    claimed = empty = 0
    while True:
        feed = await _send_claimed(context)
        claimed += feed.claimed
        empty = 0 if feed.claimed else empty + 1
        # Held back a second after a pass that sent nothing: the rows wait for messages in
        # flight in another process (or a crashed one's lease); the next tick looks again.
        if not feed.held_back or empty > 1:
            return claimed
        await asyncio.sleep(store.PER_CHAT.total_seconds())


async def _send_claimed(context: JinroContext) -> Feed:
    feed = Feed(context)
    failed: list[Exception] = []

    async def sender() -> None:
        while not failed and (taken := await feed.next()) is not None:
            row, batch = taken
            try:
                await deliver(context, row, batch)
            except Exception as error:  # re-raised below, once the others have stopped
                failed.append(error)

    await asyncio.gather(*(sender() for _ in range(context.settings.send_in_flight)))
    if failed:
        raise failed[0]
    return feed


class Feed:
    """Hands the senders one claimed row at a time, claiming BATCH more when none are left
    (until a claim comes back short: nothing more is due)."""

    def __init__(self, context: JinroContext) -> None:
        self.context = context
        self.rows: collections.deque = collections.deque()
        self.batch: Batch | None = None
        self.claimed = 0
        self.exhausted = False
        self.held_back = False
        self.lock = asyncio.Lock()

    async def next(self):
        """(row, what was read for its batch), or None when nothing is left to send."""
        async with self.lock:
            if not self.rows and not self.exhausted:
                await self._claim()
            return (self.rows.popleft(), self.batch) if self.rows else None

    async def _claim(self) -> None:
        db = self.context.db
        async with db.write() as conn:
            batch = await store.claim_due(conn, now=utcnow(), limit=BATCH)
        self.claimed += len(batch)
        self.exhausted = len(batch) < BATCH
        self.held_back = self.held_back or batch.held_back
        if batch:
            async with db.read() as conn:
                self.batch = await Batch.read(conn, batch)
            self.rows.extend(batch)


async def deliver(context: JinroContext, row, batch: Batch | None = None) -> None:
    token = COMPOSING.set(batch)
    try:
        copy, user = await _compose(context, row)
    finally:
        COMPOSING.reset(token)
    if copy is None:
        await _mark(context, row, "skipped")
        return
    if copy is HOLD:
        async with context.db.write() as conn:
            await store.hold(conn, row)
        return
    now, tz = utcnow(), context.tz
    kind = KINDS.get(row.kind)
    urgent = (kind is not None and kind.urgent) or copy.urgent
    if user.role == "student" and not urgent and store.in_quiet_hours(now, tz):
        # Due before 21:00 but sent late (an outage, a backlog): it waits for the morning,
        # and is checked again then.
        async with context.db.write() as conn:
            await store.postpone(conn, row, store.next_morning(now, tz))
        return
    pacer = context.application.bot_data["pacer"]
    await pacer.slot(user.id)
    try:
        sent = await copy.send(context, user.id)
    except RetryAfter as error:
        wait = retry_seconds(error)
        await pacer.pause(wait)  # Telegram asked the whole bot to slow down, not just this row
        await _retry(context, row, "429", wait=wait)
    except Forbidden:
        async with context.db.write() as conn:
            await users_store.mark_inactive(conn, user.id)
        await _mark(context, row, "dead", error="Forbidden")
    except BadRequest as error:  # chat not found and the like: sending again will not help
        log.warning("reminder %s cannot be sent: %s", row.id, type(error).__name__)
        await _mark(context, row, "dead", error=_reason(error))
    except NetworkError as error:  # timeouts and 5xx: try again later
        await _retry(context, row, type(error).__name__)
    else:
        if row.kind in ASKS and isinstance(sent, Message):
            await _holds_typed_words(context, row, sent)
        await _mark(context, row, "sent")


async def _holds_typed_words(context: JinroContext, row, sent: Message) -> None:
    """A question only its buttons answer: it holds its reader's typed words while they are
    in no step (handlers/common/questions.py)."""
    question = questions.question(sent, utcnow(), row.kind, reminder=row.id)
    async with context.db.write() as conn:
        await users_store.hold_question(
            conn, row.user_id, questions.QUESTION, question, questions.IDLE
        )


@questions.checks_outbox
async def still_open(context: JinroContext, reminder_id: int) -> bool:
    """Whether the question an outbox row asked is still open: composed again, it would
    still be sent (an offer undecided and not run out, a score not yet given)."""
    async with context.db.read() as conn:
        row = await reminder_row(conn, reminder_id)
        kind = KINDS.get(row.kind) if row is not None else None
        user = await users_store.get(conn, row.user_id) if row is not None else None
        if kind is None or user is None:
            return False
        token = COMPOSING.set(None)
        try:
            return await kind.compose(conn, context, row, user) is not None
        finally:
            COMPOSING.reset(token)


# Telegram's 400s worth telling apart in a report. Only these fixed words are kept: the
# rest of Telegram's text may quote the message.
KNOWN_REFUSALS = (
    "chat not found",
    "user is deactivated",
    "wrong file identifier",
    "can't parse entities",
    "message is too long",
)


def _reason(error: BadRequest) -> str:
    said = str(error).lower()
    return next((known for known in KNOWN_REFUSALS if known in said), "BadRequest")


async def _compose(context: JinroContext, row):
    """(Copy or HOLD, recipient), or (None, None) when the reminder no longer applies."""
    async with context.db.read() as conn:
        batch = COMPOSING.get()
        if batch is None:
            recipients = await store.recipients(conn, {row.user_id})
        else:
            recipients = batch.recipients
        user, off = recipients.get(row.user_id, (None, frozenset()))
        if user is None or not user.active:
            return None, None
        if row.kind in off:
            return None, None  # turned off in /settings
        kind = KINDS.get(row.kind)
        if kind is None:  # written by storage, declared by no area in bot/app.py: a bug
            log.error("outbox row %s has a kind no area declared: %s", row.id, row.kind)
            return None, None
        found = await kind.compose(conn, context, row, user)
        if found is None:
            return None, None  # its moment passed, or it no longer applies
    if isinstance(found, Copy) or found is HOLD:
        return found, user
    template, values = found
    values.update(tz=context.tz, kind=row.kind)
    # The recipient's register, as reply() gives it: a text both sides get (a teacher's or a
    # student's mentor request) branches on it; a kind that knows better passes its own.
    values.setdefault("formal", speaks_formally(user))
    markup = kind.keyboard(row, user.lang) if kind.keyboard else None
    text = render(template, user.lang, **values)
    return Copy(lambda context, chat_id: send(context, chat_id, text, markup, paced=True)), user


async def _mark(context: JinroContext, row, status: str, error: str | None = None) -> None:
    marks = context.application.bot_data.setdefault("reminder_marks", GroupMarks())
    await marks.mark(context.db, row.id, status, error)


class GroupMarks:
    """Marks of rows sent at the same time share one write transaction (a group commit):
    on SQLite a transaction per row, through the one writer, held sending to about 260/s.
    Each caller still returns only once its own mark is committed, so a row is never
    taken as done before it is, and a crash repeats no more than the messages in flight."""

    def __init__(self) -> None:
        self.waiting: list[tuple[int, str, str | None, asyncio.Future]] = []
        self.lock = asyncio.Lock()

    async def mark(self, db, reminder_id: int, status: str, error: str | None) -> None:
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((reminder_id, status, error, done))
        async with self.lock:
            if not done.done():  # not written by the transaction that ran before ours
                batch, self.waiting = self.waiting, []
                await self._write(db, batch)
        await done

    @staticmethod
    async def _write(db, batch) -> None:
        try:
            settled: dict[tuple[str, str | None], list[int]] = {}
            for reminder_id, status, error, _ in batch:
                settled.setdefault((status, error), []).append(reminder_id)
            async with db.write() as conn:
                for (status, error), ids in settled.items():
                    await store.mark_many(conn, ids, status, now=utcnow(), error=error)
        except Exception as failure:  # each caller raises it from its own future
            for *_, done in batch:
                done.set_exception(failure)
        except BaseException:  # cancelled (shutting down): so are the marks it carried
            for *_, done in batch:
                done.cancel()
            raise
        else:
            for *_, done in batch:
                done.set_result(None)


async def _retry(context: JinroContext, row, error: str, wait: float | None = None) -> None:
    async with context.db.write() as conn:
        status = await store.retry_later(conn, row, error, now=utcnow(), wait=wait)
    if status == "dead":
        log.warning("reminder %s gave up after %s attempts", row.id, row.attempts)
