"""The buttons of a teacher's students' requests (tp:…), on /pending and on the notices the
outbox sends (handlers/pending/news.py). Only a teacher presses them; a booking the teacher
may not decide on answers like a missing one.

CONFIRM and REJECT leave their page off on a notice ("tp:ok:BOOKING") and carry it on a
/pending page ("tp:ok:BOOKING:PAGE"); CONFIRM_ALL carries the page's digest, ten hex
digits (handlers.pending._digest)."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, Buttons, Maybe, Token
from storage.models import Role

PENDING = Buttons("tp", roles=(Role.TEACHER,))
LIST = PENDING.action("pg", PAGE)  # /pending at a page
CONFIRM = PENDING.action("ok", ID, Maybe(PAGE))  # ✅ a request (the page to show after)
REJECT = PENDING.action("no", ID, Maybe(PAGE))  # ❌ a request: asks for a reason
# ✅ every request of the page, as shown (a digest of what it showed)
CONFIRM_ALL = PENDING.action("all", PAGE, Token("[0-9a-f]{10}", 10))
REJECT_NOW = PENDING.action("nr", ID)  # reject without a reason
# Do not reject after all: the request comes back where its ❌ was pressed (a notice, or the
# /pending page). One sent before it named its request answers only while the reason is
# still asked (it goes back to the request the flow names).
KEEP = PENDING.action(
    "keep",
    Maybe(ID),
    Maybe(PAGE),
    guard=lambda context, values: values[0] is not None or context.user.flow == "tp.reason",
)
