"""The buttons of joining: a student's steps (ob:…) and an invited person's profile (pf:…).
They are pressed by people who have not joined yet (no role), so neither family asks for
one; each button is good only at its own step of the joining flow (users.flow)."""

from __future__ import annotations

from handlers.common.buttons import ID, Buttons, Number, choice


def _at(flow: str):
    """The guard of a button answered only at this step of joining."""
    return lambda context, values: context.user.flow == flow


def _asked_age(context, values) -> bool:
    """The age question, with everything the student gave before it still in the flow."""
    data = context.user.flow_data or {}
    return context.user.flow == "ob.age" and {"school_id", "grade", "name"} <= data.keys()


JOINING = Buttons("ob")
ROLE = JOINING.action("role", choice("student", "invite"), guard=_at("ob.role"))  # who I am
SWITCH_LANGUAGE = JOINING.action("lang", guard=_at("ob.role"))  # 한국어 ⇄ English
SCHOOL = JOINING.action("sc", ID, guard=_at("ob.school"))  # one of the schools found
GRADE = JOINING.action("gr", Number(1, 3), guard=_at("ob.grade"))
NAME = JOINING.action("nm", guard=_at("ob.name"))  # the student's Telegram name as their name
AGE = JOINING.action("age", choice("y", "n"), guard=_asked_age)  # under 14: yes or no

PROFILE = Buttons("pf")
PROFILE_NAME = PROFILE.action("nm", guard=_at("pf.name"))  # the Telegram name as their name
# A teacher's grades: one toggled, or done.
GRADES = PROFILE.action("gr", choice("1", "2", "3", "done"), guard=_at("pf.grades"))
MENTOR_KIND = PROFILE.action("kind", choice("professional", "university"), guard=_at("pf.kind"))
# A monitor's district: its place in storage.catalogue.DISTRICTS (a keyboard holds 100
# buttons; the handler checks the place is one of them).
DISTRICT = PROFILE.action("dist", Number(0, 99), guard=_at("pf.district"))
