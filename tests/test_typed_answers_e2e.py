"""What people type where the bot asks, end to end (issue 20): a mentor types the meeting's
time instead of pressing one (read back before anything is saved), thanks get a short
answer in the reader's register, a sentence that finds nothing is told to try one word, and
a name refused while joining says which characters and why, to a student or an adult."""

from __future__ import annotations

import re

import pytest

from storage import invites
from storage import users as users_store
from storage.models import Role, utcnow
from tests.conftest import ADMIN_ID, join_as_student
from tests.mentors_e2e_helpers import add_mentor, ask

POLITE_ENDING = re.compile(r"(요|죠)[.!?]")  # 해요체
FORMAL_ENDING = re.compile(r"(니다|니까|시오)[.!?]")  # 합니다체
NO_PROGRAMME = "맞는 프로그램이 없"

# Mentors' free times are weekdays at 16:00 (tests/mentors_e2e_helpers.py); it is Tuesday.
pytestmark = pytest.mark.usefixtures("tuesday_morning")


# ----- 1. a meeting's time typed ----------------------------------------------------------------


async def _accepted(db, sandbox):
    pd = await add_mentor(db, sandbox, 8601, "윤서진")
    minji = await join_as_student(sandbox, 8611, "김민지")
    await ask(minji)
    await pd.expect("새 멘토 요청")
    await pd.press("수락")
    assert "언제 만나시겠습니까" in pd.last_text and "내일 오후 4시" in pd.last_text
    return pd, minji


async def test_a_mentor_types_the_meetings_time_and_it_is_read_back_first(bot, sandbox, db):
    pd, minji = await _accepted(db, sandbox)
    await pd.send("아무 때나요")  # not a time: said so, never a programme search
    assert NO_PROGRAMME not in pd.last_text and "/help" not in pd.last_text
    assert "날짜와 시각으로 읽을 수 없습니다" in pd.last_text
    assert "내일 오후 4시" in pd.last_text  # how to type it
    await pd.send("내일 오후 5시")  # not a free time: that day's free times instead
    assert "가능한 시간이 없습니다" in pd.last_text, pd.last_text
    assert any("(수) 16:00" in b for b in pd.buttons), pd.buttons
    await pd.send("내일 오후 4시")  # read back; nothing is saved yet
    assert "(수) 16:00–17:00" in pd.last_text and "이 시간이 맞습니까" in pd.last_text
    assert any(b.startswith("✅") and "(수) 16:00" in b for b in pd.buttons), pd.buttons
    async with db.read() as conn:
        assert (await users_store.get(conn, 8601)).flow == "mn.time"
    await pd.press("✅")
    assert "온라인 회의실 링크" in pd.last_text
    await pd.send("https://meet.example/pd-room")
    assert "만남이 정해졌습니다" in pd.last_text and "16:00–17:00" in pd.last_text
    news = await minji.expect("멘토링 만남이 정해졌어요")
    assert "https://meet.example/pd-room" in news["text"]


async def test_a_day_typed_alone_shows_that_days_free_times(bot, sandbox, db):
    pd, _ = await _accepted(db, sandbox)
    await pd.send("내일")
    assert "가능한 시간은 아래와 같습니다" in pd.last_text
    await pd.press("(수) 16:00")
    assert "온라인 회의실 링크" in pd.last_text
    await pd.send("토요일")  # now the link step: a word is not taken as a day
    assert "링크가 아닙니다" in pd.last_text


async def test_the_time_step_ends_when_the_mentor_leaves_it(bot, sandbox, db):
    pd, _ = await _accepted(db, sandbox)
    await pd.press("◀ 내 요청")
    await pd.send("방송")  # back outside any step: words search again
    assert "날짜와 시각" not in pd.last_text


# ----- 2. thanks, and a sentence that finds nothing ------------------------------------------


THANKS = ["고마워요!", "감사합니다", "thanks!", "thank you", "네 감사해요 ㅎㅎ"]


@pytest.mark.parametrize("words", THANKS)
async def test_thanks_get_a_short_answer_in_the_students_register(bot, sandbox, db, words):
    minji = await join_as_student(sandbox, 8621, "김민지")
    await minji.send(words)
    text = minji.last_text
    assert NO_PROGRAMME not in text and "천만에요" in text, text
    assert "/my" in text and not FORMAL_ENDING.search(text), text


async def test_an_adult_is_thanked_back_formally(bot, sandbox, db):
    pd = await add_mentor(db, sandbox, 8631, "윤서진")
    await pd.send("감사합니다")
    text = pd.last_text
    assert NO_PROGRAMME not in text and "다행입니다" in text and "/help" in text, text
    assert not POLITE_ENDING.search(text), text


async def test_a_sentence_that_finds_nothing_is_told_to_try_one_word(bot, sandbox, db):
    minji = await join_as_student(sandbox, 8641, "김민지")
    await minji.send("방송 체험 하고싶어요")
    assert NO_PROGRAMME in minji.last_text
    assert "문장 말고 짧은 낱말 하나로" in minji.last_text
    await minji.send("방송국사진작가")  # one long word: the usual hint
    assert NO_PROGRAMME in minji.last_text and "문장" not in minji.last_text
    pd = await add_mentor(db, sandbox, 8642, "윤서진")
    await pd.send("방송 체험 하고 싶습니다")
    assert "문장 대신 짧은 낱말 하나로 찾아 주십시오" in pd.last_text


# ----- 3. a refused name, in each register -----------------------------------------------------


async def test_a_site_persons_name_with_brackets_is_refused_formally_saying_why(bot, sandbox, db):
    async with db.write() as conn:
        site_id = (await users_store.find_sites(conn, "MBC ART"))[0].id
        code = (
            await invites.create(
                conn, role=Role.SITE, created_by=ADMIN_ID, site_id=site_id, now=utcnow()
            )
        ).code
    person = sandbox.user(8651, "현우")
    await person.send(f"/start {code}")
    await person.send("김현우 (MBC ART 교육팀)")
    text = person.last_text
    assert "이름에는 다음 글자를 쓸 수 없습니다: ( )" in text, text
    assert "가운뎃점(·)" in text and "입력해 주십시오" in text
    assert not POLITE_ENDING.search(text), text
    await person.send("김현우")
    async with db.read() as conn:
        assert (await users_store.get(conn, 8651)).name == "김현우"


async def test_a_students_refused_name_says_why_in_her_register(bot, sandbox, db):
    minji = sandbox.user(8661, "민지")
    await minji.send("/start")
    await minji.press("학생이에요")
    await minji.send("정발")
    await minji.press("정발중학교")
    await minji.press("2학년")
    await minji.send("민지2")
    text = minji.last_text
    assert "이름에 쓸 수 없는 글자가 있어요: 2" in text and "입력해 주세요" in text, text
    assert not FORMAL_ENDING.search(text), text


async def test_a_student_is_not_spoken_to_like_a_servant_about_the_consent_link(bot, sandbox, db):
    seojun = await join_as_student(sandbox, 8671, "이서준", under14=True, grade=1)
    assert "링크를 보내 줄게요" in seojun.last_text
    assert "드릴게요" not in seojun.last_text
