"""The buttons of a student's bookings (bk:…). Search cards pack APPLY; the outbox's notices
(handlers/bookings/news.py) pack MY, CALENDAR, SURVEY and the offer's two. Only a student
presses them (APPLY: anyone who has joined, and others are told why); every booking id is
checked against the student, and someone else's booking answers like a missing one."""

from __future__ import annotations

from handlers.common.buttons import ID, JOINED, PAGE, Answers, Buttons, Maybe, Number
from messages.labels import N_
from storage.models import Role

SCORE = Number(1, 5)  # a survey's answer
OFFER_ENDED = Answers(taken=N_("This offer has ended."))
# The programme card a booking was made from: its message and the results page its "back"
# button returns to, carried so that cancelling repaints its seats (left off: no card, as on
# buttons sent before they carried one).
CARD_MESSAGE, CARD_PAGE = Maybe(ID), Maybe(PAGE)

BOOKINGS = Buttons("bk", roles=(Role.STUDENT,))
APPLY = BOOKINGS.action("ap", ID, roles=JOINED)  # apply for a session (students; others told why)
# A session whose cancellation deadline has passed: the student is asked first (APPLY_LATE
# applies all the same, NOT_APPLIED leaves it).
APPLY_LATE = BOOKINGS.action("al", ID, CARD_MESSAGE, CARD_PAGE)
NOT_APPLIED = BOOKINGS.action("an")
MY = BOOKINGS.action("my")  # the student's bookings (/my)
OPEN = BOOKINGS.action("b", ID)  # one booking
CANCEL = BOOKINGS.action("cx", ID, CARD_MESSAGE, CARD_PAGE)  # cancel? (or leave the line)
CANCEL_NOW = BOOKINGS.action(  # cancel!
    "cy",
    ID,
    CARD_MESSAGE,
    CARD_PAGE,
    answers=Answers(
        taken=N_("Already changed meanwhile."),
        refused={
            "too_late": N_("The cancellation deadline has passed. Please talk to your teacher.")
        },
    ),
)
TAKE_OFFER = BOOKINGS.action("ofa", ID, answers=OFFER_ENDED)  # take a seat offered from the line
PASS_OFFER = BOOKINGS.action("ofd", ID, answers=OFFER_ENDED)  # … or pass it on
CALENDAR = BOOKINGS.action("ics", ID)  # a confirmed booking as a calendar file
SURVEY = BOOKINGS.action("sv", ID, SCORE)  # after the session: how was it, 1-5
NO_COMMENT = BOOKINGS.action("sk")  # the survey answered: no comment to add
