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

The modules: the mentor's side (common, profile, slots, desk, answers, meetings); the
requester's (home, asking, request, changing, teachers); staff (staff); notices (the outbox's
texts) and clock.

Flows (users.flow; data in users.flow_data):
    mn.title, mn.bio        typing the job title (or major), the introduction
    mn.slot                 typing a free time
    mn.slot_ok              the free time read back: keep it or retype it
    mn.decline {"r"}        an optional reason for declining
    mn.time {"r"}           the meeting's time typed instead of pressed (read back first)
    mn.link {"r", "t"}      the online link of the meeting at time t (ISO)
    mn.place {"r", "t"}     the place of a school visit
    mn.cancel {"r"}         why the meeting is off
    mn.note {"r"}           a note after logging
    rq.field → rq.mode → rq.times → rq.question → rq.confirm
        {"f": field, "m": mode, "t": [time codes], "q": question}
    rq.comment {"r": request}           a comment after rating
    mn.write {"r"}, rq.write {"r"}      a message to the other side of request r (talk)
Buttons: handlers/mentors/buttons.py.
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler

# Imported for their buttons' handlers (each binds itself with @BUTTON.handles).
from handlers.mentors import (  # noqa: F401
    answers,
    asking,
    changing,
    meeting_time,
    meetings,
    request,
    talk,
    teachers,
)
from handlers.mentors.clock import clock_tick
from handlers.mentors.common import field_tag, when_label
from handlers.mentors.home import mentor_command
from handlers.mentors.notices import KEYBOARDS, OUTGOING, REMINDERS
from handlers.mentors.profile import profile_command
from handlers.mentors.slots import slots_command
from handlers.mentors.staff import mentors_command

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
    """The mentor's commands, then the requester's, then staff's."""
    return [
        CommandHandler("profile", profile_command),
        CommandHandler("slots", slots_command),
        CommandHandler("mentor", mentor_command),
        CommandHandler("mentors", mentors_command),
    ]
