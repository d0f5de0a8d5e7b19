"""Who an audience reaches: the Audience chosen, the author's role limits, and the count."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.broadcasts.common import PARTICIPANTS, Share
from storage.broadcasts.picks import program_for, session_for
from storage.errors import NotAllowed
from storage.importer import SITE_KINDS as SITE_KIND_NAMES
from storage.models import Role
from storage.tables import bookings, programs, schools, sessions, sites, users

ROLES = tuple(role.value for role in Role)
GRADES = (1, 2, 3)
SITE_KINDS = tuple(dict.fromkeys(SITE_KIND_NAMES.values()))


@dataclass(frozen=True)
class Audience:
    roles: tuple[str, ...] = ()
    schools: tuple[int, ...] = ()
    districts: tuple[str, ...] = ()
    grades: tuple[int, ...] = ()
    site_kinds: tuple[str, ...] = ()
    program: int | None = None
    session: int | None = None
    everyone: bool = False

    @classmethod
    def from_json(cls, data: dict | None) -> Audience:
        """Read what was stored, dropping anything unknown (old rows, hand edits)."""
        data = data or {}

        def fits(value, kind) -> bool:
            return isinstance(value, kind) and not isinstance(value, bool)

        def picked(key, allowed=None, kind=str):
            values = [v for v in data.get(key) or () if fits(v, kind)]
            return tuple(sorted({v for v in values if allowed is None or v in allowed}))

        def one_id(key):
            value = data.get(key)
            return value if fits(value, int) and value > 0 else None

        return cls(
            roles=picked("roles", ROLES),
            schools=picked("schools", kind=int),
            districts=picked("districts"),
            grades=picked("grades", GRADES, int),
            site_kinds=picked("site_kinds", SITE_KINDS),
            program=one_id("program"),
            session=one_id("session"),
            everyone=data.get("everyone") is True,
        )

    def to_json(self) -> dict:
        return {key: list(v) if isinstance(v, tuple) else v for key, v in self.__dict__.items()}

    @property
    def chosen(self) -> bool:
        return (
            self.everyone
            or any((self.roles, self.schools, self.districts, self.grades, self.site_kinds))
            or bool(self.program or self.session)
        )

    def toggled(self, key: str, value) -> Audience:
        """The audience with `value` added to or taken out of the list `key`."""
        current = set(getattr(self, key))
        current ^= {value}
        return Audience.from_json({**self.to_json(), key: sorted(current)})

    def but(self, **values) -> Audience:
        return Audience.from_json({**self.to_json(), **values})


def limited(author: Row, audience: Audience) -> Audience:
    """What the author may reach of `audience`: staff anything; a teacher their school's
    students (by grade if chosen); a site its booked students (by one of its programmes or
    sessions if chosen; the site's own bound is added by `_recipients`)."""
    if author.role == Role.STAFF:
        return audience
    if author.role == Role.TEACHER and author.school_id is not None:
        return Audience(roles=("student",), schools=(author.school_id,), grades=audience.grades)
    if author.role == Role.SITE and author.site_id is not None:
        return Audience(roles=("student",), program=audience.program, session=audience.session)
    raise NotAllowed


def _recipients(author: Row, audience: Audience):
    """SELECT id, role of the active users the author reaches with `audience`."""
    audience = limited(author, audience)
    stmt = select(users.c.id, users.c.role).where(
        users.c.active.is_(True), users.c.role.is_not(None)
    )
    if author.role == Role.SITE:
        return stmt.where(_booked(audience, site_id=author.site_id))
    if audience.everyone:
        return stmt
    if not audience.chosen:
        return stmt.where(false())
    return stmt.where(*_filters(audience))


def _filters(audience: Audience) -> list:
    role = users.c.role
    where = []
    if audience.roles:
        where.append(role.in_(audience.roles))
    if audience.schools:
        in_school = users.c.school_id.in_(audience.schools)
        where.append(and_(role.in_(("student", "teacher")), in_school))
    if audience.districts:
        school_in = select(schools.c.id).where(schools.c.district.in_(audience.districts))
        site_in = select(sites.c.id).where(sites.c.district.in_(audience.districts))
        where.append(
            or_(
                and_(role.in_(("student", "teacher")), users.c.school_id.in_(school_in)),
                and_(role == "site", users.c.site_id.in_(site_in)),
            )
        )
    if audience.grades:
        where.append(_in_grades(audience.grades))
    if audience.site_kinds:
        kind_in = select(sites.c.id).where(sites.c.kind.in_(audience.site_kinds))
        where.append(and_(role == "site", users.c.site_id.in_(kind_in)))
    if audience.program or audience.session:
        where.append(_booked(audience))
    return where


def _in_grades(grades: tuple[int, ...]):
    """Students in one of `grades`, and the teachers covering one of them (a teacher with no
    grades picked covers every grade)."""
    covers = [users.c.grades.contains(str(grade)) for grade in grades]
    return or_(
        and_(users.c.role == "student", users.c.grade.in_(grades)),
        and_(
            users.c.role == "teacher",
            or_(users.c.grades.is_(None), users.c.grades == "", *covers),
        ),
    )


def _booked(audience: Audience, *, site_id: int | None = None):
    """Students with a requested or confirmed booking on the chosen session or programme
    (and on a session of `site_id`'s programmes, when given)."""
    booked = (
        select(bookings.c.id)
        .join(sessions, sessions.c.id == bookings.c.session_id)
        .join(programs, programs.c.id == sessions.c.program_id)
        .where(bookings.c.student_id == users.c.id, bookings.c.status.in_(PARTICIPANTS))
    )
    if site_id is not None:
        booked = booked.where(programs.c.site_id == site_id)
    if audience.session:
        booked = booked.where(sessions.c.id == audience.session)
    elif audience.program:
        booked = booked.where(programs.c.id == audience.program)
    return and_(users.c.role == "student", exists(booked))


@dataclass(frozen=True)
class Counted:
    total: int
    by_role: dict[str, int]

    @property
    def roles(self) -> list[Share]:
        return [Share(role, n) for role, n in self.by_role.items()]


async def count(conn: AsyncConnection, author: Row, audience: Audience) -> Counted:
    """How many active users the author reaches, and how many of each role."""
    found = _recipients(author, audience).subquery()
    rows = await conn.execute(
        select(found.c.role, func.count()).group_by(found.c.role).order_by(found.c.role)
    )
    by_role = {role: n for role, n in rows.all()}
    return Counted(sum(by_role.values()), by_role)


async def check_choice(conn: AsyncConnection, author: Row, audience: Audience) -> None:
    """A programme or session chosen must exist, and be the site's own for a site;
    NotAllowed otherwise (the same answer for another site's and a missing one)."""
    if audience.program and await program_for(conn, audience.program, author) is None:
        raise NotAllowed
    if audience.session and await session_for(conn, audience.session, author) is None:
        raise NotAllowed
