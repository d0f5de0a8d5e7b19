"""The buttons of a teacher booking seats for a class (cb:…). Search cards pack NEW. Only a
teacher presses them; a session with no seats of this teacher answers like a missing one."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, PLACE, TAG, Buttons, Number, choice
from storage.models import Role

SEATS = Number(1, 9999)  # seats to book: a preset, or typed (four digits at most)


def _confirmation_open(context, values) -> bool:
    """BOOK only while its confirmation is the teacher's open step: a second press of the
    same button (updates of one user come in order) finds it closed instead of booking
    twice, and a confirmation never shown to this teacher is refused."""
    user = context.user
    return user.flow == "cb.count" and (user.flow_data or {}).get("session") == values[0]


def _change_open(context, values) -> bool:
    """DO only while its confirmation is the teacher's open step (as BOOK): a second press
    finds it closed instead of giving seats back twice."""
    user = context.user
    data = user.flow_data or {}
    what, target, count = values
    return user.flow == "cb.change" and (data.get("what"), data.get("id"), data.get("count")) == (
        what,
        target,
        count,
    )


def _naming_open(context, values) -> bool:
    """PICK and FINISH only while the teacher names this session's seats (the step a seats
    screen opens): after ✔️ Finish, an older screen's student buttons would put a student on
    a seat behind the "finished" message, which would then count seats that are gone. Back
    from /classbook (or ◀ Back to naming), the screen shown opens the step again."""
    user = context.user
    return user.flow == "cb.names" and (user.flow_data or {}).get("session") == values[0]


# A change to a class booking: take the student off a seat (the seat stays), give one seat
# back, give back some unnamed seats, cancel the whole booking, or rename a typed name.
WHAT = choice("un", "drop", "fewer", "all", "name")
COUNT_BACK = Number(0, 9999)  # seats to give back ("fewer"); 0 where it means nothing

CLASSBOOK = Buttons("cb", roles=(Role.TEACHER,))
NEW = CLASSBOOK.action("new", ID)  # book seats of this session for a class (below the card)
HOME = CLASSBOOK.action("h")  # the teacher's class bookings (/classbook)
SESSIONS = CLASSBOOK.action("l", PAGE)  # sessions open for a class, at a page
SESSION = CLASSBOOK.action("s", ID)  # … this one: how many seats? (in place of the list)
COUNT = CLASSBOOK.action("n", ID, SEATS)  # that many seats: sure?
BOOK = CLASSBOOK.action("ok", ID, SEATS, guard=_confirmation_open)  # book them
NAMES = CLASSBOOK.action("v", ID, PAGE)  # the seats, and a page of students to name
# session, page, a student's place on that page and check number: on the next unnamed seat
# (no button carries a student's id: storage.cases.party_tag)
PICK = CLASSBOOK.action("p", ID, PAGE, PLACE, TAG, guard=_naming_open)
FINISH = CLASSBOOK.action("d", ID, guard=_naming_open)  # done naming
STOP = CLASSBOOK.action("x")  # stop (any step)
MANAGE = CLASSBOOK.action("m", ID)  # the class booking on a session: change or cancel
SEAT = CLASSBOOK.action("st", ID)  # one seat of it (a booking): rename, take off, give back
FEWER = CLASSBOOK.action("f", ID)  # how many unnamed seats to give back (session)
RENAME = CLASSBOOK.action("rn", ID)  # type the seat's new name (booking)
ASK = CLASSBOOK.action("a", WHAT, ID, COUNT_BACK)  # sure? (a seat's id, or the session's)
DO = CLASSBOOK.action("y", WHAT, ID, COUNT_BACK, guard=_change_open)  # do it
# The session picker's choices (handlers/classbook/picker.py): one choice's buttons, and a
# value: "-" any, this week / next week / this month, or a district's or a field's place in
# the list shown; "x" with "-" clears them all.
FILTER = CLASSBOOK.action("fc", choice("wh", "di", "fd"))
SET = CLASSBOOK.action(
    "fs",
    choice("wh", "di", "fd", "x"),
    choice("-", "tw", "nw", "tm", *(str(n) for n in range(100))),
)
# /calendar: the school's bookings this week (0) or next (1); the school year as a file.
WEEK = CLASSBOOK.action("wk", Number(0, 1))
EXPORT = CLASSBOOK.action("xl")
