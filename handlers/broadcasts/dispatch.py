"""What the dispatcher sends: one recipient's copy of a broadcast, checked when it goes."""

from __future__ import annotations

from bot.context import JinroContext
from handlers import outbox
from handlers.broadcasts.compose import send_copy
from handlers.outbox import Kind
from storage import broadcasts as store


async def delivery(conn, context: JinroContext, row, user):
    """One recipient's copy, checked when it is sent: while the broadcast is scheduled or
    sending it goes as the author wrote it; paused, it waits (held); cancelled or gone, it
    is skipped."""
    found = await store.for_delivery(conn, row.broadcast_id) if row.broadcast_id else None
    if found is None or found.status not in ("scheduled", "sending", "paused"):
        return None
    if found.status == "paused":
        return outbox.HOLD

    async def send(context: JinroContext, chat_id: int):
        return await send_copy(context, chat_id, found, paced=True)

    return outbox.Copy(send, urgent=found.urgent)


# The outbox kinds this area sends.
REMINDERS = {store.KIND: delivery}


# The kinds this area sends, registered in bot/app.py.
OUTGOING = [Kind(name, compose, None) for name, compose in REMINDERS.items()]
