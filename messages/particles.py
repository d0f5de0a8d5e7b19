"""Korean particles chosen from the word before them, as a Korean teacher writes them.

A message written with both forms because the word is only known when it is sent
("%(role)s(으)로 가입합니다", "“%(value)s”은(는) …") is settled once it is rendered: the
particle takes the form the last sound of the word before it asks for (선생님으로, 학생으로,
서울로, 강남구는, 정발중은). The word's last sound is read from its last syllable's final
consonant (받침); a digit as it is read aloud (1 일, 3 삼, 2 이 …); a Latin letter by its Korean
name (L 엘, M 엠, N 엔, R 알; the others end in a vowel). Closing quotes, brackets and HTML
tags between the word and the particle are looked past. Anything else (no word at all) takes
the form after a vowel. What is inside <code> is a person's own text given back to copy
(handlers/common/shorten.py): it stays as they wrote it, "(으)로" and all.
"""

from __future__ import annotations

import re

# Both forms as written: (after a final consonant, after a vowel).
PAIRS = {
    "은(는)": ("은", "는"),
    "는(은)": ("은", "는"),
    "이(가)": ("이", "가"),
    "가(이)": ("이", "가"),
    "을(를)": ("을", "를"),
    "를(을)": ("을", "를"),
    "과(와)": ("과", "와"),
    "와(과)": ("과", "와"),
    "(이)나": ("이나", "나"),
    "(이)라": ("이라", "라"),
    "(으)로": ("으로", "로"),  # but 로 after ㄹ: 서울로
}
_WRITTEN = re.compile("|".join(re.escape(form) for form in PAIRS))
_CODE = re.compile(r"<code>.*?</code>", re.DOTALL)
_LOOKED_PAST = set("”’\"')]}」』》〉") | {" "}  # between the word and its particle
_RIEUL = 8  # the final consonant ㄹ's index in a Hangul syllable
# Digits as read aloud: the final consonant of 영 일 이 삼 사 오 육 칠 팔 구 (0: none).
_DIGIT_FINALS = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
_LETTER_FINALS = {"l": 8, "r": 8, "m": 16, "n": 4}  # 엘 알 엠 엔; the others end in a vowel


def settle(text: str) -> str:
    """`text` with each written-both-ways particle in the form its word asks for."""
    if "(" not in text:
        return text
    verbatim = [found.span() for found in _CODE.finditer(text)]

    def settled(found: re.Match) -> str:
        if any(start <= found.start() < end for start, end in verbatim):
            return found.group()
        return _form(text, found.start(), found.group())

    return _WRITTEN.sub(settled, text)


def _form(text: str, at: int, written: str) -> str:
    after_consonant, after_vowel = PAIRS[written]
    final = _final_before(text, at)
    if written == "(으)로" and final == _RIEUL:
        return after_vowel
    return after_consonant if final else after_vowel


def _final_before(text: str, at: int) -> int:
    """The final consonant (0: none) of the last sound before `at`."""
    index = at - 1
    while index >= 0:
        char = text[index]
        if char == ">":  # an HTML tag: look past it
            index = text.rfind("<", 0, index) - 1
            continue
        if char in _LOOKED_PAST:
            index -= 1
            continue
        return _final(char)
    return 0


def _final(char: str) -> int:
    if "가" <= char <= "힣":
        return (ord(char) - ord("가")) % 28
    if char in _DIGIT_FINALS:
        return _DIGIT_FINALS[char]
    return _LETTER_FINALS.get(char.lower(), 0)
