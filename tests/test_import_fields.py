"""One vocabulary of programme fields: a spreadsheet's other spelling of a field in use is
read as it, and a field nobody has yet is named in the preview, never made quietly (the
shipped example file against the demo data made 문화·예술 beside 문화예술 before)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage import importer
from storage.importer.fields import same_field, settle
from storage.models import Program
from tests.conftest import ADMIN_ID
from tests.test_import import EXAMPLE, GOOD, SEOUL, csv_bytes


def test_spellings_of_one_field():
    for a, b in [
        ("문화·예술", "문화예술"),
        ("방송·영상", "방송 영상"),
        ("안전·소방", "소방·안전"),
        ("농림·화훼", "화훼"),
        ("IT/소프트웨어", "it·소프트웨어"),
        ("제과 - 제빵", "제과·제빵"),
    ]:
        assert same_field(a, b) and same_field(b, a), (a, b)
    for a, b in [("정보·통신", "IT·소프트웨어"), ("문화예술", "문화"), ("·", "화훼"), ("방송", "")]:
        assert not same_field(a, b), (a, b)


def test_a_files_spellings_settle_against_the_fields_in_use():
    known = ["문화예술", "소방·안전", "화훼"]
    as_known, new = settle({"문화·예술", "안전·소방", "화훼", "정보·통신", "정보 통신"}, known)
    assert as_known == {"문화·예술": "문화예술", "안전·소방": "소방·안전", "정보·통신": "정보 통신"}
    assert new == ["정보 통신"]  # one new field, though spelt two ways


async def test_the_example_file_adds_no_near_duplicate_field_to_the_demo(demo):
    before_the_semester = datetime(2027, 1, 4, tzinfo=SEOUL)
    sheet = importer.read(EXAMPLE.read_bytes(), today=before_the_semester.date())
    async with demo.read() as conn:
        summary = await importer.preview(conn, sheet, now=before_the_semester)
    assert summary.fields_as_known == {
        "농림·화훼": "화훼",
        "문화·예술": "문화예술",
        "방송·영상": "방송영상",
        "안전·소방": "소방·안전",
    }
    assert summary.fields_new == ["정보·통신", "항공·드론"]  # for staff to confirm
    assert "new fields: 정보·통신, 항공·드론" in summary.line()
    async with demo.write() as conn:
        await importer.apply(conn, sheet, now=before_the_semester)
        fields = set((await conn.execute(select(Program.field).distinct())).scalars())
    assert {"문화·예술", "방송·영상", "안전·소방", "농림·화훼"}.isdisjoint(fields)
    assert {"문화예술", "방송영상", "소방·안전", "화훼", "정보·통신", "항공·드론"} <= fields


async def test_the_preview_in_the_chat_names_new_fields_and_other_spellings(bot, sandbox, db):
    staff = sandbox.user(ADMIN_ID, "시청 담당자")
    await staff.send("/import")
    await staff.send_document("programmes.csv", csv_bytes(GOOD))
    preview = staff.last_text
    assert "새로 생기는 분야" in preview and "식품·요리" in preview
    assert "이미 있는 분야로 맞춰 읽은 표기: 안전·소방 → 소방·안전" in preview
    await staff.press("가져오기")
    async with db.read() as conn:
        fields = set((await conn.execute(select(Program.field).distinct())).scalars())
    assert "안전·소방" not in fields and "식품·요리" in fields
