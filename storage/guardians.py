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

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import consent_requests as requests


async def is_guardian(conn: AsyncConnection, user_id: int) -> bool:
    """Has this account answered a consent request? One look-up on the answered_by index."""
    found = await conn.scalar(
        select(requests.c.token).where(requests.c.answered_by == user_id).limit(1)
    )
    return found is not None
