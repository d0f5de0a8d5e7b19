"""The buttons of a teacher booking seats for a class (cb:…). Search cards pack NEW. Only a
teacher presses them; a session with no seats of this teacher answers like a missing one."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, PLACE, TAG, Buttons, Number
from storage.models import Role

SEATS = Number(1, 9999)  # seats to book: a preset, or typed (four digits at most)


def _confirmation_open(context, values) -> bool:
    """BOOK only while its confirmation is the teacher's open step: a second press of the
    same button (updates of one user come in order) finds it closed instead of booking
    twice, and a confirmation never shown to this teacher is refused."""
    user = context.user
    return user.flow == "cb.count" and (user.flow_data or {}).get("session") == values[0]


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
PICK = CLASSBOOK.action("p", ID, PAGE, PLACE, TAG)
FINISH = CLASSBOOK.action("d", ID)  # done naming
STOP = CLASSBOOK.action("x")  # stop (any step)
