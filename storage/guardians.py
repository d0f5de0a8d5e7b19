"""Who is a guardian: a guest account (no role) that answered a student's consent request in
its own Telegram (storage/consent.py), whether it consented, declined or later withdrew.

Such a person is a parent or legal representative, an adult: the bot speaks to them in
합니다체 and /help, /mydata and /deleteme tell them what a guardian can do and what is kept
about them. The consents that stand now (storage.consent.children_of) decide what they may
do for a child; having answered at all decides how they are spoken to, so a parent who
withdrew is still addressed as the adult they are. An account with a role never answers a
consent request (storage.consent.for_guardian), so only guests are asked.
"""

from __future__ import annotations

from sqlalchemy import bindparam, case, exists, false, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import consent_requests as requests
from storage.tables import users

# The gate's read for every update: the person's row, with a `guardian` column that is true
# for a guest who answered a consent request; a second statement per update saved.
_PERSON = select(
    users,
    case(
        (users.c.role.is_(None), exists().where(requests.c.answered_by == users.c.id)),
        else_=false(),
    ).label("guardian"),
).where(users.c.id == bindparam("user_id"))


async def person(conn: AsyncConnection, user_id: int) -> Row | None:
    """The user's row (None for someone never seen) with `guardian` (is_guardian) beside."""
    return (await conn.execute(_PERSON, {"user_id": user_id})).first()


async def is_guardian(conn: AsyncConnection, user_id: int) -> bool:
    """Has this account answered a consent request? One look-up on the answered_by index."""
    found = await conn.scalar(
        select(requests.c.token).where(requests.c.answered_by == user_id).limit(1)
    )
    return found is not None
