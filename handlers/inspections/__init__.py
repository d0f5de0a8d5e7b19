"""Site safety inspections in the chat (storage/inspections/). Staff follow the year's
progress and give sites to parent monitors (/inspections) and keep the checklist
(/checklist); a monitor picks due sites of their district, fills the checklist item by item
(a result each, an optional photo and note) and gives the overall result. Staff, the
inspecting monitor and the site's own people open an inspection's details, photos too.
Also what the outbox sends about inspections (REMINDERS, KEYBOARDS).

The commands are here; the screens are in home (/inspections), sites (lists of sites,
picking), staff (assigning, cancelling), walk (the checklist item by item), result,
details, checklist (/checklist) and news (the outbox). Each button's handler binds itself
where it is defined (@BUTTON.handles); importing the modules here binds them all.

Where a monitor is in an inspection is in the database (the items' answers and
users.flow), so /inspections carries on after a restart at the first unanswered item.

Flows (users.flow; data in users.flow_data):
    is.fill {"i", "p", "a"}     filling inspection i at item p: a button is expected (a photo
                                is taken for the item too; when item a was answered just
                                before, the monitor is asked which of the two it is for)
    is.which {"i", "p", "a", "ph", "c"}  a photo (file id ph, caption c) waiting for its item
    is.att {"i", "p"}           a photo (with or without a caption) or a note for item p
    is.result {"i"}             every item answered: the overall result's button is expected
    is.note {"i", "r"}          an optional overall note for result r
    is.confirm {"i", "r", "n"}  the last confirm
    is.find                     staff type part of a site's name
    ck.add                      staff type a new checklist item
Buttons: handlers/inspections/buttons.py (is:… and the checklist's ck:…). Ids are never
trusted: each press reloads the inspection and checks who may act on it.
"""

from __future__ import annotations

from telegram.ext import BaseHandler, CommandHandler

# Imported for their buttons' handlers too (each binds itself with @BUTTON.handles).
from handlers.inspections import details, result, sites, staff  # noqa: F401
from handlers.inspections.checklist import checklist_command
from handlers.inspections.home import inspections_command
from handlers.inspections.news import KEYBOARDS, OUTGOING, REMINDERS

# bot/app.py registers handlers() and the outbox kinds (OUTGOING).
__all__ = ["KEYBOARDS", "OUTGOING", "REMINDERS", "handlers"]


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("inspections", inspections_command),
        CommandHandler("checklist", checklist_command),
    ]
