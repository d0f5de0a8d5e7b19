"""The buttons of erasure: /deleteme's (dm:…, anyone: the person, or a guardian for a child)
and staff's /erase on a written request (er:…). No button carries a person's id: a
guardian's child and the person staff found are picked by their place in the list shown and
a check number (storage.cases.party_tag), so a list that changed meanwhile gives the stale
(or, for a guardian, the "no longer yours") answer, never another person. An erasure's last
button answers only while its question is the presser's open step (users.flow): an old
button, or a second press, finds it closed."""

from __future__ import annotations

from handlers.common.buttons import PAGE, PLACE, TAG, Answers, Buttons, choice
from messages.labels import N_
from storage.erasable import REASONS
from storage.models import Role

WHOSE_FLOW = "dm.whose"  # a guardian asked whose data: their own, or one child's
CONFIRM_FLOW = "dm.confirm"  # the person's own erasure asked
CHILD_FLOW = "dm.child"  # a guardian's erasure of one child asked
SEARCH_FLOW = "er.name"  # staff: typed text searches names; flow_data {"q": the last typed}
SURE_FLOW = "er.sure"  # staff: the erasure asked; flow_data {"q"} still


def _flow(context) -> str | None:
    return context.user.flow if context.user is not None else None


def _asked(context, values) -> bool:
    return _flow(context) == CONFIRM_FLOW


def _guest(context, values) -> bool:
    """Only a guest can be a guardian (an account with a role never consents)."""
    return context.user is not None and context.user.role is None


def _child_asked(context, values) -> bool:
    return _flow(context) == CHILD_FLOW


def _searched(context, values) -> bool:
    """Staff's list is read again from the text they typed, kept with their flow."""
    return _flow(context) in (SEARCH_FLOW, SURE_FLOW) and bool(context.user.flow_data.get("q"))


def _staff_asked(context, values) -> bool:
    return _flow(context) == SURE_FLOW and _searched(context, values)


def _any_time(context, values) -> bool:
    return True


# The person, or a guardian (a guest whose consent stands for children): "dm:c:<place>:<tag>".
ERASING = Buttons("dm", roles=None)
ERASE = ERASING.action("y", guard=_asked)  # yes, my own data
KEEP = ERASING.action("n")  # no: nothing deleted
OWN = ERASING.action("me", guard=_guest)  # a guardian chose their own data
CHILD = ERASING.action("c", PLACE, TAG, guard=_guest)  # a guardian chose this child's data: asked
CHILD_SURE = ERASING.action("cy", PLACE, TAG, guard=_child_asked)  # … yes

# Staff on a request in writing: "er:r:written_guardian:<page>:<place>:<tag>" (37 bytes).
REASON_CODE = choice(*REASONS)
STAFF = Buttons(
    "er",
    roles=(Role.STAFF,),
    guard=_searched,
    answers=Answers(
        refused={
            "self": N_("Your own data: please use /deleteme."),
            "staff": N_(
                "A staff account cannot be deleted here: each staff member deletes their own "
                "data with /deleteme."
            ),
        }
    ),
)
LIST = STAFF.action("pg", PAGE)  # the people found, at a page
PICK = STAFF.action("p", PAGE, PLACE, TAG)  # this person: which request?
REASON = STAFF.action("r", REASON_CODE, PAGE, PLACE, TAG)  # this request: delete?
SURE = STAFF.action("y", REASON_CODE, PAGE, PLACE, TAG, guard=_staff_asked)  # … yes
STOP = STAFF.action("n", guard=_any_time)  # no: nothing deleted
