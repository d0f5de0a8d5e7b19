"""Guardian consent for students under 14: a guardian's link, or a paper form a teacher records."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import audit
from storage import users as users_store
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role
from storage.tables import consent_requests as requests
from storage.tables import users

LINK_DAYS = 14


class SelfConsent(NotFound):
    """A student opened their own consent link; it must be opened by the guardian."""


def needs_consent(student: Row) -> bool:
    return student.role == Role.STUDENT and bool(student.under14) and student.consent_at is None


async def link_for(conn: AsyncConnection, student: Row, *, now: datetime) -> str:
    """The pending consent token of a student, made anew when missing or expired."""
    existing = (
        await conn.execute(
            select(requests.c.token)
            .where(
                requests.c.student_id == student.id,
                requests.c.status == "pending",
                requests.c.expires_at > now,
            )
            .order_by(requests.c.created_at.desc())
            .limit(1)
        )
    ).scalar()
    if existing:
        return existing
    token = "c" + secrets.token_urlsafe(16)
    await conn.execute(
        insert(requests).values(
            token=token,
            student_id=student.id,
            created_at=now,
            expires_at=now + timedelta(days=LINK_DAYS),
            status="pending",
        )
    )
    return token


async def request_for_guardian(
    conn: AsyncConnection, token: str, guardian_id: int, *, now: datetime
) -> Row:
    """The student a guardian is asked about; NotFound for a wrong, used or expired link."""
    row = (
        await conn.execute(
            select(requests, users.c.name, users.c.grade, users.c.school_id)
            .join(users, users.c.id == requests.c.student_id)
            .where(requests.c.token == token)
        )
    ).first()
    if row is None or row.status != "pending" or row.expires_at <= now:
        raise NotFound(token)
    if row.student_id == guardian_id:
        raise SelfConsent(token)
    return row


async def answer(
    conn: AsyncConnection, token: str, guardian_id: int, agree: bool, *, now: datetime
) -> Row:
    """Record the guardian's answer once; returns the student row."""
    await request_for_guardian(conn, token, guardian_id, now=now)
    done = (
        await conn.execute(
            update(requests)
            .where(requests.c.token == token, requests.c.status == "pending")
            .values(
                status="given" if agree else "declined", answered_by=guardian_id, answered_at=now
            )
            .returning(requests.c.student_id)
        )
    ).first()
    if done is None:
        raise AlreadyHandled(token)
    student = await users_store.get(conn, done.student_id)
    if agree and student.consent_at is None:
        student = await users_store.change(
            conn, student.id, consent_at=now, consent_method="guardian"
        )
    await audit.record(
        conn, guardian_id, "consent.guardian", "user", student.id, agree=agree, now=now
    )
    return student


async def record_paper(
    conn: AsyncConnection, teacher: Row, student_id: int, *, now: datetime
) -> Row:
    """A teacher records that the signed paper form came back; only for their own school."""
    student = await users_store.get(conn, student_id)
    grades = users_store.covered_grades(teacher)
    if (
        student is None
        or student.role != Role.STUDENT
        or student.school_id != teacher.school_id
        or (grades and student.grade not in grades)
    ):
        raise NotFound(student_id)
    if student.consent_at is not None:
        raise AlreadyHandled(student_id)
    student = await users_store.change(conn, student_id, consent_at=now, consent_method="paper")
    await conn.execute(
        update(requests)
        .where(requests.c.student_id == student_id, requests.c.status == "pending")
        .values(status="given", answered_by=teacher.id, answered_at=now)
    )
    await audit.record(conn, teacher.id, "consent.paper", "user", student_id, now=now)
    return student
