"""The retention sweep (PIPA Art. 21): what the programme no longer needs is destroyed on the
clock, rule by rule, in small write transactions.

- A student is forgotten `left_days` after they leave: 1 March after their third grade
  (users.leaves_on), or a year after their last word to the bot (users.seen_on). A guest
  (someone who never finished joining, or a guardian whose consents are all over) the same
  way after a year without a word. Forgetting is storage/erasure.py's `forget`: bookings stay
  as anonymous figures, their lines in cases lose their words. Someone with something still
  under way (a seat or a place in line for a session to come, an open mentor request, an open
  case) is kept until it is over; a guardian who holds a child's consent stays while it does.
- Case texts and photos go `case_months` after the case closed (the thread stays, its lines
  read "(삭제된 메시지)"); a mentor request's question, comment and the words its two sides
  wrote each other, and a group meeting's topic and note, as long after.
- Survey comments go once their school year is over; the scores stay.
- What a booking keeps beyond its figures goes once its school year is over: the name of a
  student a teacher booked who is not on Telegram (who has no row to be forgotten with), and
  the words of a decision's reason.
- Consent requests that came to nothing (never answered, declined, replaced) go `left_days`
  after their link ran out, with the guardian's number the student gave.
- Audit entries go after `audit_months`; updates the webhook set aside (quarantined, with
  the sender's words) after QUARANTINE_DAYS.

Photos are Telegram file ids, sent on by id and never downloaded: no file is kept here, so
forgetting the id is all there is to delete.

Each batch is one short write transaction (SQLite has one writer: other work waits at most a
batch), and the sweep gives the loop a turn between batches. Every rule picks only rows it
has not done, so two processes sweeping at once, or a sweep cut off halfway, do no harm.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as clock_time

from sqlalchemy import and_, delete, exists, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit, school_year
from storage.cases.common import POSTS
from storage.cases.erasing import empty_lines
from storage.db import Database
from storage.erasure import forget
from storage.mentors.common import ACTIVE as MENTOR_ACTIVE
from storage.models import AuditEntry, InboxUpdate
from storage.models.bookings import ACTIVE_STATUSES, WORDS_SQL
from storage.tables import (
    bookings,
    case_messages,
    case_parties,
    consent_requests,
    mentor_meetings,
    mentor_messages,
    mentor_requests,
    sessions,
    survey_answers,
    users,
)
from storage.tables import cases as case_rows

audit_log = AuditEntry.__table__
inbox = InboxUpdate.__table__

PEOPLE_BATCH = 100  # people forgotten in one transaction (each touches a few tables)
ROWS_BATCH = 500  # rows changed or deleted in one transaction
QUIET_YEAR = timedelta(days=365)  # a year without a word to the bot: left
QUARANTINE_DAYS = 30
UNANSWERED = ("pending", "declined", "replaced")


@dataclass(frozen=True)
class Limits:
    left_days: int = 30
    case_months: int = 12
    audit_months: int = 24


@dataclass(frozen=True)
class Moment:
    """When the sweep runs: the instant, the city's time zone, and the limits."""

    now: datetime
    tz: tzinfo
    limits: Limits

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def midnight(self, day: date) -> datetime:
        return datetime.combine(day, clock_time(0), tzinfo=self.tz)

    def months_ago(self, months: int) -> datetime:
        """The city's midnight `months` calendar months before today (a 31st falls back to
        the month's last day)."""
        year, month = divmod(self.today.year * 12 + self.today.month - 1 - months, 12)
        first = date(year, month + 1, 1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return self.midnight(first.replace(day=min(self.today.day, last.day)))

    @property
    def year_began(self) -> datetime:
        """The first moment of the school year today is in."""
        return self.midnight(school_year.year_start(self.today))


# What a rule's batch did: the keys it went over, in order (the next batch goes on past the
# last), and the rows it changed or deleted. A rule goes over a batch from past `after`.
Batch = tuple[list, int]


@dataclass
class Swept:
    """What one sweep did: rows per rule, and the longest any of its transactions held."""

    done: dict[str, int] = field(default_factory=dict)
    held: dict[str, float] = field(default_factory=dict)  # each rule's longest, in seconds
    transactions: int = 0

    def note(self, rule: str, rows: int, held: float) -> None:
        self.done[rule] = self.done.get(rule, 0) + rows
        self.held[rule] = max(self.held.get(rule, 0.0), held)
        self.transactions += 1

    @property
    def longest_hold(self) -> float:
        return max(self.held.values(), default=0.0)


async def sweep(db: Database, *, now: datetime, tz: tzinfo, limits: Limits) -> Swept:
    """Run every rule, a batch a transaction, until it has nothing left to do; each batch
    that did something leaves one audit entry (the rule and a count, never who)."""
    moment = Moment(now, tz, limits)
    swept = Swept()
    for rule, batch in RULES:
        after = None  # the last key done: each batch goes on from there
        while True:
            async with db.write() as conn:
                started = time.perf_counter()
                keys, changed = await rule(conn, moment, after)
                if changed:
                    await audit.record(
                        conn, None, "retention.swept", rule.__name__, None, now=now, rows=changed
                    )
            swept.note(rule.__name__, changed, time.perf_counter() - started)
            if len(keys) < batch:
                break
            after = keys[-1]
            await asyncio.sleep(0)  # the writer is free between batches: let others in
    return swept


# ----- people -------------------------------------------------------------------------------


def _under_way(now: datetime):
    """Something of a person's not yet over, for which they are kept until it is: a seat or
    a place in line for a session to come, an open mentor request or case, a child's
    consent they gave and have not withdrawn."""
    seat = exists().where(
        bookings.c.student_id == users.c.id,
        bookings.c.status.in_(ACTIVE_STATUSES),
        bookings.c.session_id == sessions.c.id,
        sessions.c.ends_at > now,
    )
    mentoring = exists().where(
        mentor_requests.c.requester_id == users.c.id, mentor_requests.c.status.in_(MENTOR_ACTIVE)
    )
    case = exists().where(
        case_parties.c.user_id == users.c.id,
        case_parties.c.case_id == case_rows.c.id,
        case_rows.c.closed_at.is_(None),
    )
    consenting = exists().where(
        consent_requests.c.answered_by == users.c.id, consent_requests.c.status == "given"
    )
    return or_(seat, mentoring, case, consenting)


async def people(conn: AsyncConnection, moment: Moment, after) -> Batch:
    """Students who left and guests who went quiet, `left_days` on: forgotten together."""
    grace = timedelta(days=moment.limits.left_days)
    student = users.c.role == "student"
    gone = or_(
        and_(student, users.c.leaves_on <= moment.today - grace),
        and_(
            or_(student, users.c.role.is_(None)),
            users.c.seen_on < moment.today - QUIET_YEAR - grace,
        ),
    )
    if after is not None:
        gone = and_(gone, users.c.id > after)
    found = await conn.scalars(
        select(users.c.id)
        .where(gone, ~_under_way(moment.now))
        .order_by(users.c.id)
        .limit(PEOPLE_BATCH)
        .with_for_update(skip_locked=True)
    )
    ids = found.all()
    if ids:
        await forget(conn, ids)
    return ids, len(ids)


# ----- words and files ----------------------------------------------------------------------


async def _batch(conn: AsyncConnection, after, key, *where) -> list:
    """The keys of up to ROWS_BATCH rows still to do, in key order from past `after` (the
    sweep's place in the rule: a batch never reads again over what the last one did)."""
    if after is not None:
        where = (*where, key > after)
    found = await conn.scalars(select(key).where(*where).order_by(key).limit(ROWS_BATCH))
    return found.all()


async def _blank(conn: AsyncConnection, after, key, values: dict, *where) -> Batch:
    """A batch of rows still to do (`_batch`) set to `values`."""
    ids = await _batch(conn, after, key, *where)
    await conn.execute(update(key.table).where(key.in_(ids)).values(values))
    return ids, len(ids)


async def _delete(conn: AsyncConnection, after, key, *where) -> Batch:
    """A batch of rows still to do (`_batch`) deleted."""
    ids = await _batch(conn, after, key, *where)
    await conn.execute(delete(key.table).where(key.in_(ids)))
    return ids, len(ids)


async def case_texts(conn: AsyncConnection, moment: Moment, after) -> Batch:
    """Cases closed `case_months` ago lose their words, photos and names; events keep
    their codes (opened, closed, ...) without the name."""
    old = select(case_rows.c.id).where(
        case_rows.c.closed_at < moment.months_ago(moment.limits.case_months)
    )
    posts = case_messages.c.kind.in_(POSTS)
    ids = await _batch(
        conn,
        after,
        case_messages.c.id,
        case_messages.c.case_id.in_(old),
        or_(
            case_messages.c.sender_name.is_not(None),
            and_(posts, or_(case_messages.c.text.is_not(None), case_messages.c.photo.is_not(None))),
        ),
    )
    await empty_lines(conn, case_messages.c.id.in_(ids))
    return ids, len(ids)


async def mentor_texts(conn: AsyncConnection, moment: Moment, after) -> Batch:
    """Mentor requests closed `case_months` ago lose the question and the comment."""
    requests = mentor_requests.c
    return await _blank(
        conn,
        after,
        requests.id,
        {"question": "", "comment": None},
        requests.closed_at < moment.months_ago(moment.limits.case_months),
        or_(requests.question != "", requests.comment.is_not(None)),
    )


async def mentor_talk(conn: AsyncConnection, moment: Moment, after) -> Batch:
    """The words a request's two sides wrote to each other go with its question."""
    old = select(mentor_requests.c.id).where(
        mentor_requests.c.closed_at < moment.months_ago(moment.limits.case_months)
    )
    key = mentor_messages.c.id
    return await _delete(conn, after, key, mentor_messages.c.request_id.in_(old))


async def meeting_texts(conn: AsyncConnection, moment: Moment, after) -> Batch:
    """Meetings over `case_months` ago lose the topic (a school's question) and the note."""
    meetings = mentor_meetings.c
    return await _blank(
        conn,
        after,
        meetings.id,
        {"topic": None, "note": None},
        meetings.ends_at < moment.months_ago(moment.limits.case_months),
        or_(meetings.topic.is_not(None), meetings.note.is_not(None)),
    )


async def survey_comments(conn: AsyncConnection, moment: Moment, after) -> Batch:
    """Comments of a school year that is over; the scores stay."""
    answers = survey_answers.c
    return await _blank(
        conn,
        after,
        answers.booking_id,
        {"comment": None},
        answers.answered_at < moment.year_began,
        answers.comment.is_not(None),
    )


async def booking_words(conn: AsyncConnection, moment: Moment, after) -> Batch:
    """Bookings of a school year that is over: the name of a student not on Telegram and a
    decision's reason go; status, school and attendance stay for the figures."""
    # The few bookings with words, in key order from the partial index alone (its condition
    # written as it is there); then those of a past school year among them. One query of
    # both lets a planner with stale figures read every past session's bookings instead.
    seen = await _batch(conn, after, bookings.c.id, text(f"({WORDS_SQL})"))
    found = await conn.scalars(
        select(bookings.c.id)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .where(bookings.c.id.in_(seen), sessions.c.starts_at < moment.year_began)
    )
    ids = found.all()
    await conn.execute(
        update(bookings)
        .where(bookings.c.id.in_(ids), bookings.c.student_id.is_(None))
        .values(student_name=None)
    )
    await conn.execute(update(bookings).where(bookings.c.id.in_(ids)).values(reason=None))
    return seen, len(ids)


# ----- records ------------------------------------------------------------------------------


async def unanswered_consents(conn: AsyncConnection, moment: Moment, after) -> Batch:
    """Consent requests that came to nothing, `left_days` after their link ran out."""
    requests = consent_requests.c
    return await _delete(
        conn,
        after,
        requests.token,
        requests.status.in_(UNANSWERED),
        requests.expires_at < moment.now - timedelta(days=moment.limits.left_days),
    )


async def audit_entries(conn: AsyncConnection, moment: Moment, after) -> Batch:
    old = audit_log.c.at < moment.months_ago(moment.limits.audit_months)
    return await _delete(conn, after, audit_log.c.id, old)


async def quarantined_updates(conn: AsyncConnection, moment: Moment, after) -> Batch:
    old = inbox.c.quarantined_at < moment.now - timedelta(days=QUARANTINE_DAYS)
    return await _delete(conn, after, inbox.c.update_id, old)


Rule = Callable[[AsyncConnection, Moment, object], Awaitable[Batch]]
# Audit entries last: a sweep's own entries are the newest there are.
RULES: list[tuple[Rule, int]] = [
    (people, PEOPLE_BATCH),
    (case_texts, ROWS_BATCH),
    (mentor_texts, ROWS_BATCH),
    (mentor_talk, ROWS_BATCH),
    (meeting_texts, ROWS_BATCH),
    (survey_comments, ROWS_BATCH),
    (booking_words, ROWS_BATCH),
    (unanswered_consents, ROWS_BATCH),
    (quarantined_updates, ROWS_BATCH),
    (audit_entries, ROWS_BATCH),
]
