"""A legal representative's consent for students under 14 (PIPA Art. 22-2), confirmed as the
Enforcement Decree's Art. 17-2 allows:

- the student gives their guardian's mobile number (`ask`); the guardian opens the link in
  their own Telegram, confirms the relationship and shares their own contact with Telegram's
  request-contact button: Telegram vouches the number is that account's, and it must be the
  number the student gave (`give`, method "contact": consent in the service confirmed through
  the guardian's own mobile phone, Art. 17-2 (1) 1, the own-number share in place of its text
  message, so a like way under (1) 7);
- or a teacher records the signed paper form (`record_paper`, method "paper", (1) 4);
- a phone identity check (본인확인) can take the contact's place (CONSENT_CHECK=identity,
  method "identity", (1) 3): storage/identity.py.

An account that has a role here (a student, teacher, site, mentor, monitor or staff) never
consents; one guardian account consents for at most MAX_CHILDREN students (siblings). A link
is answered once and expires. The guardian may withdraw later (`withdraw`): the student's
pending requests are withdrawn. Every step is in the audit log, without the number.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import users as users_store
from storage.bookings.decisions import withdraw_pending
from storage.bookings.views import teachers_of
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role
from storage.tables import bookings, programs, sessions, users
from storage.tables import consent_requests as requests

LINK_DAYS = 7
# The student's flow step that waits for the guardian's number (handlers/consent/student.py);
# onboarding starts there for a student under 14.
NUMBER_FLOW = "cn.phone"
MAX_CHILDREN = 4  # students one guardian account may consent for: siblings, not a class
RELATIONSHIPS = ("parent", "guardian")  # 부모, 그 밖의 법정대리인 (후견인)
MOBILE_DIGITS = 11  # 010 and 8 digits: every Korean mobile number (mobile_number)


class SelfConsent(NotFound):
    """A student opened their own consent link; it must be opened by the guardian."""


class NotAGuardian(NotFound):
    """An account with a role here (a classmate, a teacher, a site…) opened a consent link."""


class TooManyChildren(NotFound):
    """The guardian account already consented for MAX_CHILDREN students."""


class WrongPhone(NotFound):
    """The shared contact is not the guardian's own, or not the number the student gave."""


class LinkClosed(NotFound):
    """A link that is no longer open, opened or pressed by a guest: `state` says why, so the
    answer fits what happened (`closed_state`). args[0] is the token."""

    def __init__(self, token: str, state: str) -> None:
        super().__init__(token)
        self.token = token
        self.state = state


def mobile_number(text: str, *, shared: bool = False) -> str | None:
    """A Korean mobile number in E.164 (+821012345678), as a student types it (010-1234-5678,
    full-width digits, +82 10 …), as Telegram shares one (`shared`: international digits,
    often without the +) or as an identity check returns it; None for anything else.

    Strict on purpose: 010 and 8 digits, nothing else. Every Korean mobile number is one
    since the 01X prefixes were folded into 010 (2G ended in 2021), and a guardian's number
    is compared, digit for digit, with their own later. phonenumbers still calls the old
    10-digit form "010-234-5678" valid, so "010-2345-678" (a digit left out) came back as
    another, real-looking number: the digits are never re-split or guessed, only checked."""
    typed = unicodedata.normalize("NFKC", text).strip()[:32]
    if shared and typed[:1].isdigit():
        typed = "+" + typed
    if not typed or not set(typed) <= _PHONE_CHARACTERS:
        return None
    digits = "".join(ch for ch in typed if ch.isdigit())
    if typed.startswith("+"):
        # +82 10 …, also written +82 010 … (the 0 kept after the country code).
        if not digits.startswith("82"):
            return None
        digits = "0" + digits[2:].removeprefix("0")
    if len(digits) != MOBILE_DIGITS or not digits.startswith("010"):
        return None
    return "+82" + digits[1:]


def miscounted(text: str) -> int:
    """How many digits a mobile number typed with too few or too many has (010-2345-678:
    10), for its refusal to say; 0 for anything else (words, a landline, a right length)."""
    typed = unicodedata.normalize("NFKC", text).strip()[:32]
    digits = "".join(ch for ch in typed if ch.isdigit())
    if typed.startswith("+82"):
        digits = "0" + digits[2:].removeprefix("0")
    if not digits.startswith("010") or len(digits) == MOBILE_DIGITS:
        return 0
    return len(digits)


# What a phone number typed in a chat looks like: a Korean one (0…, or +…) with the usual
# separators, 7 to 15 digits. Not necessarily a valid mobile number (mobile_number says that):
# "02-123-4567" is one too; a day such as "2026-12-03" is not.
_PHONE_CHARACTERS = set("0123456789+-(). ")


def phone_like(text: str) -> bool:
    """Whether typed text is a phone number rather than words or a day: a student's search
    is words; a number is for their guardian."""
    typed = unicodedata.normalize("NFKC", text).strip()
    digits = "".join(ch for ch in typed if ch.isdigit())
    return (
        7 <= len(digits) <= 15
        and len(typed) <= 32
        and set(typed) <= _PHONE_CHARACTERS
        and (typed.startswith("+") or digits.startswith("0"))
    )


def shown_number(e164: str | None) -> str:
    """The number as a Korean reads it (010-1234-5678), for the person who gave it."""
    if not e164:
        return ""
    national = "0" + e164.removeprefix("+82")
    if not e164.startswith("+8210") or len(national) != MOBILE_DIGITS:
        return e164  # kept from before numbers were this strict: shown as it was stored
    return f"{national[:3]}-{national[3:7]}-{national[7:]}"


def needs_consent(student: Row) -> bool:
    return student.role == Role.STUDENT and bool(student.under14) and student.consent_at is None


# ----- the student asks -------------------------------------------------------------------


async def ask(conn: AsyncConnection, student: Row, phone: str, *, now: datetime) -> str:
    """A new request to the guardian at `phone` (E.164), replacing a pending one; its token."""
    await conn.execute(
        update(requests)
        .where(requests.c.student_id == student.id, requests.c.status == "pending")
        .values(status="replaced")
    )
    token = "c" + secrets.token_urlsafe(16)
    await conn.execute(
        insert(requests).values(
            token=token,
            student_id=student.id,
            created_at=now,
            expires_at=now + timedelta(days=LINK_DAYS),
            status="pending",
            guardian_phone=phone,
        )
    )
    await audit.record(conn, student.id, "consent.asked", "user", student.id, now=now)
    return token


async def pending(conn: AsyncConnection, student_id: int, *, now: datetime) -> Row | None:
    """The student's open request (token, guardian_phone, expires_at), if any."""
    return (
        await conn.execute(
            select(requests)
            .where(
                requests.c.student_id == student_id,
                requests.c.status == "pending",
                requests.c.expires_at > now,
            )
            .order_by(requests.c.created_at.desc())
            .limit(1)
        )
    ).first()


# ----- the guardian answers -----------------------------------------------------------------


async def for_guardian(
    conn: AsyncConnection, token: str, guardian: Row | None, guardian_id: int, *, now: datetime
) -> Row:
    """The open request and its student (name, grade, school_id) that `guardian_id` may answer;
    NotFound (or one of its kinds above) otherwise."""
    row = (
        await conn.execute(
            select(requests, users.c.name, users.c.grade, users.c.school_id, users.c.consent_at)
            .join(users, users.c.id == requests.c.student_id)
            .where(requests.c.token == token)
        )
    ).first()
    if row is None:
        raise NotFound(token)
    if row.status != "pending" or row.expires_at <= now:
        if row.student_id == guardian_id or (guardian is not None and guardian.role is not None):
            raise NotFound(token)  # the link's story is the guardian's, not a classmate's
        raise LinkClosed(token, closed_state(row, guardian_id, now=now))
    if row.student_id == guardian_id:
        raise SelfConsent(token)
    # The refusals carry the student's id: it goes in the audit entry, never to the person.
    if guardian is not None and guardian.role is not None:
        raise NotAGuardian(row.student_id)
    if len(await children_of(conn, guardian_id)) >= MAX_CHILDREN:
        raise TooManyChildren(row.student_id)
    return row


def closed_state(request: Row, guardian_id: int, *, now: datetime) -> str:
    """Why a link (with its student's consent_at) is no longer open, as a guest who opens or
    presses it is told: "given", "declined" or "withdrawn" (this guardian answered it so),
    "consented" (the student's consent came another way: another guardian, a paper form),
    "replaced" (the student asked again, on a newer link), "expired", or "answered" (another
    account answered it)."""
    if request.answered_by == guardian_id and request.status in ("given", "declined", "withdrawn"):
        return request.status
    if request.consent_at is not None:
        return "consented"
    if request.status == "replaced":
        return "replaced"
    if request.status == "pending" and request.expires_at <= now:
        return "expired"
    return "answered"


async def give(
    conn: AsyncConnection,
    token: str,
    guardian: Row | None,
    guardian_id: int,
    *,
    relationship: str,
    shared_phone: str | None,
    now: datetime,
    method: str = "contact",
) -> Row:
    """The guardian consents, identified by their own contact (`shared_phone`, E.164, None
    if the contact was not their own), or by the number a phone identity check verified
    (`method` "identity", storage/identity.py): it must be the number the student gave.
    Returns the student's row."""
    request = await for_guardian(conn, token, guardian, guardian_id, now=now)
    if relationship not in RELATIONSHIPS:
        raise WrongPhone(request.student_id)
    _identified(request, shared_phone)
    student = await _answer(
        conn, request, guardian_id, "given", now=now, relationship=relationship, method=method
    )
    return await users_store.change(conn, student.id, consent_at=now, consent_method="guardian")


async def decline(
    conn: AsyncConnection,
    token: str,
    guardian: Row | None,
    guardian_id: int,
    *,
    shared_phone: str | None,
    now: datetime,
    method: str = "contact",
) -> Row:
    """The guardian says no, identified exactly as for a yes (`give`): a refusal in the
    guardian's name closes the link and tells the student and the teacher, so whoever holds
    the link must not record one. Nothing of theirs is kept but the answer. The student's
    row."""
    request = await for_guardian(conn, token, guardian, guardian_id, now=now)
    _identified(request, shared_phone)
    return await _answer(conn, request, guardian_id, "declined", now=now, method=method)


async def answer(
    conn: AsyncConnection,
    token: str,
    guardian: Row | None,
    guardian_id: int,
    *,
    answer: str,
    relationship: str,
    shared_phone: str | None,
    now: datetime,
    method: str = "contact",
) -> Row:
    """The guardian's checked `answer` ("given" or "declined"), as `give` or `decline`
    records it: what the step after the question ends in, whichever button began it."""
    if answer == "declined":
        return await decline(
            conn, token, guardian, guardian_id, shared_phone=shared_phone, now=now, method=method
        )
    return await give(
        conn,
        token,
        guardian,
        guardian_id,
        relationship=relationship,
        shared_phone=shared_phone,
        now=now,
        method=method,
    )


def _identified(request: Row, shared_phone: str | None) -> None:
    """The guardian's checked number is the one the student gave; WrongPhone (nothing
    written, the link still open for the real guardian) otherwise."""
    if shared_phone is None or shared_phone != request.guardian_phone:
        raise WrongPhone(request.student_id)


async def _answer(
    conn: AsyncConnection, request: Row, guardian_id: int, status: str, *, now: datetime, **values
) -> Row:
    done = await conn.execute(
        update(requests)
        .where(requests.c.token == request.token, requests.c.status == "pending")
        .values(status=status, answered_by=guardian_id, answered_at=now, **values)
    )
    if done.rowcount != 1:
        raise AlreadyHandled(request.token)
    await audit.record(
        conn, guardian_id, f"consent.{status}", "user", request.student_id, now=now, **values
    )
    return await users_store.get(conn, request.student_id)


async def confirmed_seats(conn: AsyncConnection, student_id: int, *, now: datetime) -> int:
    """Seats a teacher confirmed for the student in sessions still to come: what a withdrawal
    leaves for the teacher to decide (none: nothing to say about them)."""
    return await conn.scalar(
        select(func.count())
        .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
        .where(
            bookings.c.student_id == student_id,
            bookings.c.status == "confirmed",
            sessions.c.starts_at > now,
        )
    )


async def children_of(conn: AsyncConnection, guardian_id: int) -> list[Row]:
    """The students this guardian account's consent stands for now (name, grade, school_id)."""
    rows = await conn.execute(
        select(users.c.id, users.c.name, users.c.grade, users.c.school_id, users.c.lang)
        .join(requests, requests.c.student_id == users.c.id)
        .where(requests.c.answered_by == guardian_id, requests.c.status == "given")
        .order_by(users.c.name, users.c.id)
    )
    return list(rows.all())


@dataclass
class Withdrawal:
    """A consent taken back, with whom to tell: the student's row, the requests and waiting
    places withdrawn with it, the student's teachers, and the seats the teacher confirmed
    that stay for the teacher to decide (confirmed_seats)."""

    student: Row
    withdrawn: list
    teachers: list[Row]
    kept: int


async def withdraw(
    conn: AsyncConnection, guardian_id: int, student_id: int, *, now: datetime, offer: timedelta
) -> Withdrawal:
    """The guardian takes their consent back: the student can no longer apply, and their
    requests and waiting places are withdrawn (seats offered on, as
    storage.bookings.decisions.withdraw_pending does)."""
    taken = await conn.execute(
        update(requests)
        .where(
            requests.c.answered_by == guardian_id,
            requests.c.student_id == student_id,
            requests.c.status == "given",
        )
        .values(status="withdrawn", withdrawn_at=now)
    )
    if taken.rowcount == 0:
        raise NotFound(student_id)
    student = await users_store.change(conn, student_id, consent_at=None, consent_method=None)
    withdrawn = await withdraw_pending(conn, student_id, guardian_id, now=now, offer=offer)
    await audit.record(
        conn, guardian_id, "consent.withdrawn", "user", student_id, bookings=len(withdrawn), now=now
    )
    teachers = (await conn.execute(teachers_of(student.school_id, student.grade))).all()
    kept = await confirmed_seats(conn, student_id, now=now)
    return Withdrawal(student, withdrawn, list(teachers), kept)


# ----- the teacher ------------------------------------------------------------------------


async def record_paper(
    conn: AsyncConnection, teacher: Row, student_id: int, *, now: datetime
) -> Row:
    """A teacher records that the signed paper form came back; only for their own school."""
    student = await _teachers_student(conn, teacher, student_id)
    if student.consent_at is not None:
        raise AlreadyHandled(student_id)
    student = await users_store.change(conn, student_id, consent_at=now, consent_method="paper")
    await conn.execute(
        update(requests)
        .where(requests.c.student_id == student_id, requests.c.status == "pending")
        .values(status="replaced")
    )
    await conn.execute(
        insert(requests).values(
            token="p" + secrets.token_urlsafe(16),
            student_id=student_id,
            created_at=now,
            expires_at=now,
            status="given",
            method="paper",
            answered_by=teacher.id,
            answered_at=now,
        )
    )
    await audit.record(conn, teacher.id, "consent.paper", "user", student_id, now=now)
    return student


async def asked_again(
    conn: AsyncConnection, teacher: Row, student_id: int, *, now: datetime
) -> Row:
    """The teacher reminds a student without consent to ask again; the student's row."""
    student = await _teachers_student(conn, teacher, student_id)
    if not needs_consent(student):
        raise AlreadyHandled(student_id)
    await audit.record(conn, teacher.id, "consent.reminded", "user", student_id, now=now)
    return student


async def _teachers_student(conn: AsyncConnection, teacher: Row, student_id: int) -> Row:
    student = await users_store.get(conn, student_id)
    grades = users_store.covered_grades(teacher)
    if (
        student is None
        or student.role != Role.STUDENT
        or student.school_id != teacher.school_id
        or (grades and student.grade not in grades)
    ):
        raise NotFound(student_id)
    return student


async def states(
    conn: AsyncConnection, teacher: Row, *, now: datetime, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """The teacher's students under 14, those without consent first: each with `state`
    (given, asked, declined, withdrawn, expired or none) and `method` of the latest request."""
    latest = (
        select(
            requests.c.student_id,
            requests.c.status,
            requests.c.method,
            requests.c.expires_at,
            func.row_number()
            .over(partition_by=requests.c.student_id, order_by=requests.c.created_at.desc())
            .label("n"),
        )
        .where(requests.c.status != "replaced")
        .subquery()
    )
    where = [
        users.c.role == Role.STUDENT,
        users.c.school_id == teacher.school_id,
        users.c.under14.is_(True),
    ]
    grades = users_store.covered_grades(teacher)
    if grades:
        where.append(users.c.grade.in_(grades))
    state = case(
        (users.c.consent_at.is_not(None), "given"),
        (latest.c.status.is_(None), "none"),
        (and_(latest.c.status == "pending", latest.c.expires_at <= now), "expired"),
        (latest.c.status == "pending", "asked"),
        else_=latest.c.status,
    )
    joined = users.outerjoin(latest, and_(latest.c.student_id == users.c.id, latest.c.n == 1))
    total = await conn.scalar(select(func.count()).select_from(users).where(*where))
    rows = await conn.execute(
        select(users.c.id, users.c.name, users.c.grade, users.c.consent_method, latest.c.method)
        .add_columns(state.label("state"))
        .select_from(joined)
        .where(*where)
        .order_by(users.c.consent_at.is_not(None), users.c.grade, users.c.name, users.c.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total or 0


# ----- what the guardian is told --------------------------------------------------------------


async def fees(conn: AsyncConnection) -> str:
    """What the consent text says of fees, counted from the programmes (never written once
    and forgotten): "free" (none has a fee), "mostly_free" (fewer than half) or "mixed"."""
    row = (await conn.execute(select(func.count(), func.count().filter(programs.c.fee > 0)))).one()
    programmes, with_fee = row
    if not with_fee:
        return "free"
    return "mostly_free" if with_fee * 2 < programmes else "mixed"
