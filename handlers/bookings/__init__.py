"""The student's side of booking: apply, /my, cancel, waiting-list offers, calendar, survey.

Buttons: handlers/bookings/buttons.py (and search's old "Apply", handlers/search/buttons.py).
Every booking id in a button is checked against the pressing student: someone else's
booking gets the same answer as a missing one.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import JinroContext
from handlers import outbox
from handlers.bookings.buttons import (
    APPLY,
    APPLY_LATE,
    CALENDAR,
    CANCEL,
    CANCEL_NOW,
    MY,
    NO_COMMENT,
    NOT_APPLIED,
    OPEN,
    PASS_OFFER,
    SURVEY,
    TAKE_OFFER,
)
from handlers.bookings.calendar import booking_calendar, calendar_file_name
from handlers.bookings.mine import CardRef, booking_keyboard, show_booking, show_my
from handlers.bookings.news import OUTGOING as OUTGOING  # the outbox kinds this area sends
from handlers.common import (
    answer_query,
    keyboard,
    reply,
    requires,
    set_flow,
    stale_button,
    text_step,
)
from handlers.common.cards import repaint_card
from handlers.common.days import short
from handlers.common.handled import PROMPT, pressed_message_id, settle_prompt
from handlers.common.questions import hold
from handlers.common.shorten import ask_to_shorten
from handlers.search import buttons as search
from messages import label
from messages.labels import N_
from storage import bookings as store
from storage import users as users_store
from storage.errors import NotFound
from storage.models import Role

log = logging.getLogger(__name__)

COMMENT_MAX = 500  # of a survey comment: what storage/bookings/attendance.py keeps

# Refusal reason -> the short alert shown on the pressed "Apply" (cancelling's: CANCEL_NOW).
REFUSALS = {
    "consent": N_("Your guardian's consent is needed first. Send /consent to see how."),
    "already": N_("You already applied for this session. See /my."),
    "started": N_("This session has already started."),
    "gone": N_("This session is no longer offered."),
    "safety": N_("This site cannot be booked until it passes its safety check."),
}


# ----- applying -------------------------------------------------------------------------------


@APPLY.handles
@search.OLD_APPLY.handles  # on a card sent before bookings had buttons of their own
async def apply_pressed(update: Update, context: JinroContext, session_id: int) -> None:
    """ "Apply" on a programme card: a held seat, a place in line or a lottery entry; first
    a question when a seat on it could no longer be cancelled."""
    if context.user.role != Role.STUDENT:
        await answer_query(update, label(context.lang, "Only students apply here."), alert=True)
        return
    async with context.db.read() as conn:
        late = await store.too_late_to_cancel(
            conn,
            context.user,
            session_id,
            now=context.now,
            unchecked_ok=context.settings.unchecked_sites_bookable,
        )
        # The same programme on another day, held or done: said before, never refused.
        before = await store.same_programme(conn, context.user.id, session_id)
        session = late or (await store.session_view(conn, session_id) if before else None)
    if session is not None:
        await answer_query(update)
        await _ask_apply_late(
            update, context, session, _pressed_card(update), late=late is not None, before=before
        )
        return
    await _apply(update, context, session_id, card=_pressed_card(update))


def _pressed_card(update: Update) -> CardRef | None:
    """The programme card whose "Apply" was pressed: its message, and the results page its
    "◀ Back to the list" button returns to (None: a shared card, with no list behind it)."""
    message = update.callback_query.message if update.callback_query else None
    if message is None:
        return None
    pages = [
        found[0]
        for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
        for button in row
        if (found := search.LIST.match(button.callback_data or ""))
    ]
    return message.message_id, pages[0] if pages else None


def _still_offered(update: Update) -> bool:
    """The pressed message still shows the pressed button: drawn before things changed (a
    button kept from before, or typed data, is on no current card: nothing to draw again,
    and an edit to the same text is refused by Telegram)."""
    query = update.callback_query
    markup = query.message.reply_markup if query and query.message else None
    return markup is not None and any(
        button.callback_data == query.data for row in markup.inline_keyboard for button in row
    )


async def _repaint(update: Update, context: JinroContext, card: CardRef | None, session) -> None:
    """The card a seat was taken or given back from, drawn again with the seats as they are
    now (and "Apply" or "Join the waiting list" as fits them)."""
    if card is not None and session is not None:
        chat_id = update.effective_chat.id
        await repaint_card(context, chat_id, card[0], session.program_id, card[1])


async def _ask_apply_late(
    update: Update,
    context: JinroContext,
    session,
    card: CardRef | None,
    *,
    late: bool = True,
    before: list | None = None,
) -> None:
    """Before the seat is taken: its cancellation deadline has passed (`late`), or the
    student already has (or had) this programme on another day (`before`), so say so, and
    let the student choose (the card stays above, its buttons as they were)."""
    lang = context.lang
    shown = await reply(
        update,
        context,
        "bookings/ask_late",
        keyboard(
            [
                [APPLY_LATE(label(lang, "Apply anyway"), session.id, *(card or ()))],
                [NOT_APPLIED(label(lang, "Do not apply"))],
            ]
        ),
        session=session,
        deadline=store.cancel_deadline(session) if late else None,
        before=before or [],
        tz=context.tz,
    )
    # Asked again ("Apply" pressed twice), the copy above loses its buttons; typed, "신청"
    # applies and other words are asked to press one (handlers/common/questions.py).
    await hold(context, shown, "bk.late")


@APPLY_LATE.handles
async def apply_late_pressed(
    update: Update, context: JinroContext, session_id: int, card_id, page
) -> None:
    # A question asked before it named its card (card_id None) repaints none.
    card = (card_id, page) if card_id is not None else None
    await _apply(update, context, session_id, edit=True, card=card)


@NOT_APPLIED.handles
async def not_applied(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await reply(update, context, "bookings/not_applied", edit=True)


async def _apply(
    update: Update, context: JinroContext, session_id: int, *, edit=False, card=None
) -> None:
    try:
        async with context.db.write() as conn:
            applied = await store.apply(
                conn,
                context.user,
                session_id,
                hold=context.settings.hold,
                now=context.now,
                unchecked_ok=context.settings.unchecked_sites_bookable,
            )
    except store.Refused as refused:
        await _refuse(update, context, refused)
        if refused.reason in ("gone", "started", "safety") and _still_offered(update):
            # The card still offered it: drawn again, as the session and the site are now.
            async with context.db.read() as conn:
                await _repaint(update, context, card, await store.session_view(conn, session_id))
        return
    await answer_query(update)
    async with context.db.read() as conn:
        session = await store.session_view(conn, session_id)
        place = await store.place_in_line(conn, applied.booking_id)
        clashes = await store.clashes(conn, context.user.id, session)
        teachers = await _teachers(conn, context.user)
        booking = await store.get(conn, applied.booking_id)
    await _repaint(update, context, card, session)
    await _show_applied(
        update, context, booking, session, place, clashes, teachers, edit=edit, card=card
    )
    if applied.status == "requested":  # the teachers' requests are in the outbox
        outbox.kick(context)


async def _refuse(update: Update, context: JinroContext, refused: store.Refused) -> None:
    lang, tz = context.lang, context.tz
    if refused.reason == "not_open":
        when = short(lang, refused.when, tz, clock=True)
        text = label(lang, "Applications open on %(when)s.", when=when)
    else:
        text = label(lang, REFUSALS.get(refused.reason, N_("This session cannot be booked.")))
    await answer_query(update, text, alert=True)


async def _teachers(conn, student) -> list:
    return list((await conn.execute(store.teachers_of(student.school_id, student.grade))).all())


async def _show_applied(
    update: Update,
    context: JinroContext,
    booking,
    session,
    place,
    clashes: list,
    teachers: list,
    *,
    edit: bool = False,
    card: CardRef | None = None,
) -> None:
    """Where a student stands after applying or taking an offered seat (held, in line, a
    lottery entry, waiting for a teacher): the teacher's deadline as a moment, whether the
    seat can still be cancelled, and the booking's buttons (`card`: the programme card it
    was made from, repainted if it is cancelled from here)."""
    closed = store.cancel_closed(session, context.now)
    await reply(
        update,
        context,
        "bookings/applied",
        booking_keyboard(context, booking.id, booking.status, closed=closed, card=card),
        edit=edit,
        status=booking.status,
        session=session,
        place=place,
        clashes=clashes,
        teachers=len(teachers),
        deadline=booking.expires_at,
        cutoff=store.cancel_deadline(session) if closed else None,
        tz=context.tz,
    )


# ----- /my and one booking --------------------------------------------------------------------


@requires(Role.STUDENT)
async def my_command(update: Update, context: JinroContext) -> None:
    await show_my(update, context)


@MY.handles
async def my_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await show_my(update, context, edit=True)


@OPEN.handles
async def open_pressed(update: Update, context: JinroContext, booking_id: int) -> None:
    await show_booking(update, context, booking_id)


# ----- cancelling -----------------------------------------------------------------------------


@CANCEL.handles
async def ask_cancel(
    update: Update, context: JinroContext, booking_id: int, card_id=None, page=None
) -> None:
    async with context.db.read() as conn:
        booking = await store.my_booking(conn, booking_id, context.user.id)
    if booking is None:
        await stale_button(update, context)
        return
    if booking.status in ("requested", "confirmed") and store.cancel_closed(booking, context.now):
        # An older message's "Cancel", pressed after the deadline: the booking as it is now,
        # with what the student can do instead.
        await show_booking(update, context, booking_id)
        return
    await answer_query(update)
    lang = context.lang
    shown = await reply(
        update,
        context,
        "bookings/ask_cancel",
        keyboard(
            [
                [
                    CANCEL_NOW(label(lang, "Yes, cancel"), booking_id, card_id, page),
                    OPEN(label(lang, "No, keep it"), booking_id),
                ]
            ]
        ),
        edit=True,
        booking=booking,
        tz=context.tz,
    )
    await hold(context, shown, "bk.cancel")  # one live "cancel?" at a time


@CANCEL_NOW.handles
async def cancel(
    update: Update, context: JinroContext, booking_id: int, card_id=None, page=None
) -> None:
    # Someone else's or a gone booking, one changed meanwhile, a deadline passed: the
    # button's answers (handlers/bookings/buttons.py).
    async with context.db.write() as conn:
        freed = await store.cancel(
            conn, booking_id, context.user, now=context.now, offer=context.settings.offer
        )
    await answer_query(update)
    async with context.db.read() as conn:
        session = await store.session_view(conn, freed.session_id)
    await _repaint(update, context, (card_id, page) if card_id else None, session)
    lang = context.lang
    await reply(
        update,
        context,
        "bookings/cancelled",
        # The programme as it is now: the seat just given back, its other dates.
        keyboard(
            [
                [search.SHOW(label(lang, "📋 See the programme"), session.program_id)],
                [MY(label(lang, "My bookings"))],
            ]
        ),
        edit=True,
    )
    outbox.kick(context)  # the site's notice, and the freed seat's offer


@TAKE_OFFER.handles
async def take_offer(update: Update, context: JinroContext, booking_id: int) -> None:
    # An offer run out or already answered: "This offer has ended." (the button's answer).
    async with context.db.write() as conn:
        await store.accept_offer(
            conn, booking_id, context.user, now=context.now, hold=context.settings.hold
        )
    await answer_query(update)
    async with context.db.read() as conn:
        booking = await store.get(conn, booking_id)
        session = await store.session_view(conn, booking.session_id)
        teachers = await _teachers(conn, context.user)
        clashes = await store.clashes(conn, context.user.id, session)
    await _show_applied(update, context, booking, session, None, clashes, teachers, edit=True)
    outbox.kick(context)  # the teachers' requests


@PASS_OFFER.handles
async def pass_offer(update: Update, context: JinroContext, booking_id: int) -> None:
    async with context.db.write() as conn:
        await store.decline_offer(
            conn, booking_id, context.user, now=context.now, offer=context.settings.offer
        )
    await answer_query(update)
    await reply(update, context, "bookings/offer_passed", edit=True)
    outbox.kick(context)  # the seat's offer to the next in line


# ----- calendar -------------------------------------------------------------------------------


@CALENDAR.handles
async def send_calendar(update: Update, context: JinroContext, booking_id: int) -> None:
    async with context.db.read() as conn:
        booking = await store.my_booking(conn, booking_id, context.user.id)
        session = await store.session_view(conn, booking.session_id) if booking else None
    if booking is None or booking.status != "confirmed":
        await stale_button(update, context)
        return
    await answer_query(update)
    await context.bot.send_document(
        update.effective_chat.id,
        booking_calendar(session, booking_id, context.tz, now=context.now, lang=context.lang),
        filename=calendar_file_name(session, context.tz),
        caption=label(context.lang, "Open the file to add it to your calendar."),
    )


# ----- survey ---------------------------------------------------------------------------------


@SURVEY.handles
async def answer_survey(update: Update, context: JinroContext, booking_id: int, score: int) -> None:
    async with context.db.write() as conn:
        await store.answer_survey(conn, booking_id, context.user.id, score, now=context.now)
        # The question becomes the thanks with "No comment"; its id is kept so that a typed
        # comment settles it.
        data = {"booking": booking_id, "score": score, PROMPT: pressed_message_id(update)}
        context.user = await users_store.set_flow(conn, context.user.id, "bk.comment", data)
    await answer_query(update)
    await reply(
        update,
        context,
        "bookings/survey_thanks",
        keyboard([[NO_COMMENT(label(context.lang, "No comment"))]]),
        edit=True,
        score=score,
    )


@text_step("bk.comment")
async def survey_comment(update: Update, context: JinroContext) -> None:
    comment = " ".join(update.message.text.split())
    if len(comment) > COMMENT_MAX:  # given back to shorten; the question stays
        await ask_to_shorten(update, context, len(comment), COMMENT_MAX)
        return
    data = context.user.flow_data or {}
    booking_id = data.get("booking")
    async with context.db.write() as conn:
        try:
            await store.comment_survey(conn, booking_id, context.user.id, comment)
        except NotFound:
            pass  # the booking went away meanwhile; nothing to keep
        context.user = await users_store.set_flow(conn, context.user.id, None)
    # The thanks above keeps the score it gave, and no "No comment" to press any more.
    lang, score = context.lang, data.get("score")
    lines = [label(lang, "Thanks! You gave %(score)s of 5.", score=score)] if score else []
    lines.append(label(lang, "📝 Comment saved"))
    await settle_prompt(context, data, "\n".join(lines))
    await reply(update, context, "bookings/survey_done")


@NO_COMMENT.handles
async def skip_comment(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    if context.user.flow == "bk.comment":
        await set_flow(context, None)
    await reply(update, context, "bookings/survey_done", edit=True)


# ----- the clock: expiries, lottery draws ------------------------------------------------------
# (The survey after a session is a reminder: written when the site marks attendance, sent
# from the outbox by the outbox (handlers/bookings/news.py) with its 1-5 buttons, answered here.)


async def clock_tick(application) -> None:
    """Called by the clock every half minute; each step is its own short transaction."""
    context = JinroContext(application)
    now = context.now
    try:
        await _expire(context, now)
        await _draw(context, now)
    except Exception:  # the next tick tries again; never let the clock die
        log.exception("booking clock tick failed")


async def _expire(context: JinroContext, now) -> None:
    async with context.db.write() as conn:
        expired = await store.expire_due(conn, now=now, offer=context.settings.offer)
    if expired:  # the students' notices and the freed seats' offers
        outbox.kick(context)


async def _draw(context: JinroContext, now) -> None:
    async with context.db.write() as conn:
        drawn = await store.draw_due(conn, now=now, hold=context.settings.hold)
    if drawn:  # every entrant hears, and the winners' teachers are asked
        outbox.kick(context)


def handlers() -> list[BaseHandler]:
    return [CommandHandler("my", my_command)]
