"""Mentoring in the chat: the mentor's side, the student's and teacher's, and staff's.

The mentor keeps a profile (/profile) and free times (/slots), pauses, and answers requests
at their desk (/mentor): accept or decline an offer (decline asks for an optional reason),
set the meeting's time from their free slots with a place or an online link, cancel it, and
log it afterwards in two taps. A student asks for a mentor through /mentor (a field, online
or at school, preferred times, a question); a teacher asks for a school visit or an online
group session, joins another school's session, and marks their students' requests priority.
Staff see the figures and the evaluation file (/mentors). Also what the outbox sends about
mentor requests (REMINDERS, KEYBOARDS) and the clock's step that passes unanswered offers on
and offers the line to mentors come free.

A mentor sees of a student only their given name, grade, school and question; never a
Telegram id or username, and never the priority mark.

The modules: the mentor's side (common, profile, slots, desk, answers, meetings, routed in
mentor_routes); the requester's (home, asking, request, teachers, routed in
requester_routes); staff (staff); notices (the outbox's texts) and clock.
"""

from __future__ import annotations

from telegram.ext import BaseHandler

from handlers.mentors import mentor_routes, requester_routes, staff
from handlers.mentors.clock import clock_tick
from handlers.mentors.common import field_tag, when_label
from handlers.mentors.notices import KEYBOARDS, OUTGOING, REMINDERS

__all__ = [
    "KEYBOARDS",
    "OUTGOING",
    "REMINDERS",
    "clock_tick",
    "field_tag",
    "handlers",
    "when_label",
]


def handlers() -> list[BaseHandler]:
    """The mentor's handlers, then the requester's, then staff's: the order the three areas
    had in bot/app.py (the first that matches an update wins)."""
    return [*mentor_routes.handlers(), *requester_routes.handlers(), *staff.handlers()]
