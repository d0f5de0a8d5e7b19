"""/mydata: anyone (a student, an adult with a role, a guest or guardian) sees what the bot
keeps about them (PIPA Art. 35): a short summary in the chat and the full copy as a JSON
file (storage/privacy.py says what is in it and what is left out)."""

from __future__ import annotations

import json

from telegram import InputFile, Update

from bot.context import JinroContext
from handlers.common import reply, speaks_formally
from messages import label
from storage import audit, privacy


async def mydata(update: Update, context: JinroContext) -> None:
    user = context.user
    async with context.db.read() as conn:
        copy = await privacy.export(conn, user, now=context.now, tz=context.tz)
    data = copy.data
    children = [
        {"name": c["profile"]["name"], "bookings": len(c["bookings"]), "cases": len(c["cases"])}
        for c in data.get("children", [])
    ]
    async with context.db.write() as conn:
        await audit.record(conn, user.id, "mydata.sent", "user", user.id, now=context.now)
        # A guardian is shown their children's data: an adult's read of other people's,
        # audited like every such read (ids and counts, never a name).
        for child_id, child in zip(copy.child_ids, children, strict=True):
            await audit.read(
                conn,
                user.id,
                "mydata_child",
                child_id,
                now=context.now,
                bookings=child["bookings"],
                cases=child["cases"],
            )
    await reply(
        update,
        context,
        "privacy/summary",
        profile=data["profile"],
        counts=privacy.counts(data),
        children=children,
        guest=user.role is None,
        # A guardian is an adult: 합니다체, as the consent flow speaks to them.
        formal=speaks_formally(user) or bool(children),
    )
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(content, filename=f"jinro-mydata-{context.today:%Y-%m-%d}.json"),
        caption=label(context.lang, "Everything the bot keeps about you (JSON)"),
    )
