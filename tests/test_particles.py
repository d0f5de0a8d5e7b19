"""Korean particles written both ways take the form of the word before them
(messages/particles.py), in every Korean text the bot renders."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po

from messages import LOCALES, label, render
from messages.particles import settle


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("선생님(으)로 가입합니다", "선생님으로 가입합니다"),  # a final consonant: 으로
        ("학부모 지원단(으)로", "학부모 지원단으로"),
        ("담당자(으)로", "담당자로"),  # no final consonant: 로
        ("서울(으)로", "서울로"),  # ㄹ: 로
        ("강남구은(는)", "강남구는"),
        ("“정발중”은(는) 학교", "“정발중”은 학교"),  # past the closing quote
        ("“김민지”(으)로 하기", "“김민지”로 하기"),
        ("<b>라디오 방송국</b>이(가)", "<b>라디오 방송국</b>이"),  # past the tag
        ("공지 #12을(를)", "공지 #12를"),  # 십이: 이
        ("3명을(를)", "3명을"),
        ("10을(를)", "10을"),  # 십
        ("MBC은(는)", "MBC는"),  # 씨
        ("HTML은(는)", "HTML은"),  # 엘
        ("친구와(과) 선생님과(와)", "친구와 선생님과"),
        ("사과(이)나 배(이)라", "사과나 배라"),
        ("시간(정수)이 아닙니다", "시간(정수)이 아닙니다"),  # a parenthesis, not a particle
    ],
)
def test_a_particle_written_both_ways_takes_its_words_form(written, read):
    assert settle(written) == read


def test_rendered_and_labelled_korean_is_settled_english_untouched():
    teacher = SimpleNamespace(name="박선영", role="teacher")
    text = render("onboarding/welcome_back", "ko", user=teacher, formal=True, waiting=0)
    assert "선생님으로 가입되어 있습니다" in text and "(으)로" not in text
    monitor = SimpleNamespace(name="한수진", role="monitor")
    assert "(으)로" not in render(
        "onboarding/welcome_back", "ko", user=monitor, formal=True, waiting=0
    )
    assert label("ko", "Use “%(name)s”", name="김민지") == "“김민지”로 하기"
    assert "(" not in label("en", "Use “%(name)s”", name="김민지")


# Any form of a particle written both ways, known to settle() or not.
BOTH_WAYS = re.compile(r"\((?:으|이|은|는|을|를|과|와|아|야|가)\)|[은는이가을를과와]\([가-힣]\)")


def test_every_korean_text_has_only_particles_settle_knows():
    """Each Korean msgstr, its placeholders filled with words ending in a consonant and in
    a vowel, reads with no particle left written both ways."""
    with (LOCALES / "ko" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="ko")
    left = []
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in filter(None, texts):
            for word in ("선생님", "학교", "서울", "3"):
                filled = re.sub(r"%\((\w+)\)s", word, text)
                if BOTH_WAYS.search(settle(filled)):
                    left.append(text)
    assert left == []
