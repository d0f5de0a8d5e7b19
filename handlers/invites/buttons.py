"""The invite area's buttons (inv:…): staff only, each answering only in its own step of the
/invite flow; the /invites list's revoke and paging."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, Buttons, Number, Token, choice
from storage.invites import CODE_PATTERN, DAYS_OFFERED, USES_OFFERED
from storage.models import INVITED_ROLES, Role


def _in(flow: str):
    """A guard: the button answers only in that step of the flow."""
    return lambda context, values: context.user.flow == flow


def _offered(flow: str, offered: tuple[int, ...]):
    """A guard: in that step, and a value the step offers (a forged one is stale)."""
    return lambda context, values: (
        context.user.flow == flow and values[0] in offered and "role" in context.user.flow_data
    )


INVITES = Buttons("inv", roles=(Role.STAFF,))
ROLE = INVITES.action("role", choice(*INVITED_ROLES), guard=_in("inv.role"))  # whom to invite
SCHOOL = INVITES.action("sc", ID, guard=_in("inv.school"))  # a teacher's school
SITE = INVITES.action("st", ID, guard=_in("inv.site"))  # a site user's site
USES_CHOSEN = INVITES.action(
    "uses", Number(1, max(USES_OFFERED)), guard=_offered("inv.uses", USES_OFFERED)
)  # how many may join with it
DAYS_CHOSEN = INVITES.action(
    "days", Number(1, max(DAYS_OFFERED)), guard=_offered("inv.days", DAYS_OFFERED)
)  # how long it works
REVOKE = INVITES.action("rv", Token(CODE_PATTERN, 17), PAGE)  # /invites: stop one working
LIST_PAGE = INVITES.action("pg", PAGE)  # /invites: another page
