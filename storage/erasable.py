"""Whom someone other than the person may erase (PIPA Art. 36 on another's behalf), decided
in the erasing transaction itself (storage/erasure.py does the erasing):

- a guardian, a child their consent stands for now (storage.consent.children_of), picked by
  place and check number in that list: consent withdrawn since the list was shown, or a list
  that changed, is Refused("not_guardian"), never another child;
- staff, on a request made to them in writing (`REASONS`), anyone with a role found by name
  (storage.users.find_people), but never a staff member (Refused("staff")) nor themselves
  (Refused("self"): their own data goes through /deleteme like anyone's).

The person's users row is locked first (on PostgreSQL): two erasures of one person meet
there, and the second finds nobody.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import consent
from storage import users as users_store
from storage.cases import at_place
from storage.errors import NotFound, Refused
from storage.models import Role
from storage.tables import users

GUARDIAN = "guardian"  # the reason code of a guardian's erasure of their child
# Staff erase only on a request in writing, from: the person, their guardian, their school.
REASONS = ("written_self", "written_guardian", "school")


async def _locked(conn: AsyncConnection, user_id: int) -> Row | None:
    """The person's users row, locked until the erasure's transaction ends on PostgreSQL
    (SQLite has one writer anyway). FOR NO KEY UPDATE: a second erasure waits here and then
    finds nobody, while a booking that only refers to the row (FOR KEY SHARE) is not held
    up, so its session-then-person lock order never meets ours in a deadlock."""
    stmt = select(users).where(users.c.id == user_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    return (await conn.execute(stmt)).first()


async def guardians_child(conn: AsyncConnection, guardian_id: int, place: int, tag: int) -> Row:
    """The users row of the child at `place` of the guardian's list (check number `tag`),
    if the guardian's consent stands for them now."""
    shown = at_place(await consent.children_of(conn, guardian_id), place, tag, guardian_id)
    child = await _locked(conn, shown.id) if shown is not None else None
    if child is None:
        raise Refused("not_guardian")
    return child


def check_staff_may_erase(staff_id: int, person: Row) -> None:
    """Staff erase others only, and never a staff member."""
    if person.id == staff_id:
        raise Refused("self")
    if person.role == Role.STAFF:
        raise Refused("staff")


async def staff_pick(
    conn: AsyncConnection, staff_id: int, text: str, *, page: int, size: int, place: int, tag: int
) -> Row:
    """The users row of the person at `place` of page `page` of the search for `text` (check
    number `tag`), whom `staff_id` may erase; NotFound when the list changed since."""
    shown, _ = await users_store.find_people(conn, text, offset=page * size, limit=size)
    picked = at_place(shown, place, tag, staff_id)
    person = await _locked(conn, picked.id) if picked is not None else None
    if person is None:
        raise NotFound(place)
    check_staff_may_erase(staff_id, person)
    return person
