"""How a person is named to another: one rule for every text that names someone.

A student is named with 학생 (김민지 학생, or 민지 학생 where only the given name is shown);
an adult by their role, as a Korean school writes to parents and partners: 박선영 선생님,
윤서진 멘토님, 학부모 지원단 이수진 님, 체험처 담당자 최가람 님, 담당자 김현우 님. In English
the name with the role after it: 박선영 (teacher). Which part of a name is shown (a student's
given name only in a shared thread) is storage/names.py's rule; this adds the role's words.
Korean particles after it are settled by messages/particles.py ("%(who)s이(가)").
Speaking to the person themself, a student is "김민지 학생" too, an adult "박선영 님".
"""

from __future__ import annotations

from messages.labels import N_

CALLED = {
    "student": N_("%(name)s (student)"),
    "teacher": N_("%(name)s (teacher)"),
    "mentor": N_("%(name)s (mentor)"),
    "monitor": N_("%(name)s (parent monitor)"),
    "site": N_("%(name)s (site contact)"),
    "staff": N_("%(name)s (programme staff)"),
}


def called(lang: str, role: str | None, name: str | None) -> str:
    """`name` (as storage/names.py shows it) with the words of `role`, in `lang`."""
    from messages import label  # messages imports this module for its templates

    name = name or "?"
    msgid = CALLED.get(role or "")
    return label(lang, msgid, name=name) if msgid else name
