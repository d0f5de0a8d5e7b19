"""storage/audit_trail.py on both databases, and what /audit's lines and file say.

The log keeps Telegram ids, and an erased person's id comes back when the same account joins
again: nothing older than a person's current users row is ever tied to it, by trail or by
name. A teacher's /consents page is on the trail of the students it showed (the read keeps
their ids). Every line reads as plain Korean: actions as noun phrases, a refused press by
the area of its button, each noun once, codes of the detail in words; every button prefix
has its area. An XLSX column is as wide as its content.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import insert, update

from handlers.audit import details, labels
from handlers.audit.labels import describe
from messages import label
from storage import audit, erasure
from storage import audit_trail as store
from storage.audit_trail import Line
from storage.models import User, utcnow
from storage.spreadsheet import xlsx_file
from tests.conftest import KST
from tests.world_helpers import school_named, student_row, teacher_row

JIHO, MINJI, HANA, TEACHER = 772001, 772002, 772003, 772101
GONE = "더 이상 등록되어 있지 않은 사람"
GUEST = "가입하지 않은 사람(보호자 등)"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


NOW = utcnow().replace(microsecond=0)


async def trail_of(db, person_id: int | None) -> list[Line]:
    """The person's (None: everyone's) trail of this school year and the month before, as
    of now, newest first."""
    opened = store.Trail(person_id, "year", ago(400), NOW + timedelta(seconds=1))
    async with db.read() as conn:
        found, total = await store.lines(conn, opened, offset=0, limit=100)
    assert total == len(found)
    return found


def said(line: Line) -> tuple[str, str, str]:
    """Who, what and about what, in Korean as a page shows it."""
    shown = describe(line, "ko", KST)
    return shown.who, shown.what, shown.about


async def record(db, *entries) -> None:
    async with db.write() as conn:
        for actor, action, kind, object_id, days in entries:
            await audit.record(conn, actor, action, kind, object_id, now=ago(days))


# ----- an account made again under an erased person's Telegram id ----------------------------


async def test_entries_from_before_an_account_was_made_are_never_its(demo):
    db = demo
    async with db.write() as conn:
        school = await school_named(conn)
        await conn.execute(
            insert(User).values(**student_row(JIHO, "이지호", school), created_at=ago(30))
        )
        await conn.execute(
            insert(User).values(**teacher_row(TEACHER, "박선영", school), created_at=ago(60))
        )
    await record(
        db,
        (JIHO, "student.join", "user", JIHO, 30),
        (JIHO, "booking.requested", "booking", 1, 29),
        (TEACHER, "consent.reminded", "user", JIHO, 28),
    )
    async with db.write() as conn:  # erased (the erasure's own entry names him too)
        await erasure.forget(conn, [JIHO])
    await record(db, (JIHO, "person.erased", "user", JIHO, 27))
    assert await trail_of(db, JIHO) == []  # no row: nothing is his

    # Back as a bare account (any message makes one): the old entries are not its.
    async with db.write() as conn:
        await conn.execute(insert(User).values(id=JIHO, lang="ko", created_at=ago(10)))
    assert await trail_of(db, JIHO) == []
    everything = [said(line) for line in await trail_of(db, None)]
    assert everything == [
        (GONE, "개인정보 삭제", GONE),
        ("박선영", "학생에게 동의 요청 재안내", GONE),
        (GONE, "체험 신청", "#1"),
        (GONE, "학생 가입", GONE),
    ]
    assert not any(GUEST in " ".join(line) for line in everything)

    # He joins again under the same name: his trail is the new account's alone.
    async with db.write() as conn:
        await conn.execute(
            update(User).where(User.id == JIHO).values(role="student", name="이지호")
        )
    await record(db, (JIHO, "student.join", "user", JIHO, 9))
    assert [said(line) for line in await trail_of(db, JIHO)] == [("이지호", "학생 가입", "이지호")]
    newest, *older = await trail_of(db, None)
    assert said(newest) == ("이지호", "학생 가입", "이지호")
    assert all(GONE in (line_who, about) for line_who, _, about in map(said, older))
    # The teacher's own trail keeps what she did, about someone no longer registered.
    assert [said(line) for line in await trail_of(db, TEACHER)] == [
        ("박선영", "학생에게 동의 요청 재안내", GONE)
    ]


# ----- the consent list: tied through the ids it showed -----------------------------------------


async def test_a_consent_list_read_is_on_the_trails_of_the_students_it_showed(demo):
    db = demo
    async with db.write() as conn:
        school = await school_named(conn)
        rows = [
            {**student_row(person, name, school), "created_at": ago(100)}
            for person, name in ((JIHO, "이지호"), (MINJI, "김민지"), (HANA, "최하나"))
        ]
        await conn.execute(insert(User).values(rows))
        await conn.execute(
            insert(User).values(**teacher_row(TEACHER, "박선영", school), created_at=ago(100))
        )
        reads = (
            dict(page=0, rows=2, student_ids=[JIHO, MINJI]),
            dict(page=1, rows=1, student_ids=[HANA]),
            dict(page=0, rows=0),  # before the ids were kept: tied to nobody
            dict(page=0, rows=1, student_ids=JIHO),  # another shape: tied to nobody, no error
        )
        for days, detail in enumerate(reads, start=1):
            await audit.read(conn, TEACHER, "consents", school, now=ago(days), **detail)
        # Another list whose detail counts students: not the consent list.
        await audit.read(conn, TEACHER, "class_seats", 5, now=ago(5), seats=3, students=JIHO)

    def consent_reads(found: list[Line]) -> list[dict]:
        return [line.detail for line in found if line.object_type == "consents"]

    assert consent_reads(await trail_of(db, JIHO)) == [reads[0] | {"answer": "shown"}]
    assert consent_reads(await trail_of(db, MINJI)) == [reads[0] | {"answer": "shown"}]
    assert consent_reads(await trail_of(db, HANA)) == [reads[1] | {"answer": "shown"}]
    assert len(consent_reads(await trail_of(db, TEACHER))) == 4  # hers, all of them
    (line,) = [line for line in await trail_of(db, HANA)]
    assert said(line) == ("박선영", "보호자 동의 현황 열람", "학교 정발중학교")
    assert describe(line, "ko", KST).detail == "결과: 표시, 쪽: 2, 표시 건수: 1, 표시 학생 수: 1"


# ----- the words ---------------------------------------------------------------------------


def line(action: str, kind: str | None = None, object_id: str | None = None, **values) -> Line:
    values.setdefault("detail", {})
    return Line(
        id=1,
        at=NOW,
        actor_id=TEACHER,
        actor_known=True,
        actor_name="박선영",
        actor_role="teacher",
        action=action,
        object_type=kind,
        object_id=object_id,
        object_name=values.pop("object_name", None),
        **values,
    )


def test_every_button_prefix_has_its_area_in_words():
    import bot.app  # noqa: F401 - every area, and so every button family, declared
    from handlers.common.buttons import FAMILIES

    assert set(FAMILIES) == set(labels.AREAS)


def test_a_refused_press_names_its_area_and_a_refused_command_the_command():
    pressed = describe(
        line("button.refused", "bk:ap", "184", detail={"answer": "stale"}), "ko", KST
    )
    assert (pressed.what, pressed.kind, pressed.object, pressed.about) == (
        "버튼 사용 거부",
        "버튼",
        "체험 신청(학생)",
        "체험 신청(학생)",
    )
    assert pressed.detail == "결과: 지난 버튼 또는 위조된 버튼, 버튼 속 번호: 184"
    for name, area in (
        ("er:r", "서면 요청에 따른 정보 삭제(담당자)"),
        ("dm:y", "본인·자녀 정보 삭제"),
    ):
        assert describe(line("button.refused", name, "0"), "ko", KST).about == area
    unknown = describe(line("button.refused", "unknown", None), "ko", KST)
    assert (unknown.what, unknown.kind, unknown.object, unknown.about) == (
        "버튼 사용 거부",
        "버튼",
        "",
        "",
    )
    command = describe(line("command.refused", "command", "audit"), "ko", KST)
    assert (command.what, command.about) == ("명령어 사용 거부", "/audit")


def test_each_noun_is_said_once_on_a_line():
    gone = describe(
        line("person.erased", "user", str(JIHO), object_known=False, detail={"reason": "self"}),
        "ko",
        KST,
    )
    assert (gone.kind, gone.object, gone.about) == ("사람", GONE, GONE)
    assert gone.detail == "사유: 본인 요청"
    named = describe(line("consent.paper", "user", str(JIHO), object_name="이지호"), "ko", KST)
    assert named.about == "이지호"
    booking = describe(line("booking.confirmed", "booking", "12"), "ko", KST)
    assert (booking.kind, booking.about) == ("신청", "#12")
    roster = describe(line("read", "roster", "5", object_name="라디오 PD 체험"), "ko", KST)
    assert (roster.what, roster.about) == ("회차 명단 열람", "라디오 PD 체험 #5")
    searched = describe(line("read", "audit_people", None), "ko", KST)
    assert (searched.what, searched.kind, searched.about) == ("감사 기록 대상자 검색", "", "")
    swept = describe(line("retention.swept", "case_texts", None, detail={"rows": 3}), "ko", KST)
    assert (swept.what, swept.kind, swept.about) == (
        "보존 기간 경과 정보 파기",
        "종결된 사례의 글",
        "종결된 사례의 글",
    )


def test_actions_are_noun_phrases_in_korean_words():
    names = [
        *labels.ACTIONS.values(),
        *labels.READS.values(),
        *labels.AREAS.values(),
        *labels.RULES.values(),
        *labels.OBJECTS.values(),
        *details.KEYS.values(),
    ]
    for name in names:
        korean = label("ko", name)
        assert not re.search(r"[A-Za-z]", korean), (name, korean)
        assert not korean.endswith(("다", "요", ".", "음", "됨")), (name, korean)


def test_the_details_codes_are_in_words_and_an_unknown_one_as_written():
    reasons = {
        "self": "본인 요청",
        "guardian": "보호자 요청",
        "written_self": "본인 서면 요청",
        "written_guardian": "보호자 서면 요청",
        "school": "학교 요청",
        "retention": "보존 기간 경과",
    }
    for code, words in reasons.items():
        assert details.detail_text({"reason": code}, "ko") == f"사유: {words}"
    assert details.detail_text({"method": "contact", "relationship": "parent"}, "ko") == (
        "보호자 확인 방법: 텔레그램 본인 번호 공유, 보호자 관계: 부모"
    )
    assert details.detail_text({"method": "identity"}, "ko") == "보호자 확인 방법: 휴대폰 본인확인"
    assert details.detail_text({"answer": "already_handled"}, "ko") == "결과: 이미 처리됨"
    assert details.detail_text({"period": "year", "view": 7}, "ko") == (
        "기간: 이번 학년도, 처음 연 감사 기록 번호: 7"
    )
    assert (
        details.detail_text({"changed": ["bio", "districts"]}, "ko") == "바뀐 항목: 소개, 담당 구"
    )
    # Unknown: as written, after the known ones; a known key's unknown code as written.
    assert details.detail_text({"zeta": [1, 2], "answer": "shown"}, "ko") == (
        "결과: 표시, zeta=[1,2]"
    )
    assert details.detail_text({"reason": "new_code"}, "ko") == "사유: new_code"


# ----- the file's columns ------------------------------------------------------------------


def test_an_xlsx_column_is_as_wide_as_its_content():
    at = datetime(2026, 3, 4, 10, 0, tzinfo=UTC).replace(tzinfo=None)
    content = xlsx_file(
        "감사 기록",
        ("일시", "대상", "내용", "수"),
        [[at, "정발중학교", "가" * 100, 7], [at, "ab", None, 12345]],
    )
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["A"] >= 19  # "2026-03-04 10:00:00": no ####
    assert widths["B"] >= 10  # five Hangul, each as wide as two digits
    assert widths["C"] == 80  # a long text stops at the widest a column gets
    assert 8 <= widths["D"] < 12  # a header's width at least, a short column stays short
