"""Cases (중재): a mediation thread about one booking between its student, their teacher and
the site, with a parent monitor as mediator; staff step in when it is escalated.

Who. A case is opened by the booking's student, a teacher of the booking (the teachers of
the student's school covering their grade, or the teacher who booked a class seat) or the
site's people; anyone else gets NotFound, the same as a missing booking. Its parties are
set then (case_parties): the student (when on Telegram), those teachers (for a class seat:
the teacher who booked it), the site's people, and always the opener. The mediator may
bring in later the student's teachers and the site's people who were not parties (a
teacher who joined since, a site's second account; storage.cases.joining), each told. The
mediator is the site's district's next parent monitor, round-robin, skipping paused ones
(storage.monitors.take_turn); staff may assign another.

Reading: staff any case; a monitor only the cases assigned to them; a party their own; a
teacher their students' cases (their school and grades), read-only unless a party. Anyone
else gets NotFound. Posting: the parties (to everyone), the case's monitor and staff (to
everyone, privately to one party, or a proposal); never once the case is closed.

Relaying. Nobody ever sees another person's Telegram account: every message is stored with
its sender's role and first name (case_messages.sender_name) and written to each recipient's
outbox (kind case_message and the like, key per message and recipient, detail = the message
id) in the same transaction, then composed anew by the bot (handlers/cases/); never
forwarded or copied.

Service levels (the clock, check_service_levels): a case opened waits MEDIATOR_WAIT (the
CASE_MEDIATOR_HOURS setting) for its mediator's first word, a mediator's message waits
ANSWER_WAIT (CASE_ANSWER_HOURS) for a party's answer. `cases.due_at` is the next moment the
clock looks, `due_what` what it waits for, `due_step` 0 for the reminder, 1 for the
escalation to staff that follows after the same wait again, at most SECOND_WAIT_MAX. Every
step is a compare-and-swap on (status, due_at, due_step) and PostgreSQL picks due cases
`FOR UPDATE SKIP LOCKED`, so two bot processes never both remind or escalate.

Lock order (PostgreSQL): the case row first (_lock), then its parties. A proposal and the
answers to it both lock the case, so an answer to a proposal just replaced is refused.

Every function runs in the caller's write transaction and writes the audit log (ids only).

The package: common (tables, limits, Refused, writing a line of the record), opening (who
opens a case, its parties, the bookings to pick), reading (access, the record, /cases),
posting (messages and answers to proposals), mediating (escalate, close, assign, take),
joining (the mediator brings the student's teacher or the site's people in as parties),
clock (the service levels), erasing (/deleteme).
"""

from storage.cases.clock import SECOND_WAIT_MAX, check_service_levels, second_wait
from storage.cases.common import (
    ANSWER_WAIT,
    KINDS,
    MEDIATOR_WAIT,
    NOTE_MAX,
    OUTCOMES,
    PARTY_ROLES,
    POSTS,
    TEXT_MAX,
    at_place,
    party_tag,
)
from storage.cases.erasing import erase_people
from storage.cases.joining import Candidate, bring_in, joinable
from storage.cases.mediating import assign, close, escalate, monitor_choices, take
from storage.cases.opening import (
    BOOKING_CONTEXT,
    PICK_STATUSES,
    PICK_VIEW,
    PICK_WINDOW,
    Opened,
    Pick,
    booking_for,
    open_case,
    opener_role,
    pickable,
)
from storage.cases.posting import Answered, answer, post, tally
from storage.cases.reading import (
    CASE_VIEW,
    access,
    case_for,
    get,
    list_for,
    message,
    party_list,
    party_role,
    thread,
)
from storage.errors import Refused

__all__ = [
    "ANSWER_WAIT",
    "BOOKING_CONTEXT",
    "CASE_VIEW",
    "KINDS",
    "MEDIATOR_WAIT",
    "NOTE_MAX",
    "OUTCOMES",
    "PARTY_ROLES",
    "PICK_STATUSES",
    "PICK_VIEW",
    "PICK_WINDOW",
    "POSTS",
    "SECOND_WAIT_MAX",
    "TEXT_MAX",
    "Answered",
    "Candidate",
    "Opened",
    "Pick",
    "Refused",
    "access",
    "answer",
    "assign",
    "bring_in",
    "booking_for",
    "case_for",
    "check_service_levels",
    "close",
    "erase_people",
    "escalate",
    "get",
    "joinable",
    "list_for",
    "message",
    "monitor_choices",
    "open_case",
    "opener_role",
    "party_list",
    "party_role",
    "at_place",
    "party_tag",
    "pickable",
    "post",
    "second_wait",
    "tally",
    "take",
    "thread",
]
