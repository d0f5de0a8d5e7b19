"""The broadcasts' buttons: the draft's (bc:…) and those steering a confirmed broadcast
(bl:…). Staff, teachers and sites write broadcasts (AUTHORS); a draft's
button answers only while it is the presser's current draft and they may still broadcast,
and only with the choices their role has (the same limits are kept in storage/broadcasts/)."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, Buttons, Number
from storage.broadcasts import AUTHORS, GRADES, ROLES, SITE_KINDS
from storage.catalogue import DISTRICTS
from storage.models import Role

STAFF = (Role.STAFF,)
NOT_TEACHER = (Role.STAFF, Role.SITE)  # programme choices: a teacher's is their school
NOT_SITE = (Role.STAFF, Role.TEACHER)  # grades: a site's are the students booked with it

# The fixed lists an audience is narrowed by (handlers/broadcasts/pickers.py CHOICES): a
# button carries a value's place in its list, a grade itself.
ROLE_PLACE = Number(0, len(ROLES) - 1)
DISTRICT_PLACE = Number(0, len(DISTRICTS) - 1)
GRADE_VALUE = Number(min(GRADES), max(GRADES))
KIND_PLACE = Number(0, len(SITE_KINDS) - 1)


def may_broadcast(user) -> bool:
    """A teacher needs a school and a site its site: that is whom they may reach."""
    if user.role == Role.TEACHER:
        return user.school_id is not None
    if user.role == Role.SITE:
        return user.site_id is not None
    return user.role == Role.STAFF


def current_draft(context, values: tuple) -> bool:
    """The draft pressed (the first value) is the user's current one, and they may still
    broadcast (a teacher who left their school may not)."""
    user = context.user
    return (
        (user.flow or "").startswith("bc.")
        and user.flow_data.get("b") == values[0]
        and may_broadcast(user)
    )


def confirming(context, values: tuple) -> bool:
    """The last confirm of the current draft is what the user was shown last."""
    return current_draft(context, values) and context.user.flow == "bc.sure"


# ----- the draft: bc:<action>:<draft>… ----------------------------------------------------------

DRAFTS = Buttons("bc", roles=AUTHORS, guard=current_draft)
PANEL = DRAFTS.action("p", ID)  # back to the audience panel
# Staff narrow by roles, schools, districts and site types, or choose everyone
ROLES = DRAFTS.action("r", ID, roles=STAFF)
ROLE = DRAFTS.action("rt", ID, ROLE_PLACE, roles=STAFF)  # a role on ⇄ off
SCHOOLS = DRAFTS.action("s", ID, PAGE, roles=STAFF)  # the schools at a page
SCHOOL = DRAFTS.action("st", ID, ID, PAGE, roles=STAFF)  # a school on ⇄ off; its list's page
DISTRICTS = DRAFTS.action("d", ID, roles=STAFF)
DISTRICT = DRAFTS.action("dt", ID, DISTRICT_PLACE, roles=STAFF)
KINDS = DRAFTS.action("k", ID, roles=STAFF)  # site types
KIND = DRAFTS.action("kt", ID, KIND_PLACE, roles=STAFF)
EVERYONE = DRAFTS.action("e", ID, roles=STAFF)  # everyone on ⇄ off
URGENT = DRAFTS.action("u", ID, roles=STAFF)  # urgent (quiet hours ignored) on ⇄ off
# Staff and teachers narrow by grade
GRADES = DRAFTS.action("g", ID, roles=NOT_SITE)
GRADE = DRAFTS.action("gt", ID, GRADE_VALUE, roles=NOT_SITE)
# Staff and sites narrow by a programme or one of its sessions
PROGRAMME = DRAFTS.action("f", ID, roles=NOT_TEACHER)  # staff type a title, a site picks
PROGRAMME_SESSIONS = DRAFTS.action("fp", ID, ID, roles=NOT_TEACHER)  # draft, programme
WHOLE_PROGRAMME = DRAFTS.action("fa", ID, ID, roles=NOT_TEACHER)  # draft, programme
ONE_SESSION = DRAFTS.action("fs", ID, ID, roles=NOT_TEACHER)  # draft, session
NO_PROGRAMME = DRAFTS.action("fx", ID, roles=NOT_TEACHER)
# The message, when, and the last confirm
PREVIEW = DRAFTS.action("v", ID)
CHANGE_TEXT = DRAFTS.action("t", ID)
SEND_NOW = DRAFTS.action("n", ID)  # asks the last confirm
SCHEDULE = DRAFTS.action("w", ID)  # asks for a day and time
CONFIRM = DRAFTS.action("y", ID, guard=confirming)  # writes the deliveries
DISCARD = DRAFTS.action("x", ID)

# ----- a confirmed broadcast: bl:<action>… (staff any, the others their own) --------------------

STEERING = Buttons("bl", roles=AUTHORS)
LIST = STEERING.action("pg", PAGE)  # /broadcasts at a page
OPEN = STEERING.action("o", ID, PAGE)  # one broadcast; the list's page to go back to
PAUSE = STEERING.action("ps", ID)
RESUME = STEERING.action("rs", ID)
CANCEL = STEERING.action("cx", ID)  # cancel? (with what is left to send)
CANCEL_NOW = STEERING.action("cy", ID)  # cancel!
KEEP = STEERING.action("ck", ID)  # no, keep sending it
CSV = STEERING.action("csv", ID)  # the undelivered as a CSV file
