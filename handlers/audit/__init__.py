"""/audit for city staff: who read or changed what about a person, in a period, as a paged
list in the chat and an XLSX file; an answer to a parent's or an auditor's question.

Staff type a person's name (or part of it) and pick them from the people of that name (told
apart by role, school and grade, or site), or press "everything" for a period; the trail
shows the last 30 days (a person) or the period pressed (everything), and switches to the
last 7 days, the last 30 or the school year (from 1 March), each counted in the city's days
from the moment it is opened (storage/audit_trail.py says which entries are "about" a
person). Anyone else is refused as for any command their role lacks, and the refusal is
audited. Looking at the log is itself an audited read.

Flow (users.flow; data in users.flow_data):
    audit.name {"audit_q": the name typed last}   typed text names a person
Once a person is picked the flow ends (typed text searches programmes again) but the name
stays in the flow data, so the list of people on screen can still be paged and picked from
until another step replaces it. Buttons: handlers/audit/buttons.py.
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler

# Imported for their buttons' handlers (each binds itself with @BUTTON.handles).
from handlers.audit import people, trail  # noqa: F401
from handlers.common import text_step

text_step(people.FLOW)(people.name_typed)


def handlers() -> list[BaseHandler]:
    return [CommandHandler("audit", people.audit_command)]
