"""/mydata: anyone (a student, an adult with a role, a guest or guardian) sees what the bot
keeps about them (PIPA Art. 35): a short summary in the chat and the full copy as two files
(storage/privacy.py says what is in it and what is left out).

Why two files: the JSON copy is the machine-readable one that portability asks for, and its
keys and codes stay as they are (other tools may read them); but a parent or a 13-year-old
cannot read "status": "requested". The chat summary only counts, and a list of every booking
and consent would not fit a message, nor be kept like a file; so the same copy comes first
as a plain text file in the person's language, every section under a heading and every code
in words (messages/templates/privacy/copy.html.j2, plain text despite its name). Plain text,
not HTML or CSV: it opens on any phone or computer as it is, is not the kind of attachment
people are warned not to open, and reads top to bottom, where a CSV would need one table a
section."""

from __future__ import annotations

import json

from telegram import InputFile, Update

from bot.context import JinroContext
from handlers.common import is_guardian, reply
from messages import label, render
from storage import audit, privacy

# A byte order mark first: Windows' Notepad and older editors then read the file as UTF-8
# (Korean), where without it some guess another encoding; phones ignore it.
BOM = "\ufeff"


async def mydata(update: Update, context: JinroContext) -> None:
    user = context.user
    async with context.db.read() as conn:
        copy = await privacy.export(conn, user, now=context.now, tz=context.tz)
    data = copy.data
    children = [
        {
            "name": c["profile"]["name"],
            "school": c["profile"]["school"] or "",
            "grade": c["profile"]["grade"],
            "bookings": len(c["bookings"]),
            "cases": len(c["cases"]),
        }
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
    guardian = is_guardian(user)
    await reply(
        update,
        context,
        "privacy/summary",
        profile=data["profile"],
        counts=privacy.counts(data),
        children=children,
        guest=user.role is None,
        guardian=guardian,
    )
    day = f"{context.today:%Y-%m-%d}"
    await send_file(
        update,
        context,
        (BOM + render("privacy/copy", context.lang, data=data, guardian=guardian) + "\n").encode(),
        f"jinro-mydata-{day}.txt",
        label(context.lang, "Everything the bot keeps about you, to read"),
    )
    await send_file(
        update,
        context,
        json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
        f"jinro-mydata-{day}.json",
        label(context.lang, "The same in JSON, a format other services can read"),
    )


async def send_file(
    update: Update, context: JinroContext, content: bytes, name: str, caption: str
) -> None:
    await context.bot.send_document(
        update.effective_chat.id, InputFile(content, filename=name), caption=caption
    )
