"""Tests of the sandbox's HTML parse mode: parsing like Telegram, rendering for the page."""

from __future__ import annotations

import pytest

from sandbox.htmltext import EntityParseError, parse_html, render_html


def test_parse_html_nested_tags_and_entities() -> None:
    text, entities = parse_html(
        '<b>굵게 <i>기울임</i></b> &lt;b&gt; &amp; &#128512; <a href="https://x.kr/?a=1&amp;b=2">링크</a>'
    )
    assert text == "굵게 기울임 <b> & 😀 링크"
    assert entities == [
        {"offset": 0, "length": 6, "type": "bold"},
        {"offset": 3, "length": 3, "type": "italic"},
        {"offset": 16, "length": 2, "type": "text_link", "url": "https://x.kr/?a=1&b=2"},
    ]


def test_parse_html_counts_utf16_and_reads_pre_language() -> None:
    text, entities = parse_html('😀<u>x</u><pre><code class="language-python">a = 1</code></pre>')
    assert text == "😀xa = 1"
    assert entities == [
        {"offset": 2, "length": 1, "type": "underline"},
        {"offset": 3, "length": 5, "type": "pre", "language": "python"},
    ]
    _, quote = parse_html("<blockquote expandable>길다</blockquote>")
    assert quote[0]["type"] == "expandable_blockquote"


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("3 < 5", 'Unsupported start tag "" at byte offset 2'),
        ("R&D", "Unsupported HTML entity at byte offset 1"),
        ("&nbsp;", "Unsupported HTML entity at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_parse_html_rejects_like_telegram(source: str, problem: str) -> None:
    with pytest.raises(EntityParseError) as error:
        parse_html(source)
    assert str(error.value).startswith(f"can't parse entities: {problem}")


def test_render_html_escapes_and_survives_overlaps() -> None:
    overlapping = [
        {"type": "bold", "offset": 0, "length": 5},
        {"type": "italic", "offset": 3, "length": 4},
    ]
    assert render_html("<script>", overlapping) == "<b>&lt;sc<i>ri</i></b><i>pt</i>&gt;"
    unsafe_link = [{"type": "text_link", "offset": 0, "length": 1, "url": "javascript:alert(1)"}]
    assert render_html("x", unsafe_link) == "x"
    text, entities = parse_html('😀 <b>굵게</b> <a href="https://x.kr/?q=&quot;">a</a>')
    assert render_html(text, entities) == (
        '😀 <b>굵게</b> <a href="https://x.kr/?q=&quot;" target="_blank" '
        'rel="noopener noreferrer">a</a>'
    )
