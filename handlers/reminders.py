"""Sending the reminders the outbox holds (storage/reminders.py), on the clock's tick.

Each reminder is checked again when it is sent: a booking cancelled or a session started
since it was written means it is skipped, never sent late. What each kind checks and says
is in COMPOSE; the buttons a kind carries (the survey's scores, a teacher's ✅/❌) in
_keyboard. plan_tick is the clock's hourly step that writes the daily digests ahead.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.context import JinroContext
from handlers.common import keyboard, send
from messages import label, render
from storage import bookings as bookings_store
from storage import pending as pending_store
from storage import reminders as store
from storage import sessions as sessions_store
from storage import users as users_store
from storage.errors import NotFound
from storage.models import Role, utcnow

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

    Up to SEND_IN_FLIGHT (a setting, 8 by default) messages are in flight at once: one at
    a time, each Bot API round trip (about 0.1 s to Telegram) would hold sending far below
    30/s. The pacer hands out slots in order, so the overall rate and the per-chat spacing
    hold. A sender that finds nothing left claims the next batch while the others' messages
    are still on their way, so there is no pause between batches. Each row is marked as soon
    as it is sent, so a crash repeats at most the messages in flight (with SEND_IN_FLIGHT=1,
    at most one). On an error the other senders finish the message in hand and take no
    more; rows left unsent keep their lease and are claimed again when it ends."""
    context = JinroContext(application)
    feed = Feed(context)
    failed: list[Exception] = []

    async def sender() -> None:
        while not failed and (taken := await feed.next()) is not None:
            row, batch = taken
            try:
                await deliver(context, row, batch)
            except Exception as error:  # re-raised below, once the others have stopped
                failed.append(error)

    in_flight = context.settings.send_in_flight
    await asyncio.gather(*(sender() for _ in range(in_flight)))
    if failed:
        raise failed[0]
    return feed.claimed


class Feed:
    """Hands the senders one claimed row at a time, claiming BATCH more when none are left
    (until a claim comes back short: nothing more is due)."""

    def __init__(self, context: JinroContext) -> None:
        self.context = context
        self.rows: collections.deque = collections.deque()
        self.batch: Batch | None = None
        self.claimed = 0
        self.exhausted = False
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
        if batch:
            async with db.read() as conn:
                self.batch = await Batch.read(conn, batch)
            self.rows.extend(batch)


@dataclass(frozen=True)
class Copy:
    """A message an area composes itself instead of from a template (a broadcast's copy,
    photo and all): `send(context, chat_id)` sends it, its send slot already taken."""

    send: Callable[[JinroContext, int], Awaitable]
    urgent: bool = False  # reaches a student in quiet hours


HOLD = object()  # a compose result: not now, and not by the clock (a paused broadcast)


@dataclass(frozen=True)
class Batch:
    """What a claimed batch's reminders are composed from, read once for all of them:
    their recipients (and the kinds each turned off), sessions and bookings. Reads a row at a
    time cost more than sending it. A batch is sent within seconds, so what is read here is
    as fresh as a check just before sending can be."""

    recipients: dict
    sessions: dict
    bookings: dict

    @classmethod
    async def read(cls, conn, rows) -> Batch:
        return cls(
            await store.recipients(conn, {row.user_id for row in rows}),
            await bookings_store.session_views(conn, {r.session_id for r in rows if r.session_id}),
            await bookings_store.get_many(conn, {r.booking_id for r in rows if r.booking_id}),
        )


# The batch whose reminder is being composed (None: read what is needed afresh).
COMPOSING: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("composing", default=None)


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
    urgent = row.kind in URGENT or copy.urgent
    if user.role == "student" and not urgent and store.in_quiet_hours(now, tz):
        # Due before 21:00 but sent late (an outage, a backlog): it waits for the morning,
        # and is checked again then.
        async with context.db.write() as conn:
            await store.postpone(conn, row, store.next_morning(now, tz))
        return
    pacer = context.application.bot_data["pacer"]
    await pacer.slot(user.id)
    try:
        await copy.send(context, user.id)
    except RetryAfter as error:
        wait = _seconds(error.retry_after)
        pacer.pause(wait)  # Telegram asked the whole bot to slow down, not just this row
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
        await _mark(context, row, "sent")


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
        compose = COMPOSE.get(row.kind)
        found = await compose(conn, context, row, user) if compose else None
        if found is None:
            return None, None  # its moment passed, or it no longer applies
    if isinstance(found, Copy) or found is HOLD:
        return found, user
    template, values = found
    values.update(tz=context.tz, kind=row.kind)
    text, markup = render(template, user.lang, **values), _keyboard(row, user.lang)
    return Copy(lambda context, chat_id: send(context, chat_id, text, markup, paced=True)), user


# ----- each kind: is it still due, and what it says -------------------------------------------
# Each takes (conn, context, row, user) and returns (template, values), or None to skip.
# Other areas add their kinds through `add_kinds` (bot/app.py): they may also return a Copy,
# or HOLD.


async def _session_ahead(conn, row):
    """The reminder's session if it is still to come; None once it started or was cancelled."""
    session = await _session(conn, row.session_id) if row.session_id else None
    if session is None or session.status != "scheduled" or session.starts_at <= utcnow():
        return None  # its moment passed: never sent late
    return session


async def _session(conn, session_id: int):
    batch = COMPOSING.get()
    if batch is not None and session_id in batch.sessions:
        return batch.sessions[session_id]
    return await bookings_store.session_view(conn, session_id)


async def _booking(conn, booking_id: int):
    batch = COMPOSING.get()
    if batch is not None and booking_id in batch.bookings:
        return batch.bookings[booking_id]
    return await bookings_store.get(conn, booking_id)


async def _student(conn, context, row, user):
    session = await _session_ahead(conn, row)
    booking = await _booking(conn, row.booking_id) if row.booking_id else None
    if session is None or booking is None or booking.status != "confirmed":
        return None
    return "reminders/student", {"session": session}


async def _roster(conn, context, row, user):
    session = await _session_ahead(conn, row)
    if session is None:
        return None
    people = await sessions_store.roster(conn, row.session_id, statuses=("confirmed",))
    if not people:
        return None
    return "reminders/site_roster", {"session": session, "people": people}


async def _site_change(conn, context, row, user):
    """A booking confirmed or cancelled close to the session: said as it stands now."""
    session = await _session_ahead(conn, row)
    person = await sessions_store.person(conn, row.booking_id) if row.booking_id else None
    if session is None or person is None or person.status not in ("confirmed", "cancelled"):
        return None
    return "reminders/site_change", {"session": session, "person": person}


async def _survey(conn, context, row, user):
    """Once, after the session, to a student marked attended who has not answered yet."""
    booking = await bookings_store.my_booking(conn, row.booking_id, user.id)
    if booking is None or booking.status != "confirmed" or booking.attendance != "attended":
        return None
    if await bookings_store.survey_answered(conn, booking.id):
        return None
    return "bookings/survey", {"booking": booking}


async def _expiring(conn, context, row, user):
    """Only while the request still waits, and only to a teacher who may still decide it."""
    request = await _waiting_request(conn, row, user)
    if request is None:
        return None
    return "reminders/teacher_expiring", {"request": request}


async def _teacher_digest(conn, context, row, user):
    if user.role != Role.TEACHER or not _on_its_day(context, row):
        return None
    requests, total = await pending_store.pending_for_teacher(conn, user, limit=DIGEST_LINES)
    if not total:
        return None  # nothing waits: no message at all
    more = total - len(requests)
    return "reminders/teacher_digest", {"requests": requests, "total": total, "more": more}


async def _staff_dead(conn, context, row, user):
    if user.role != Role.STAFF or not _on_its_day(context, row):
        return None
    dead = await store.dead_letters(conn, utcnow() - store.DEAD_WINDOW)
    if not dead.total:
        return None
    return "reminders/staff_dead", {"dead": dead}


# ----- notices: news told at once (storage.reminders.notice) ----------------------------------


async def _teacher_request(conn, context, row, user):
    """A new request, to a teacher who may decide it, while it still waits."""
    request = await _waiting_request(conn, row, user)
    if request is None:
        return None
    return "pending/new_request", {"student": request, "session": request, "booking_id": request.id}


async def _waiting_request(conn, row, user):
    """The request while it still waits, if this teacher may still decide it; else None."""
    if user.role != Role.TEACHER:
        return None
    try:
        request = await pending_store.request_for_teacher(conn, row.booking_id, user)
    except NotFound:
        return None
    if request.status != "requested" or request.expires_at <= utcnow():
        return None
    return request


async def _student_booking(conn, row, user, *statuses):
    """The notice's booking if it is still the student's and in one of `statuses`."""
    booking = await bookings_store.my_booking(conn, row.booking_id, user.id)
    if booking is None or booking.status not in statuses:
        return None
    return booking


async def _offer(conn, context, row, user):
    booking = await _student_booking(conn, row, user, "offered")
    if booking is None or booking.expires_at <= utcnow():
        return None  # taken, passed or run out meanwhile
    session = await bookings_store.session_view(conn, booking.session_id)
    return "bookings/offer", {"booking": booking, "session": session}


async def _decision(conn, context, row, user):
    booking = await _student_booking(conn, row, user, row.detail)
    if booking is None:
        return None  # changed since (a confirmed seat cancelled): nothing to tell
    request = await pending_store.request_view(conn, booking.id)
    return "pending/student_told", {
        "request": request,
        "decision": booking.status,
        "reason": booking.reason or "",
    }


async def _expired(conn, context, row, user):
    booking = await _student_booking(conn, row, user, "expired")
    if booking is None:
        return None
    session = await bookings_store.session_view(conn, booking.session_id)
    return "bookings/expired", {"session": session, "was": row.detail}


async def _drawn(conn, context, row, user):
    """Drawn or not; a student offered a seat meanwhile hears of the offer instead."""
    booking = await _student_booking(conn, row, user, "requested", "confirmed", "waitlisted")
    if booking is None:
        return None
    session = await bookings_store.session_view(conn, booking.session_id)
    place = await bookings_store.place_in_line(conn, booking.id)
    return "bookings/drawn", {"session": session, "won": place is None, "place": place}


async def _booked_by_teacher(conn, context, row, user):
    booking = await _student_booking(conn, row, user, "confirmed")
    if booking is None:
        return None
    session = await bookings_store.session_view(conn, booking.session_id)
    teacher = await users_store.get(conn, booking.booked_by)
    return "classbook/student_booked", {
        "session": session,
        "teacher": teacher.name if teacher else "",
    }


async def _session_cancelled(conn, context, row, user):
    session = await bookings_store.session_view(conn, row.session_id)
    if session is None or session.status != "cancelled":
        return None
    return "sessions/cancelled_student", {"session": session, "status": row.detail}


async def _session_cancelled_teacher(conn, context, row, user):
    session = await bookings_store.session_view(conn, row.session_id)
    if session is None or session.status != "cancelled" or not (row.detail or "").isdigit():
        return None
    ended = await sessions_store.cancelled_by_site(conn, row.session_id, int(row.detail))
    people = await _theirs(conn, user, ended)
    if not people:
        return None
    return "sessions/cancelled_teacher", {"session": session, "people": people}


async def _attendance(conn, context, row, user):
    """The attendance the site reported; a report corrected since is its own notice."""
    session = await bookings_store.session_view(conn, row.session_id)
    if session is None:
        return None
    roster = await sessions_store.roster(conn, row.session_id, statuses=("confirmed",))
    if sessions_store.attendance_digest(roster) != row.detail:
        return None  # the marks changed: the newer report says it
    people = await _theirs(conn, user, roster)
    if not people:
        return None
    return "sessions/attendance_teacher", {"session": session, "people": people}


async def _theirs(conn, teacher, people) -> list:
    """Of `people` (roster rows), those this teacher is told about."""
    for who, theirs in await sessions_store.teachers_to_tell(conn, people):
        if who.id == teacher.id:
            return theirs
    return []


async def _site_cancelled(conn, context, row, user):
    """A student cancelled a confirmed booking (further ahead than site_change covers)."""
    session = await _session_ahead(conn, row)
    person = await sessions_store.person(conn, row.booking_id) if row.booking_id else None
    if session is None or person is None or person.status != "cancelled":
        return None
    return "bookings/site_cancelled", {"session": session, "student": person}


def _on_its_day(context: JinroContext, row) -> bool:
    """A daily digest is for its day: after a long outage, yesterday's is not sent today."""
    tz = context.tz
    return row.due_at.astimezone(tz).date() == utcnow().astimezone(tz).date()


COMPOSE = {
    "student_day_before": _student,
    "student_online": _student,
    "site_roster_day_before": _roster,
    "site_roster_morning": _roster,
    "site_change": _site_change,
    "student_survey": _survey,
    "teacher_expiring": _expiring,
    "teacher_digest": _teacher_digest,
    "staff_dead": _staff_dead,
    "teacher_request": _teacher_request,
    "student_offer": _offer,
    "student_decision": _decision,
    "student_expired": _expired,
    "student_drawn": _drawn,
    "student_booked": _booked_by_teacher,
    "student_session_cancelled": _session_cancelled,
    "teacher_session_cancelled": _session_cancelled_teacher,
    "teacher_attendance": _attendance,
    "site_cancelled": _site_cancelled,
}


def add_kinds(area) -> None:
    """An area's outbox kinds: its REMINDERS (kind -> compose) and KEYBOARDS (kind ->
    build(row, lang)), if it has them."""
    COMPOSE.update(getattr(area, "REMINDERS", {}))
    KEYBOARDS.update(getattr(area, "KEYBOARDS", {}))


# What reaches a student even in quiet hours: an offer runs out, and a cancelled session
# may be tomorrow morning.
URGENT = frozenset({"student_offer", "student_session_cancelled"})
DIGEST_LINES = 10  # requests listed in the morning digest; /pending has them all


# ----- the keyboard a kind carries --------------------------------------------------------------


def _keyboard(row, lang: str):
    """The buttons under a reminder: the survey's scores, a teacher's decision, the list."""
    build = KEYBOARDS.get(row.kind)
    return build(row, lang) if build else None


def _decide(row, lang: str):
    return keyboard(
        [
            [
                (label(lang, "✅ Confirm"), f"tp:ok:{row.booking_id}"),
                (label(lang, "❌ Reject"), f"tp:no:{row.booking_id}"),
            ]
        ]
    )


def _my_bookings(row, lang: str, *, calendar: bool = True):
    rows = [[(label(lang, "My bookings"), "bk:my")]]
    if calendar:
        rows.insert(0, [(label(lang, "📅 Add to my calendar"), f"bk:ics:{row.booking_id}")])
    return keyboard(rows)


KEYBOARDS = {
    "student_survey": lambda row, lang: keyboard(
        [[(str(n), f"bk:sv:{row.booking_id}:{n}") for n in range(1, 6)]]
    ),
    "teacher_expiring": _decide,
    "teacher_request": _decide,
    "teacher_digest": lambda row, lang: keyboard(
        [[(label(lang, "📋 See the requests"), "tp:pg:0")]]
    ),
    "student_offer": lambda row, lang: keyboard(
        [
            [
                (label(lang, "✅ Take the seat"), f"bk:ofa:{row.booking_id}"),
                (label(lang, "Pass"), f"bk:ofd:{row.booking_id}"),
            ]
        ]
    ),
    "student_decision": lambda row, lang: _my_bookings(
        row, lang, calendar=row.detail == "confirmed"
    ),
    "student_booked": _my_bookings,
    "student_drawn": lambda row, lang: _my_bookings(row, lang, calendar=False),
}


# ----- the clock's daily planning -------------------------------------------------------------


async def plan_tick(application) -> None:
    """Hourly: every active teacher's next morning digest and every active staff member's
    next dead-letter digest are written ahead (idempotent), so a restart or a teacher who
    joined today misses nothing."""
    context = JinroContext(application)
    async with context.db.write() as conn:
        await store.plan_digests(conn, now=utcnow(), tz=context.tz)


async def forget_tick(application) -> None:
    """Hourly: outbox rows long settled are deleted (storage.reminders.KEEP_SETTLED)."""
    context = JinroContext(application)
    async with context.db.write() as conn:
        await store.forget_settled(conn, now=context.now)


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


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
