"""What people see: a request as its mentor and its requester see it, the lists of teachers
and staff, a mentor's desk, group sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import NotFound
from storage.mentors.answers import _offered_to
from storage.mentors.common import ACTIVE, OPEN, TIMES, split_codes
from storage.names import first_name
from storage.tables import mentor_meetings as meetings
from storage.tables import mentor_requests as requests
from storage.tables import mentors, schools, users
from storage.users import covered_grades

requester_users = users.alias("requester")
mentor_profiles = mentors.alias("mentor")

# A request with its school, its requester (name, grade, role, language), its mentor's public
# profile and its meeting. The priority mark is left out on purpose: this is what mentors
# and requesters see (the teacher's and staff's lists add it).
REQUEST_VIEW = (
    select(
        requests.c.id,
        requests.c.requester_id,
        requests.c.school_id,
        requests.c.mode,
        requests.c.field,
        requests.c.question,
        requests.c.times,
        requests.c.status,
        requests.c.mentor_id,
        requests.c.offered_at,
        requests.c.offer_expires_at,
        requests.c.meeting_id,
        requests.c.created_at,
        requests.c.rating,
        schools.c.name.label("school"),
        schools.c.district.label("district"),
        schools.c.address.label("school_address"),
        requester_users.c.name.label("requester_name"),
        requester_users.c.grade.label("grade"),
        requester_users.c.role.label("requester_role"),
        mentor_profiles.c.name.label("mentor_name"),
        mentor_profiles.c.kind.label("mentor_kind"),
        mentor_profiles.c.title.label("mentor_title"),
        mentor_profiles.c.organization.label("mentor_organization"),
        meetings.c.starts_at,
        meetings.c.ends_at,
        meetings.c.place,
        meetings.c.link,
        meetings.c.status.label("meeting_status"),
        meetings.c.capacity,
        meetings.c.joined,
    )
    .join(schools, schools.c.id == requests.c.school_id)
    .join(requester_users, requester_users.c.id == requests.c.requester_id)
    .outerjoin(mentor_profiles, mentor_profiles.c.id == requests.c.mentor_id)
    .outerjoin(meetings, meetings.c.id == requests.c.meeting_id)
)


@dataclass(frozen=True)
class Seen:
    """A request as a mentor sees it: the student's first name, grade and school, the
    question; a teacher's name and school. Nothing else of the person, and no priority."""

    id: int
    mode: str
    field: str
    question: str
    times: tuple[str, ...]
    school: str
    district: str
    who: str  # the student's first name, or the teacher's name
    grade: int | None  # students only
    teacher: bool
    status: str
    offer_expires_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    place: str | None
    link: str | None
    meeting_id: int | None
    meeting_status: str | None
    capacity: int | None
    joined: int | None


def seen_by_mentor(row: Row) -> Seen:
    teacher = row.requester_role == "teacher"
    return Seen(
        id=row.id,
        mode=row.mode,
        field=row.field,
        question=row.question,
        times=tuple(split_codes(row.times, TIMES)),
        school=row.school,
        district=row.district,
        who=(row.requester_name or "") if teacher else first_name(row.requester_name),
        grade=None if teacher else row.grade,
        teacher=teacher,
        status=row.status,
        offer_expires_at=row.offer_expires_at,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        place=row.place,
        link=row.link,
        meeting_id=row.meeting_id,
        meeting_status=row.meeting_status,
        capacity=row.capacity,
        joined=row.joined,
    )


async def view(conn: AsyncConnection, request_id: int) -> Row | None:
    return (await conn.execute(REQUEST_VIEW.where(requests.c.id == request_id))).first()


async def for_mentor(conn: AsyncConnection, request_id: int, mentor_id: int | None) -> Seen:
    """A request offered to this mentor at some time (NotFound otherwise), as they see it."""
    await _offered_to(conn, request_id, mentor_id)
    return seen_by_mentor(await view(conn, request_id))


async def for_requester(conn: AsyncConnection, request_id: int, user_id: int) -> Row:
    row = await view(conn, request_id)
    if row is None or row.requester_id != user_id:
        raise NotFound
    return row


async def my_requests(conn: AsyncConnection, user_id: int, *, limit: int = 8) -> list[Row]:
    """The requester's requests: those not yet over first, then the latest others."""
    found = await conn.execute(
        REQUEST_VIEW.where(requests.c.requester_id == user_id)
        .order_by(requests.c.status.in_(ACTIVE).desc(), requests.c.id.desc())
        .limit(limit)
    )
    return list(found.all())


async def students_requests(
    conn: AsyncConnection, teacher: Row, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Requests of the students the teacher covers, not yet over first, newest first; with
    the priority mark (teachers may see it)."""
    where = [
        requests.c.school_id == teacher.school_id,
        requester_users.c.role == "student",
    ]
    covered = covered_grades(teacher)
    if covered:
        where.append(requester_users.c.grade.in_(covered))
    counted = requests.join(requester_users, requester_users.c.id == requests.c.requester_id)
    order = (requests.c.status.in_(ACTIVE).desc(), requests.c.id.desc())
    return await _with_priority(conn, counted, where, order, offset, limit)


async def open_for_staff(
    conn: AsyncConnection, *, offset: int = 0, limit: int = 8
) -> tuple[list[Row], int]:
    """Requests not yet taken (waiting, or offered and unanswered), priority first, oldest
    first; with the priority mark."""
    where = [requests.c.status.in_(("waiting", "offered"))]
    order = (requests.c.priority.desc(), requests.c.created_at, requests.c.id)
    return await _with_priority(conn, requests, where, order, offset, limit)


async def _with_priority(
    conn: AsyncConnection, counted, where: list, order, offset: int, limit: int
) -> tuple[list[Row], int]:
    """A page of REQUEST_VIEW with the priority mark (the lists of teachers and staff), and
    the total: the rows of `counted` that meet `where`."""
    total = await conn.scalar(select(func.count()).select_from(counted).where(*where))
    found = await conn.execute(
        REQUEST_VIEW.add_columns(requests.c.priority)
        .where(*where)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    return list(found.all()), total


@dataclass
class Board:
    """A mentor's desk: offers to answer, accepted requests to set a time for, meetings to
    come, and meetings to log."""

    offered: list[Seen] = field(default_factory=list)
    to_schedule: list[Seen] = field(default_factory=list)
    upcoming: list[Seen] = field(default_factory=list)
    to_log: list[Seen] = field(default_factory=list)

    # Counts, for the texts.
    count_offered = property(lambda self: len(self.offered))
    count_to_schedule = property(lambda self: len(self.to_schedule))
    count_upcoming = property(lambda self: len(self.upcoming))
    count_to_log = property(lambda self: len(self.to_log))


async def board(conn: AsyncConnection, mentor_id: int, *, now: datetime) -> Board:
    found = await conn.execute(
        REQUEST_VIEW.where(requests.c.mentor_id == mentor_id, requests.c.status.in_(OPEN)).order_by(
            func.coalesce(meetings.c.starts_at, requests.c.offered_at), requests.c.id
        )
    )
    desk = Board()
    seen_meetings: set[int] = set()
    for row in found.all():
        seen = seen_by_mentor(row)
        if row.status == "offered":
            desk.offered.append(seen)
        elif row.status == "accepted":
            desk.to_schedule.append(seen)
        elif row.meeting_id in seen_meetings:  # a group session: listed once
            continue
        else:
            seen_meetings.add(row.meeting_id)
            (desk.to_log if row.starts_at <= now else desk.upcoming).append(seen)
    return desk


async def meeting_schools(conn: AsyncConnection, meeting_id: int) -> list[str]:
    """The schools in a meeting (a group session's list for its mentor)."""
    found = await conn.execute(
        select(schools.c.name)
        .join(requests, requests.c.school_id == schools.c.id)
        .where(
            requests.c.meeting_id == meeting_id,
            requests.c.status.in_(("scheduled", "held", "not_held")),
        )
        .order_by(requests.c.id)
    )
    return list(found.scalars())


# A meeting with its mentor's public profile (a group session as schools see it).
GROUP_VIEW = select(
    meetings,
    mentors.c.name.label("mentor_name"),
    mentors.c.title.label("mentor_title"),
    mentors.c.organization.label("mentor_organization"),
).join(mentors, mentors.c.id == meetings.c.mentor_id)


async def open_groups(
    conn: AsyncConnection, school_id: int, *, now: datetime, limit: int = 8
) -> list[Row]:
    """Upcoming online group sessions with room for a school, soonest first, each with
    whether this school is in it already."""
    mine = (
        select(func.count())
        .where(
            requests.c.meeting_id == meetings.c.id,
            requests.c.school_id == school_id,
            requests.c.status == "scheduled",
        )
        .scalar_subquery()
    )
    found = await conn.execute(
        GROUP_VIEW.add_columns(mine.label("ours"))
        .where(
            meetings.c.mode == "group",
            meetings.c.status == "scheduled",
            meetings.c.starts_at > now,
        )
        .order_by(meetings.c.starts_at, meetings.c.id)
        .limit(limit)
    )
    return list(found.all())


async def group_view(conn: AsyncConnection, meeting_id: int) -> Row | None:
    found = await conn.execute(
        GROUP_VIEW.where(meetings.c.id == meeting_id, meetings.c.mode == "group")
    )
    return found.first()
