"""Changing a class booking: take a student off a seat, correct a typed name, give seats
back, cancel the whole booking; each after a confirmation (storage/bookings/class_changes.py).

Only the teacher who booked the seats sees these buttons work: another's seat or session is
NotFound (the router's stale answer). Until the session's cancel deadline; after it the
class's page says so and offers nothing to change.
"""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers import outbox
from handlers.classbook.buttons import ASK, DO, FEWER, HOME, MANAGE, NAMES, RENAME, SEAT
from handlers.classbook.names import problems, refuse_names
from handlers.common import answer_query, keyboard, leave_flow, reply, set_flow, text_step
from handlers.common.handled import asked
from handlers.common.told import nobody_at_site, student_hears_at
from messages import label
from messages.labels import N_
from storage import bookings as store
from storage import pending as pending_store
from storage.errors import NotFound

FEWER_CHOICES = 8  # buttons of counts to give back, before "all unnamed"
YES = {  # the confirming button of each change
    "un": N_("➖ Yes, take off the list"),
    "drop": N_("↩️ Yes, give the seat back"),
    "fewer": N_("↩️ Yes, give the seats back"),
    "all": N_("🗑 Yes, cancel the class booking"),
    "name": N_("✏️ Yes, change the name"),
}


def clean_name(text: str) -> str:
    return " ".join(text.split())


def seat_label(place: int, seat) -> str:
    name = seat.registered_name or seat.student_name
    return f"{place}. {name}"[:30] if name else f"{place}. —"


async def _class(context: JinroContext, session_id: int):
    """The teacher's seats on the session and the session; NotFound when they hold none."""
    async with context.db.read() as conn:
        seats = await pending_store.class_seats(conn, context.user.id, session_id)
        session = await store.session_view(conn, session_id)
    if not seats or session is None:
        raise NotFound(session_id)
    return seats, session


async def _seat(context: JinroContext, booking_id: int):
    """The teacher's own seat (NotFound otherwise), its place in the class, and the class."""
    async with context.db.read() as conn:
        seat = await store.class_seat(conn, context.user, booking_id)
    seats, session = await _class(context, seat.session_id)
    place = next((i for i, s in enumerate(seats, 1) if s.id == booking_id), None)
    if place is None:
        raise NotFound(booking_id)
    return seats[place - 1], place, seats, session


@MANAGE.handles
async def manage_pressed(update: Update, context: JinroContext, session_id: int) -> None:
    seats, session = await _class(context, session_id)
    await answer_query(update)
    await show_manage(update, context, seats, session)


async def show_manage(
    update: Update,
    context: JinroContext,
    seats,
    session,
    *,
    note: str | None = None,
    count: int = 0,
    name: str = "",
) -> None:
    await leave_flow(context, "cb.")  # a name half-typed or a confirmation left open
    lang = context.lang
    refusal = store.change_refusal(session, context.now)
    unnamed = sum(1 for s in seats if s.student_id is None and s.student_name is None)
    rows = []
    if refusal is None:
        buttons = [SEAT(seat_label(i, s), s.id) for i, s in enumerate(seats, 1)]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)][:30]
        if unnamed:
            rows.append([FEWER(label(lang, "↩️ Give back unnamed seats"), session.id)])
        rows.append([ASK(label(lang, "🗑 Cancel the whole class booking"), "all", session.id, 0)])
    rows.append([NAMES(label(lang, "◀ Back to naming"), session.id, 0)])
    gave_back = note in ("drop", "fewer")
    await reply(
        update,
        context,
        "classbook/manage",
        keyboard(rows),
        edit=True,
        session=session,
        seats=seats,
        unnamed=unnamed,
        refusal=refusal,
        when=refusal.when.astimezone(context.tz) if refusal and refusal.when else None,
        tz=context.tz,
        note=note,
        count=count,
        name=name,
        site_nobody=gave_back and await nobody_at_site(context, session.site_id),
    )


@SEAT.handles
async def seat_pressed(update: Update, context: JinroContext, booking_id: int) -> None:
    seat, place, _, session = await _seat(context, booking_id)
    await answer_query(update)
    lang = context.lang
    rows = []
    if seat.student_id is None and seat.student_name is not None:
        rows.append([RENAME(label(lang, "✏️ Correct the name"), seat.id)])
    if seat.student_id is not None or seat.student_name is not None:
        rows.append([ASK(label(lang, "➖ Take off the list (seat stays)"), "un", seat.id, 0)])
    rows.append([ASK(label(lang, "↩️ Give this seat back"), "drop", seat.id, 0)])
    rows.append([MANAGE(label(lang, "◀ Back"), session.id)])
    await reply(
        update,
        context,
        "classbook/seat",
        keyboard(rows),
        edit=True,
        session=session,
        seat=seat,
        place=place,
        tz=context.tz,
    )


@FEWER.handles
async def fewer_pressed(update: Update, context: JinroContext, session_id: int) -> None:
    seats, session = await _class(context, session_id)
    await answer_query(update)
    unnamed = sum(1 for s in seats if s.student_id is None and s.student_name is None)
    counts = list(range(1, min(unnamed, FEWER_CHOICES) + 1))
    if unnamed > FEWER_CHOICES:
        counts.append(unnamed)
    buttons = [ASK(str(n), "fewer", session_id, n) for n in counts]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    rows.append([MANAGE(label(context.lang, "◀ Back"), session_id)])
    await reply(
        update,
        context,
        "classbook/fewer",
        keyboard(rows),
        edit=True,
        session=session,
        seats=seats,
        unnamed=unnamed,
        tz=context.tz,
    )


@ASK.handles
async def ask_pressed(
    update: Update, context: JinroContext, what: str, target: int, count: int
) -> None:
    if what in ("un", "drop", "name"):
        seat, place, seats, session = await _seat(context, target)
    else:
        seat, place, (seats, session) = None, 0, await _class(context, target)
    await answer_query(update)
    await _ask(update, context, what, target, count, seat, place, seats, session, edit=True)


async def _ask(update, context, what, target, count, seat, place, seats, session, *, edit, name=""):
    """The confirmation of one change, made the open step (DO's guard)."""
    data = {"what": what, "id": target, "count": count}
    if name:
        data["name"] = name
    await set_flow(context, "cb.change", data)
    lang = context.lang
    yes = YES[what]
    rows = [
        [DO(label(lang, yes), what, target, count)],
        [MANAGE(label(lang, "◀ No, go back"), session.id)],
    ]
    await reply(
        update,
        context,
        "classbook/ask_change",
        keyboard(rows),
        edit=edit,
        what=what,
        session=session,
        seat=seat,
        place=place,
        count=count if what == "fewer" else len(seats) if what == "all" else 1,
        name=name,
        when=student_hears_at(context.now, context.tz),  # a student taken off hears then
        on_telegram=sum(1 for s in seats if s.registered_name) if what == "all" else 0,
        tz=context.tz,
        site_nobody=what in ("drop", "fewer", "all")
        and await nobody_at_site(context, session.site_id),
    )


@RENAME.handles
async def rename_pressed(update: Update, context: JinroContext, booking_id: int) -> None:
    seat, place, _, session = await _seat(context, booking_id)
    if seat.student_id is not None or seat.student_name is None:
        raise NotFound(booking_id)  # a registered student's name is their account's
    await answer_query(update)
    await set_flow(context, "cb.rename", {"seat": booking_id})
    rows = [[MANAGE(label(context.lang, "◀ Back"), session.id)]]
    shown = await reply(
        update, context, "classbook/ask_name", keyboard(rows), edit=True, seat=seat, place=place
    )
    await asked(context, shown)  # the name typed: the sure? below, no "◀ Back" above


@text_step("cb.rename")
async def name_typed(update: Update, context: JinroContext) -> None:
    booking_id = (context.user.flow_data or {}).get("seat")
    name = clean_name(update.message.text)
    try:
        if not isinstance(booking_id, int):
            raise NotFound
        seat, place, seats, session = await _seat(context, booking_id)
    except NotFound:
        await set_flow(context, None)
        await reply(update, context, "classbook/gone")
        return
    refused = problems([name])
    if refused:  # the step stays open: the next message is the name again
        await refuse_names(update, context, [name], refused, one=True)
        return
    await _ask(
        update, context, "name", booking_id, 0, seat, place, seats, session, edit=False, name=name
    )


@DO.handles
async def do_pressed(
    update: Update, context: JinroContext, what: str, target: int, count: int
) -> None:
    name = (context.user.flow_data or {}).get("name", "")
    teacher, now, offer = context.user, context.now, context.settings.offer
    if what in ("un", "drop", "name"):
        _, _, _, session = await _seat(context, target)
    else:
        _, session = await _class(context, target)
    try:
        async with context.db.write() as conn:
            if what == "un":
                changed = await store.unname_seat(conn, teacher, target, now=now)
            elif what == "name":
                changed = await store.rename_seat(conn, teacher, target, name, now=now)
            elif what == "drop":
                changed = await store.give_back_seat(conn, teacher, target, now=now, offer=offer)
            elif what == "fewer":
                changed = await store.fewer_seats(
                    conn, teacher, target, count, now=now, offer=offer
                )
            else:
                changed = await store.cancel_class(conn, teacher, target, now=now, offer=offer)
    except store.Refused as refused:
        await answer_query(update)
        await _after(update, context, session, note=refused.reason)
        return
    await answer_query(update)
    outbox.kick(context)  # the site's news, a student taken off, seats offered from the line
    await _after(
        update,
        context,
        session,
        note=what,
        count=changed.given_back,
        name=name,
        students=len(changed.told),
    )


async def _after(
    update: Update, context: JinroContext, was, note: str, count=0, name="", students=0
) -> None:
    """The class's page after a change (`was`: the session before it), or that none of it
    is left (`students`: those on Telegram taken off it, told)."""
    await set_flow(context, None)
    try:
        seats, session = await _class(context, was.id)
    except NotFound:
        home = [[HOME(label(context.lang, "◀ My class bookings"))]]
        when = student_hears_at(context.now, context.tz)
        await reply(
            update,
            context,
            "classbook/cancelled",
            keyboard(home),
            edit=True,
            count=count,
            when=when,
            tz=context.tz,
            site=was.site_name,
            site_nobody=await nobody_at_site(context, was.site_id),
            students=students,
        )
        return
    await show_manage(update, context, seats, session, note=note, count=count, name=name)
