"""Site safety inspections by parent monitors (학부모 지원단): the checklist staff keep, an
inspection from assignment to result, what a result does to the site and who hears of it,
and the figures staff follow (handlers/inspections/ is the chat side).

assigned → in_progress → done (or cancelled). A site has one open inspection (assigned or
in progress) at a time: assigning and picking lock the site's row first (PostgreSQL; SQLite
has one writer), then look, so two at once cannot both open one. Only the inspection's
monitor fills it: every change checks the monitor and the status it expects, and a loser
gets NotFound or AlreadyHandled.

Starting copies each active checklist item's key and text into the inspection, so a later
change of the checklist leaves past inspections as they were.

A result (`finish`) sets the site's safety status (passed | needs_fix | failed), the day it
was checked and the day it holds until, in one transaction with its news in the outbox:
- inspection_result: the site's people, their result, at once;
- failed: inspection_failed_staff to every active staff member and
  inspection_failed_teacher to every teacher of students booked on the site's upcoming
  sessions (covering teachers and class-booking teachers, as bookings.teachers_to_tell),
  at once;
- needs_fix: inspection_recheck to the monitor and inspection_recheck_staff to staff,
  30 days later at 09:00;
- passed or needs_fix: inspection_expiry to the site's people and inspection_expiry_staff
  to staff, 30 days before it runs out (7 for needs_fix, which holds only until its
  re-inspection day), at 09:00.
The follow-ups are skipped when sent if the site has been inspected again since. A failed
or expired site takes no new bookings (bookings.bookable_site); bookings already made stay
as they are: staff decide.

The package: checklist, opening (assign, pick, cancel), filling (start, answer, attach),
result (finish and who hears), views (what people see and staff's figures); common holds
what they share.
"""

from storage.errors import Refused
from storage.inspections.checklist import (
    DEFAULT_ITEMS,
    ITEM_TEXT_MAX,
    add_item,
    checklist_items,
    seed_checklist,
    toggle_item,
)
from storage.inspections.common import (
    DUE_SOON,
    NOTE_MAX,
    OPEN,
    VIEW,
    due_for_inspection,
    get,
)
from storage.inspections.filling import (
    ITEM_RESULTS,
    answer,
    attach,
    inspection_items,
    mine,
    next_position,
    start,
)
from storage.inspections.opening import assign, cancel, open_of_site, pick
from storage.inspections.result import (
    EXPIRY_WARNING,
    FOLLOW_UP_AT,
    FOLLOW_UPS,
    RECHECK_AFTER,
    RESULTS,
    Finished,
    ResultDates,
    booked_at_site,
    finish,
    recheck_by,
    result_dates,
    suggested,
    superseded,
    teacher_sessions,
    upcoming_bookings,
)
from storage.inspections.views import (
    SITE_LINE,
    DistrictProgress,
    Progress,
    expiring,
    for_viewer,
    monitor_desk,
    monitors_for,
    never_inspected,
    open_list,
    progress,
    recent,
    site_row,
    to_pick,
    view,
)

__all__ = [
    "DEFAULT_ITEMS",
    "DUE_SOON",
    "EXPIRY_WARNING",
    "FOLLOW_UPS",
    "FOLLOW_UP_AT",
    "ITEM_RESULTS",
    "ITEM_TEXT_MAX",
    "NOTE_MAX",
    "OPEN",
    "RECHECK_AFTER",
    "RESULTS",
    "SITE_LINE",
    "VIEW",
    "DistrictProgress",
    "Finished",
    "Progress",
    "Refused",
    "ResultDates",
    "add_item",
    "answer",
    "assign",
    "attach",
    "booked_at_site",
    "cancel",
    "checklist_items",
    "due_for_inspection",
    "expiring",
    "finish",
    "for_viewer",
    "get",
    "inspection_items",
    "mine",
    "monitor_desk",
    "monitors_for",
    "never_inspected",
    "next_position",
    "open_list",
    "open_of_site",
    "pick",
    "progress",
    "recent",
    "recheck_by",
    "result_dates",
    "seed_checklist",
    "site_row",
    "start",
    "suggested",
    "superseded",
    "teacher_sessions",
    "to_pick",
    "toggle_item",
    "upcoming_bookings",
    "view",
]
