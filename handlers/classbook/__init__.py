"""Class booking: a teacher takes N seats on a session at once, then names the students.

Buttons: handlers/classbook/buttons.py (NEW from a programme card, SESSION from the list).

Seats are confirmed at once (storage.bookings.book_class, all or nothing). Names may follow
later: unnamed seats stay held, and /classbook lists the bookings to continue. A session
with no seats of this teacher gets the same answer as a missing one.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import JinroContext
from handlers import outbox
from handlers.classbook import changes, picker  # noqa: F401 - their buttons' handlers
from handlers.classbook.buttons import (
    BOOK,
    COUNT,
    FINISH,
    HOME,
    MANAGE,
    NAMES,
    NEW,
    PICK,
    SESSION,
    SESSIONS,
    STOP,
)
from handlers.classbook.names import problems, refuse_names, refuse_too_many, typed_names
from handlers.classbook.news import OUTGOING as OUTGOING  # the outbox kinds this area sends
from handlers.classbook.week import calendar_command
from handlers.common import (
    answer_query,
    fetch_page,
    handled,
    keyboard,
    leave_flow,
    pages_row,
    reply,
    requires,
    stale_button,
    text_step,
)
from handlers.common.days import short
from handlers.common.told import student_hears_at
from messages import label, nlabel
from storage import audit, commitments
from storage import bookings as store
from storage import pending as pending_store
from storage import users as users_store
from storage.cases import at_place, party_tag
from storage.errors import AlreadyHandled, NotFound
from storage.models import Role

PRESETS = (5, 10, 20, 30)
PAGE = 8


# ----- the teacher's class bookings, and sessions to book ---------------------------------------


@requires(Role.TEACHER)
async def classbook_command(update: Update, context: JinroContext) -> None:
    await show_home(update, context)


@HOME.handles
async def home_pressed(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await show_home(update, context, edit=True)


async def show_home(update: Update, context: JinroContext, *, edit: bool = False) -> None:
    async with context.db.read() as conn:
        booked = await pending_store.class_bookings(conn, context.user.id, now=context.now)
    await _leave_flow(context)
    lang, tz = context.lang, context.tz
    rows = [
        [
            NAMES(
                f"{short(lang, b.starts_at, tz)} {b.title}"[:44] + f" ({b.named}/{b.seats})",
                b.id,
                0,
            )
        ]
        for b in booked[:20]
    ]
    rows.append([SESSIONS(label(lang, "➕ Book seats for a class"), 0)])
    await reply(
        update, context, "classbook/home", keyboard(rows), edit=edit, bookings=booked, tz=tz
    )


# ----- how many seats -------------------------------------------------------------------------


async def _session_and_room(context: JinroContext, session_id: int):
    """(session, refusal, seats this school can take) as they are now."""
    async with context.db.read() as conn:
        session = await store.session_view(conn, session_id)
        room = (
            await pending_store.class_room(conn, session, context.user.school_id) if session else 0
        )
    refusal = pending_store.class_refusal(
        session, context.now, unchecked_ok=context.settings.unchecked_sites_bookable
    )
    if refusal is None and room == 0:
        refusal = store.Refused("no_room")
    return session, refusal, room


async def ask_count(
    update: Update,
    context: JinroContext,
    session_id: int,
    *,
    edit: bool,
    asked: int | None = None,
) -> None:
    session, refusal, room = await _session_and_room(context, session_id)
    if session is None:
        await reply(update, context, "classbook/refused", edit=edit, reason="gone", when=None)
        return
    if refusal is not None:
        await _refused(update, context, refusal, edit=edit)
        return
    earlier = handled.prompt_of(context.user.flow_data)  # asked before: its buttons go
    async with context.db.write() as conn:
        context.user = await users_store.set_flow(
            conn, context.user.id, "cb.count", {"session": session_id}
        )
    choices = [n for n in PRESETS if n <= room]
    if room < PRESETS[-1] and room not in choices:
        choices.append(room)
    lang = context.lang
    rows = [
        [COUNT(str(n), session_id, n) for n in choices],
        [STOP(label(lang, "Cancel"))],
    ]
    shown = await reply(
        update,
        context,
        "classbook/ask_count",
        keyboard(rows),
        edit=edit,
        session=session,
        free=room,
        asked=asked,
        tz=context.tz,
    )
    await handled.asked(context, shown, earlier)


async def _refused(update: Update, context: JinroContext, refusal, *, edit: bool) -> None:
    await reply(
        update,
        context,
        "classbook/refused",
        edit=edit,
        reason=refusal.reason,
        when=refusal.when.astimezone(context.tz) if refusal.when else None,
    )


@text_step("cb.count")
async def count_typed(update: Update, context: JinroContext) -> None:
    session_id = context.user.flow_data.get("session")
    typed = update.message.text.strip().removesuffix("명").removesuffix("석").strip()
    # isdecimal, not isdigit: "²" is a digit to Python but not a number int() reads.
    if not typed.isdecimal() or len(typed) > 4 or not isinstance(session_id, int):
        await reply(update, context, "classbook/bad_count")
        return
    await count_chosen(update, context, session_id, int(typed), edit=False)


async def count_chosen(
    update: Update, context: JinroContext, session_id: int, count: int, *, edit: bool
) -> None:
    session, refusal, room = await _session_and_room(context, session_id)
    if session is None or refusal is not None or not 0 < count <= room:
        await ask_count(update, context, session_id, edit=edit, asked=count)
        return
    lang = context.lang
    shown = await reply(
        update,
        context,
        "classbook/ask_confirm",
        keyboard(
            [
                [
                    BOOK(
                        nlabel(lang, "✅ Book %(count)s seat", "✅ Book %(count)s seats", count),
                        session_id,
                        count,
                    )
                ],
                [STOP(label(lang, "Cancel"))],
            ]
        ),
        edit=edit,
        session=session,
        count=count,
        tz=context.tz,
    )
    await handled.asked(context, shown)  # a count typed: the seats asked above lose theirs


@BOOK.handles
async def book(update: Update, context: JinroContext, session_id: int, count: int) -> None:
    # Pressed only while this confirmation is the open step (BOOK's guard): a second press
    # of the same button finds it closed instead of booking twice.
    await answer_query(update)
    try:
        async with context.db.write() as conn:
            await store.book_class(
                conn,
                context.user,
                session_id,
                count,
                now=context.now,
                unchecked_ok=context.settings.unchecked_sites_bookable,
            )
            context.user = await users_store.set_flow(
                conn, context.user.id, "cb.names", {"session": session_id}
            )
    except store.Refused as refused:
        if refused.reason == "no_room":
            await ask_count(update, context, session_id, edit=True, asked=count)
        else:
            await _refused(update, context, refused, edit=True)
        return
    outbox.kick(context)  # booked late, the site's news (storage: class_changes.tell_site)
    await show_seats(update, context, session_id, 0, edit=True, note="booked", count=count)


# ----- naming the seats -----------------------------------------------------------------------


async def show_seats(
    update: Update,
    context: JinroContext,
    session_id: int,
    page: int,
    *,
    edit: bool,
    note: str | None = None,
    count: int = 0,
    name: str = "",
    clashes: list = (),
) -> None:
    teacher = context.user
    async with context.db.read() as conn:
        seats = await pending_store.class_seats(conn, teacher.id, session_id)
        session = await store.session_view(conn, session_id)
        unnamed = _unnamed(seats)
        students = await fetch_page(
            pending_store.students_to_name, conn, teacher, session_id, index=page, size=PAGE
        )
        # Their other commitments at the session's time (one query): a warning, not a rule.
        busy = await commitments.of_students(conn, students.items, session) if unnamed else {}
    if not seats or session is None:
        await _gone(update, context)
        return
    if not students.items and page > 0:
        await show_seats(update, context, session_id, page - 1, edit=edit, note=note, name=name)
        return
    async with context.db.write() as conn:
        await audit.read(  # the seats' names, and the school's students to pick
            conn,
            teacher.id,
            "class_seats",
            session_id,
            now=context.now,
            page=page,
            seats=len(seats),
            students=len(students.items) if unnamed else 0,
            clashes=len(busy),  # the titles and times of the students' other commitments
        )
        if teacher.flow != "cb.names" or teacher.flow_data != {"session": session_id, "page": page}:
            context.user = await users_store.set_flow(
                conn, teacher.id, "cb.names", {"session": session_id, "page": page}
            )
    rows = []
    if unnamed:
        picks = [
            PICK(_pick_label(s, s.id in busy), session_id, page, place, party_tag(teacher.id, s.id))
            for place, s in enumerate(students.items)
        ]
        rows = [picks[i : i + 2] for i in range(0, len(picks), 2)]
        rows.append(pages_row(context.lang, NAMES, page, students.pages, session_id))
    rows.append([MANAGE(label(context.lang, "⚙️ Change or cancel"), session_id)])
    rows.append([FINISH(label(context.lang, "✔️ Finish"), session_id)])
    await reply(
        update,
        context,
        "classbook/seats",
        keyboard(rows),
        edit=edit,
        session=session,
        seats=seats,
        unnamed=unnamed,
        total=students.total if unnamed else 0,
        page=students.number,
        pages=students.pages,
        note=note,
        count=count,
        name=name,
        when=student_hears_at(context.now, context.tz) if note == "named" else None,
        clashes=clashes,
        busy=[{"student": s, "clashes": busy[s.id]} for s in students.items if s.id in busy],
        tz=context.tz,
    )


@NAMES.handles
async def open_seats(update: Update, context: JinroContext, session_id: int, page: int) -> None:
    async with context.db.read() as conn:
        seats = await pending_store.class_seats(conn, context.user.id, session_id)
    if not seats:
        await stale_button(update, context)
        return
    await answer_query(update)
    await show_seats(update, context, session_id, page, edit=True)


def _pick_label(student, clash: bool) -> str:
    """A student to pick; ⚠️ first when they have something else at the session's time."""
    return f"{'⚠️ ' if clash else ''}{student.name} ({student.grade})"[:32]


def _unnamed(seats) -> int:
    """Seats booked but not yet given to a student, by account or by a typed name."""
    return sum(1 for s in seats if s.student_id is None and s.student_name is None)


async def _gone(update: Update, context: JinroContext) -> None:
    """No seats of this teacher on the session any more (cancelled meanwhile)."""
    await _leave_flow(context)
    await reply(update, context, "classbook/gone", edit=update.callback_query is not None)


@PICK.handles
async def pick_student(
    update: Update, context: JinroContext, session_id: int, page: int, place: int, tag: int
) -> None:
    # Not this teacher's seats, not their student, or a list that changed since it was
    # shown: NotFound, the router's stale answer.
    student_id = await _student_at(context, session_id, page, place, tag)
    note = "named"
    try:
        async with context.db.write() as conn:
            await pending_store.name_next_seat(
                conn, context.user, session_id, student_id=student_id, now=context.now
            )
            student = await users_store.get(conn, student_id)
            # The named student's other commitments at that time: the teacher is warned.
            session = await store.session_view(conn, session_id)
            clashes = await store.clashes(conn, student_id, session) if session else []
    except store.Refused as refused:
        note, student = (
            (refused.reason if refused.reason in ("full", "consent") else "already"),
            None,
        )
    except AlreadyHandled:
        note, student = None, None
    if student is None:
        clashes = []
    await answer_query(update)
    await show_seats(
        update,
        context,
        session_id,
        page,
        edit=True,
        note=note,
        name=student.name if student else "",
        clashes=clashes,
    )
    if student is not None:
        outbox.kick(context)  # the student's notice


async def _student_at(
    context: JinroContext, session_id: int, page: int, place: int, tag: int
) -> int:
    """The id of the student shown at `place` of the page, if the check number matches."""
    async with context.db.read() as conn:
        students = await fetch_page(
            pending_store.students_to_name, conn, context.user, session_id, index=page, size=PAGE
        )
    student = at_place(students.items, place, tag, context.user.id)
    if student is None:
        raise NotFound(place)
    return student.id


@text_step("cb.names")
async def names_typed(update: Update, context: JinroContext) -> None:
    session_id = context.user.flow_data.get("session")
    page = context.user.flow_data.get("page", 0)
    names = typed_names(update.message.text)
    if not isinstance(session_id, int):
        await _gone(update, context)
        return
    if not names:  # only commas: show the seats and how to type names again
        await show_seats(update, context, session_id, page, edit=False)
        return
    # A name that is no name (an emoji, markup, one letter, several run together): none is
    # saved, each such name is told with why, and the text comes back to fix.
    refused = problems(names)
    if refused:
        await refuse_names(update, context, names, refused, one=False)
        return
    try:
        async with context.db.write() as conn:
            for name in names:  # all or nothing: a refusal undoes the names before it
                await pending_store.name_next_seat(
                    conn, context.user, session_id, name=name, now=context.now
                )
    except NotFound:
        await _gone(update, context)
        return
    except (store.Refused, AlreadyHandled):  # more names than unnamed seats
        async with context.db.read() as conn:
            free = _unnamed(await pending_store.class_seats(conn, context.user.id, session_id))
        await refuse_too_many(update, context, len(names), free)
        return
    await show_seats(update, context, session_id, page, edit=False, note="typed", count=len(names))


@FINISH.handles
async def finish(update: Update, context: JinroContext, session_id: int) -> None:
    async with context.db.read() as conn:
        seats = await pending_store.class_seats(conn, context.user.id, session_id)
        session = await store.session_view(conn, session_id)
    if not seats or session is None:
        await stale_button(update, context)
        return
    await answer_query(update)
    await _leave_flow(context)
    unnamed = _unnamed(seats)
    await reply(
        update,
        context,
        "classbook/finished",
        keyboard([[HOME(label(context.lang, "◀ My class bookings"))]]),
        edit=True,
        session=session,
        seats=seats,
        unnamed=unnamed,
        tz=context.tz,
    )


@STOP.handles
async def stop(update: Update, context: JinroContext) -> None:
    await answer_query(update)
    await _leave_flow(context)
    await reply(update, context, "classbook/stopped", edit=True)


async def _leave_flow(context: JinroContext) -> None:
    """End a step that takes typed text (seats, names, or a reason to reject) if one is open:
    text typed after /classbook must not land in a step the teacher left behind."""
    await leave_flow(context, "cb.", "tp.")


# ----- buttons --------------------------------------------------------------------------------


@NEW.handles
async def new_pressed(update: Update, context: JinroContext, session_id: int) -> None:
    """From a programme card: keep the card and ask below it."""
    await answer_query(update)
    await ask_count(update, context, session_id, edit=False)


@SESSION.handles
async def session_pressed(update: Update, context: JinroContext, session_id: int) -> None:
    """From the list of open sessions: ask in place of the list."""
    await answer_query(update)
    await ask_count(update, context, session_id, edit=True)


@COUNT.handles
async def count_pressed(update: Update, context: JinroContext, session_id: int, count: int):
    await answer_query(update)
    await count_chosen(update, context, session_id, count, edit=True)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("classbook", classbook_command),
        CommandHandler("calendar", calendar_command),
    ]
