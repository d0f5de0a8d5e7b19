"""Which typed messages are greetings or requests for help (a menu) and which are searches
(handlers/common/small_talk.py), as students write them, in Korean and English."""

from __future__ import annotations

import time

import pytest

from handlers.common.small_talk import small_talk
from storage import demo_data

GREETINGS = [
    "안녕", "안녕하세요", "안녕하세요!!", "안녕하세여~", "안뇽ㅎㅎ", "ㅎㅇ", "하이", "하이루",
    "헬로", "반가워요", "반갑습니다", "좋은 아침", "처음이에요", "hi", "Hi!", "hello",
    "Hey there", "hey bot", "good morning", "yo",
]  # fmt: skip
HELP = [
    "도와주세요", "도와줘", "도와줘 ㅠㅠ", "도와주실 수 있나요?", "도움", "도움말",
    "도움이 필요해요", "뭐 할 수 있어?", "뭘 할 수 있나요", "여기서 뭐 할 수 있어요?",
    "넌 뭐 할 수 있어", "무엇을 할 수 있나요?", "저 뭐 해야 돼요?", "뭐부터 해야 해요",
    "이거 어떻게 써요?", "어떻게 해요??", "어떻게 시작해요", "사용법", "사용 방법 알려주세요",
    "잘 모르겠어요", "이거 뭐야?", "여긴 뭐 하는 곳이에요?", "메뉴", "기능 알려줘",
    "명령어 보여 주세요", "진로봇아 도와줘", "안녕 도와줘", "안녕하세요 뭐 할 수 있어요?",
    "help", "Help me please", "I need help", "what can you do?", "What can I do here?",
    "how does this work?", "how do I use this", "menu", "hi, what can you do", "?", "👋",
]  # fmt: skip
SEARCHES = [
    "꽃", "방송", "12월 10일", "12/3", "하이브", "도자기", "요리", "네일아트", "로봇", "yoga",
    "hiphop", "startup", "helper", "안녕 방송", "안내견", "메뉴 개발", "음악", "MBC", "robt",
    "바리스타", "간호사", "소방관", "방송 PD 되는 법", "help desk", "hello kitty",
]  # fmt: skip


@pytest.mark.parametrize("words", GREETINGS)
def test_greetings(words):
    assert small_talk(words) == "greeting"


@pytest.mark.parametrize("words", HELP)
def test_requests_for_help(words):
    assert small_talk(words) == "help"


@pytest.mark.parametrize("words", SEARCHES)
def test_searches_stay_searches(words):
    assert small_talk(words) is None


def test_no_word_of_a_programme_or_field_is_taken_for_small_talk():
    words = set()
    for programmes in demo_data._PROGRAMS.values():
        for title, _type, field, *_rest in programmes:
            words |= {title, field, *title.split(), *field.split()}
    taken = sorted(w for w in words if small_talk(w))
    assert taken == [], taken


def test_long_or_repeated_text_is_answered_at_once():
    started = time.perf_counter()
    for text in ("ㅋ" * 4000, "안녕" * 19 + "x", "ㅎ" * 39 + "!x", "도와" * 20, "hi" * 20 + "z"):
        small_talk(text)
    assert time.perf_counter() - started < 0.5
