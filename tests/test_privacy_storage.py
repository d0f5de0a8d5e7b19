"""storage/privacy.py on both databases: a person's copy holds their own data and nobody
else's: in a case only the lines they wrote (not the others', not a mediator's private word
to them), a class seat a teacher named them on, the guardian's number masked, a guardian's
declined answer without the child's name; times in the city's time zone."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import insert, update

from storage import consent, privacy
from storage.models import Booking, FieldInterest, ReminderOptOut, User
from tests.cases_helpers import (
    KST,
    M1,
    M2,
    NOW,
    STUDENT,
    STUDENT2,
    TEACHER,
    open_case,
    post,
    the_case,
    user,
    world,
)

E164 = "+821023456789"


async def copy_of(db, user_id: int) -> privacy.Copy:
    async with db.read() as conn:
        return await privacy.export(conn, await user(db, user_id), now=NOW, tz=KST)


async def test_a_case_copy_holds_only_the_persons_own_lines(db):
    ids = await world(db)
    opened = await open_case(db, ids["own"], STUDENT, text="버스 시간이 궁금해요")
    case_id = opened.case_id
    await post(db, case_id, TEACHER, "선생님이 확인해 볼게요")
    monitor = (await the_case(db, case_id)).monitor_id
    assert monitor in (M1, M2)
    await post(db, case_id, monitor, "민지 학생에게만 하는 말", kind="private", to_user_id=STUDENT)

    student = (await copy_of(db, STUDENT)).data
    (case,) = student["cases"]
    assert (case["id"], case["role"], case["opened_by_you"], case["state"]) == (
        case_id,
        "student",
        True,
        "open",
    )
    lines = [(line["kind"], line["text"]) for line in case["your_messages"]]
    assert lines == [("event", "opened"), ("message", "버스 시간이 궁금해요")]
    assert case["opened_at"].endswith("+09:00")
    text = json.dumps(student, ensure_ascii=False)
    assert "선생님이 확인해 볼게요" not in text and "민지 학생에게만" not in text
    assert "박선생" not in text and "이서준" not in text  # the teacher's, a classmate's name

    teacher = (await copy_of(db, TEACHER)).data
    assert [c["role"] for c in teacher["cases"]] == ["teacher"]
    lines = teacher["cases"][0]["your_messages"]
    assert [line["text"] for line in lines] == ["선생님이 확인해 볼게요"]
    assert "버스 시간이" not in json.dumps(teacher, ensure_ascii=False)
    assert teacher["profile"]["grades"] == [2] and teacher["consents"] == []

    mediator = (await copy_of(db, monitor)).data
    assert [c["role"] for c in mediator["cases"]] == ["mediator"]
    lines = mediator["cases"][0]["your_messages"]
    written = [(line["kind"], line["text"]) for line in lines if line["kind"] != "event"]
    assert written == [("private", "민지 학생에게만 하는 말")]
    assert mediator["profile"]["monitor"] == {"district": "덕양구", "paused": False}


async def test_bookings_settings_and_interests_are_the_persons_own(db):
    ids = await world(db)
    async with db.write() as conn:
        # A teacher names 이서준 on a class seat: it is his booking too.
        await conn.execute(
            update(Booking).where(Booking.id == ids["class"][0]).values(student_id=STUDENT2)
        )
        await conn.execute(insert(FieldInterest).values(user_id=STUDENT, field="환경", views=3))
        await conn.execute(insert(ReminderOptOut).values(user_id=STUDENT, kind="student_survey"))
    minji = (await copy_of(db, STUDENT)).data
    assert [b["id"] for b in minji["bookings"]] == [ids["past_own"], ids["own"]]
    assert {b["programme"] for b in minji["bookings"]} == {"해양 생물 관찰"}
    assert not any(b["class_seat"] for b in minji["bookings"])
    assert minji["interests"] == [{"field": "환경", "views": 3}]
    assert minji["settings"] == {"language": "ko", "reminders_off": ["student_survey"]}
    assert minji["generated_at"] == NOW.astimezone(KST).isoformat()
    assert "children" not in minji  # only a guest's copy has them
    seojun = (await copy_of(db, STUDENT2)).data
    assert [(b["id"], b["class_seat"]) for b in seojun["bookings"]] == [(ids["class"][0], True)]
    assert privacy.counts(seojun)["bookings"] == [{"status": "confirmed", "count": 1}]


async def test_a_guardian_gets_the_children_they_consent_for_and_numbers_are_masked(db):
    await world(db)
    async with db.write() as conn:
        await conn.execute(
            update(User).where(User.id.in_([STUDENT, STUDENT2])).values(under14=True)
        )
        tokens = []
        for student_id in (STUDENT, STUDENT2):
            student = await user(db, student_id)
            tokens.append(await consent.ask(conn, student, E164, now=NOW))
        await consent.give(
            conn, tokens[0], None, 1004, relationship="parent", shared_phone=E164, now=NOW
        )
        await consent.decline(
            conn, tokens[1], None, 1004, shared_phone=E164, now=NOW + timedelta(minutes=5)
        )
        await conn.execute(insert(User).values(id=1004, role=None, lang="ko", flow_data={}))
    copy = await copy_of(db, 1004)
    assert copy.child_ids == [STUDENT]
    (child,) = copy.data["children"]
    assert child["profile"]["name"] == "김민지" and len(child["bookings"]) == 2
    assert [c["status"] for c in child["consents"]] == ["given"]
    assert child["consents"][0]["guardian_phone"] == "010-****-6789"
    answers = copy.data["consents"]
    assert [(a["student"], a["status"]) for a in answers] == [
        ("김민지", "given"),
        (None, "declined"),
    ]
    text = json.dumps(copy.data, ensure_ascii=False)
    assert "이서준" not in text and "2345" not in text


def test_only_the_last_four_digits_of_a_number_are_shown():
    assert privacy.masked_number("+821023456789") == "010-****-6789"
    assert privacy.masked_number("+12015550123") == "*******0123"
    assert privacy.masked_number(None) is None
