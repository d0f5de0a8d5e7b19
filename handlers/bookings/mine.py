"""The student's own bookings: /my, one booking, and the buttons a booking offers. A booking
that gave no seat says why (the teacher's or the site's reason when one was given, else what
happened) and what to do next: the programme's other dates, or its field's programmes."""

from __future__ import annotations

from telegram import Update

from bot.context import JinroContext
from handlers.bookings.buttons import CALENDAR, CANCEL, MY, OPEN, PASS_OFFER, TAKE_OFFER
from handlers.cases import buttons as cases
from handlers.common import answer_query, keyboard, reply, stale_button
from handlers.common.days import short
from handlers.common.maps import map_rows
from handlers.search import buttons as search
from messages import label
from storage import bookings as store
from storage import users as users_store
from storage.bookings.views import outcome

# A card a booking was made from: its message id, and the results page its "back" button
# returns to (None: a card with no list behind it), so that a change repaints it.
CardRef = tuple[int, int | None]

LISTED = 20  # booking buttons on /my: the upcoming first, then the recent past


async def show_my(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    student, now, tz = context.user, context.now, context.tz
    async with context.db.read() as conn:
        upcoming, past = await store.student_bookings(conn, student.id, now=now)
    ended = {b.id: outcome(b, student.id, now=now) for b in (*upcoming, *past)}
    # Every upcoming booking opens, as does a past one that gave no seat (why, what next).
    opened = [*upcoming, *(b for b in past if ended[b.id])]
    rows = [[OPEN(_button_text(b, ended[b.id], tz, context.lang), b.id)] for b in opened]
    await reply(
        update,
        context,
        "bookings/my",
        keyboard(rows[:LISTED]),
        edit=edit,
        upcoming=upcoming,
        past=past,
        ended=ended,
        tz=tz,
    )


def _button_text(booking, ended: str | None, tz, lang: str) -> str:
    mark = "✖ " if ended else ""
    return f"{mark}{short(lang, booking.starts_at, tz)} {booking.title}"[:60]


async def show_booking(update: Update, context: JinroContext, booking_id: int) -> None:
    """One booking: where it stands, or why it gave no seat and what to do next."""
    async with context.db.read() as conn:
        booking = await store.my_booking(conn, booking_id, context.user.id)
        place = await store.place_in_line(conn, booking_id) if booking else None
        school = await users_store.school(conn, context.user.school_id) if booking else None
    if booking is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    closed = store.cancel_closed(booking, context.now)
    ended = outcome(booking, context.user.id, now=context.now)
    if ended:
        markup = next_steps(context, booking)
    else:
        maps = []
        if booking.status in ("requested", "confirmed", "offered") and not booking.online:
            where = (school.address or school.name) if school is not None else None
            maps = map_rows(context.lang, booking.site_address, school=where)
        markup = booking_keyboard(
            context, booking.id, booking.status, closed=closed, report=True, above=maps
        )
    await reply(
        update,
        context,
        "bookings/detail",
        markup,
        edit=True,
        booking=booking,
        place=place,
        ended=ended,
        deadline=store.cancel_deadline(booking),
        closed=closed,
        tz=context.tz,
    )


def next_steps(context: JinroContext, booking):
    """What a student can do after a booking gave no seat: the programme's card (its other
    dates, seats as they are now), the programmes of its field, their bookings."""
    lang = context.lang
    return keyboard(
        [
            [search.SHOW(label(lang, "📋 Other dates of this programme"), booking.program_id)],
            [search.SAME_FIELD(label(lang, "🔎 Similar programmes"), booking.program_id)],
            [MY(label(lang, "My bookings"))],
        ]
    )


def booking_keyboard(
    context: JinroContext,
    booking_id: int,
    status: str,
    *,
    closed: bool,
    report: bool = False,
    card: CardRef | None = None,
    above: list | None = None,
):
    """The buttons a booking in `status` offers, under the rows `above` (the site's maps);
    `closed`: its cancellation deadline has passed (a held seat then offers no "Cancel" it
    could not use); `report`: with 🆘; `card`: the programme card it was made from,
    repainted when it is cancelled."""
    lang = context.lang
    rows = list(above or [])
    if status == "offered":
        rows.append(
            [
                TAKE_OFFER(label(lang, "✅ Take the seat"), booking_id),
                PASS_OFFER(label(lang, "Pass"), booking_id),
            ]
        )
    if status == "confirmed":
        rows.append([CALENDAR(label(lang, "📅 Add to my calendar"), booking_id)])
    card = card or (None, None)
    if status in ("waitlisted", "entered"):  # a place in line can always be given up
        rows.append([CANCEL(label(lang, "Leave the waiting list"), booking_id, *card)])
    elif status in ("requested", "confirmed") and not closed:
        rows.append([CANCEL(label(lang, "Cancel"), booking_id, *card)])
    if report and status in ("requested", "confirmed", "offered"):
        # A problem with it goes to a parent monitor as a case (handlers/cases/).
        rows.append([cases.ABOUT_BOOKING(label(lang, "🆘 Report a problem"), booking_id)])
    rows.append([MY(label(lang, "My bookings"))])
    return keyboard(rows)
