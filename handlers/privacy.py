"""/mydata: anyone (a student, an adult with a role, a guest or guardian) sees what the bot
keeps about them (PIPA Art. 35): a short summary in the chat and the full copy as a JSON
file (storage/privacy.py says what is in it and what is left out).

/deleteme: anyone erases themselves (Art. 36) after one confirmation (storage/erasure.py says
what goes and what stays as anonymous figures); the teachers of a request that disappears
and the sites of a seat given back are told. Flow: dm.confirm, while the question is shown."""

from __future__ import annotations

import json

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import JinroContext
from handlers import outbox
from handlers.common import answer_query, keyboard, notify, reply, set_flow, speaks_formally
from handlers.common.buttons import Buttons
from messages import label
from messages.labels import N_
from storage import audit, consent, erasure, privacy
from storage import bookings as bookings_store
from storage import users as users_store
from storage.bookings.views import teachers_of

CONFIRM_FLOW = "dm.confirm"
ERASE_LABELS = (N_("Yes, delete my data"), N_("Yes, delete everything"))  # student, adult


def _asked(context, values) -> bool:
    """Erase only while the question is the person's open step: an old button, or a second
    press, finds it closed."""
    return context.user is not None and context.user.flow == CONFIRM_FLOW


ERASING = Buttons("dm", roles=None)
ERASE = ERASING.action("y", guard=_asked)
KEEP = ERASING.action("n")


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


async def deleteme(update: Update, context: JinroContext) -> None:
    await set_flow(context, CONFIRM_FLOW)
    lang = context.lang
    formal = await _adult(context)
    markup = keyboard(
        [
            [ERASE(label(lang, ERASE_LABELS[formal]))],
            [KEEP(label(lang, "No, keep my data"))],
        ]
    )
    await reply(update, context, "privacy/erase_ask", markup, formal=formal)


@KEEP.handles
async def kept(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    if context.user.flow == CONFIRM_FLOW:
        await set_flow(context, None)
    await reply(update, context, "privacy/erase_kept", edit=True, formal=await _adult(context))


async def _adult(context: JinroContext) -> bool:
    """Spoken to in 합니다체: an adult with a role, or a guardian (a guest who consented)."""
    if speaks_formally(context.user):
        return True
    async with context.db.read() as conn:
        return bool(await consent.children_of(conn, context.user.id))


@ERASE.handles
async def erase_pressed(update: Update, context: JinroContext) -> None:
    person = context.user
    formal = await _adult(context)
    async with context.db.write() as conn:
        teachers = []
        if person.role == "student":
            teachers = (await conn.execute(teachers_of(person.school_id, person.grade))).all()
        erased = await erasure.erase(
            conn,
            person,
            actor_id=person.id,
            reason="self",
            now=context.now,
            offer=context.settings.offer,
        )
        sessions = await bookings_store.session_views(
            conn, {freed.session_id for freed in erased.cancelled}
        )
        sites = {
            s.site_id: await users_store.site_people(conn, s.site_id) for s in sessions.values()
        }
    await answer_query(update)
    await reply(update, context, "privacy/erased", edit=True, formal=formal)
    outbox.kick(context)  # seats offered on down the waiting lists
    requests = sum(freed.was == "requested" for freed in erased.withdrawn)
    for teacher in teachers if requests else []:
        await notify(
            context,
            teacher.id,
            teacher.lang,
            "privacy/teacher_told",
            name=person.name,
            grade=person.grade,
            requests=requests,
        )
    for session in (sessions.get(freed.session_id) for freed in erased.cancelled):
        for site_person in sites[session.site_id] if session is not None else []:
            await notify(
                context,
                site_person.id,
                site_person.lang,
                "privacy/site_told",
                session=session,
                tz=context.tz,
            )


def handlers() -> list[BaseHandler]:
    return [CommandHandler("mydata", mydata), CommandHandler("deleteme", deleteme)]
