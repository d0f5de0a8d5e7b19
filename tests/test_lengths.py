"""Telegram's count of a message (handlers/common/lengths.py) and a person's text given back
(handlers/common/shorten.py): what is shown counts, in UTF-16; a long text is split where it
fits, never inside a tag or an entity; a text longer than any message comes back in pieces,
never shortened; what is inside <code> stays as typed."""

from __future__ import annotations

from handlers.common.lengths import shown_length, split_text, telegram_length
from handlers.common.shorten import pieces
from messages import render
from messages.particles import settle
from sandbox.htmltext import parse_html, utf16_len


def test_a_message_is_counted_as_telegram_shows_it():
    assert telegram_length("가a🙂") == 4  # an emoji is two UTF-16 code units
    assert shown_length("<b>a&amp;b</b> 🙂 &lt;i&gt;") == 10  # "a&b 🙂 <i>"
    assert shown_length("&#39;&#x1F642;") == 3


def test_a_text_that_fits_as_shown_is_one_message_however_long_its_html():
    text = "<code>" + "&lt;&amp;" * 2000 + "</code>"  # 18,013 characters of HTML, 4,000 shown
    assert split_text(text) == [text]


def test_a_long_text_is_cut_where_telegram_takes_it_never_inside_an_entity():
    emoji = split_text("🙂" * 3000)  # 6,000 code units: the old count (3,000) let it through
    assert [utf16_len(part) for part in emoji] == [4096, 1904]
    escaped = "x" + "&amp;" * 5000
    parts = split_text(escaped)
    assert "".join(parts) == escaped
    for part in parts:  # each a whole entity at both ends, and within the limit
        text, _ = parse_html(part)
        assert utf16_len(text) <= 4096
    lines = "\n".join(["가" * 100] * 50)  # a paragraph of lines: cut after a line that fits
    assert all(part.endswith("가") and len(part) <= 4096 for part in split_text(lines))


def test_a_text_longer_than_any_message_comes_back_in_pieces_never_shortened():
    assert pieces("가" * 10, 4096) == ["가" * 10]
    assert pieces("🙂" * 3000, 4096) == ["🙂" * 2048, "🙂" * 952]
    mixed = "a🙂" * 2000
    assert "".join(pieces(mixed, 4096)) == mixed
    assert all(utf16_len(piece) <= 4096 for piece in pieces(mixed, 4096))


def test_a_text_given_back_keeps_what_looks_like_a_particle():
    typed = "학생은(는) 보호자(으)로부터 <b>동의</b> & 신청"
    back = render("common/typed_back", "ko", typed=typed)
    assert parse_html(back)[0] == typed
    assert settle("철수은(는) <code>영희은(는)</code> 민수을(를)") == (
        "철수는 <code>영희은(는)</code> 민수를"
    )
    words = render(
        "common/too_long", "ko", typed=typed, apart=False, formal=True, length=9, limit=5
    )
    assert typed in parse_html(words)[0]
