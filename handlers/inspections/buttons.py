"""The buttons of safety inspections (is:…) and of the checklist (ck:…). Ids are never
trusted: each press reloads the inspection (the site, the item) and checks who may act on
it; another monitor's inspection gets the same answer as a missing one."""

from __future__ import annotations

from handlers.common.buttons import ID, PAGE, Buttons, Number, choice
from storage.inspections import ITEM_RESULTS, RESULTS
from storage.models import Role

STAFF, MONITOR = (Role.STAFF,), (Role.MONITOR,)
VIEWERS = (Role.STAFF, Role.MONITOR, Role.SITE)  # an inspection's details: the site's too

USER = Number(1, 2**63 - 1)  # a Telegram user id (users.id, a bigint)
POSITION = Number(1, 9999)  # an item's place in the inspection's checklist, from 1
ITEM_RESULT = choice(*ITEM_RESULTS)
RESULT = choice(*RESULTS)

INSPECTIONS = Buttons("is", roles=STAFF)  # staff's unless a button names its own roles
HOME = INSPECTIONS.action("h", roles=(Role.STAFF, Role.MONITOR))  # staff's or a monitor's home
# Staff
NEVER = INSPECTIONS.action("ln", PAGE)  # sites never inspected, at a page
EXPIRING = INSPECTIONS.action("lx", PAGE)  # sites whose inspection runs out, at a page
OPEN = INSPECTIONS.action("lo", PAGE)  # open inspections, at a page
RECENT = INSPECTIONS.action("lr")  # recent results
FIND = INSPECTIONS.action("fd")  # type part of a site's name
SITE = INSPECTIONS.action("ps", ID)  # a site: the monitors to give it to
ASSIGN = INSPECTIONS.action("as", ID, USER)  # site, monitor: give it to them
CANCEL = INSPECTIONS.action("c", ID)  # cancel the inspection?
CANCEL_NOW = INSPECTIONS.action("cy", ID)  # cancel it!
# The monitor
TO_PICK = INSPECTIONS.action("pl", PAGE, roles=MONITOR)  # due sites of the district, at a page
PICK = INSPECTIONS.action("pk", ID, roles=MONITOR)  # take this site
START = INSPECTIONS.action("st", ID, roles=MONITOR)  # start, or go on at the first unanswered
ANSWER = INSPECTIONS.action("a", ID, POSITION, ITEM_RESULT, roles=MONITOR)  # an item's result
ATTACH = INSPECTIONS.action("n", ID, POSITION, roles=MONITOR)  # a photo or note for the item
ITEM = INSPECTIONS.action("q", ID, POSITION, roles=MONITOR)  # show that item (to change it)
PHOTO_FOR = INSPECTIONS.action("pf", ID, POSITION, roles=MONITOR)  # the waiting photo: this item
SUMMARY = INSPECTIONS.action("sm", ID, roles=MONITOR)  # every answer, the results to choose
RESULT_CHOSEN = INSPECTIONS.action("r", ID, RESULT, roles=MONITOR)  # the overall result
NO_NOTE = INSPECTIONS.action("nn", ID, roles=MONITOR)  # without an overall note
CONFIRM = INSPECTIONS.action("f", ID, roles=MONITOR)  # confirm the result
# Whoever may see it: staff, the inspecting monitor, the site's own people
DETAIL = INSPECTIONS.action("v", ID, roles=VIEWERS)
PHOTOS = INSPECTIONS.action("ph", ID, roles=VIEWERS)

CHECKLIST = Buttons("ck", roles=STAFF)  # /checklist
CHECKLIST_HOME = CHECKLIST.action("h")  # the checklist
TOGGLE = CHECKLIST.action("t", ID)  # an item on or off
ADD_ITEM = CHECKLIST.action("a")  # type a new item
