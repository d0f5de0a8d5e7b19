"""Telegram's HTML parse mode: parse to plain text + entities, and render entities back safely."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

# Tag name -> entity type. `a`, `span`, `tg-emoji` and `blockquote` need their attributes too.
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED_TAGS = {*_SIMPLE_TAGS, "a", "span", "tg-emoji", "blockquote"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_NAME = re.compile(r"[A-Za-z0-9]+;")
_NUMERIC_ENTITY = re.compile(r"#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_UNQUOTED_VALUE = re.compile(r"[A-Za-z0-9._:/?#=&%+-]*")
_SPECIAL = re.compile(r"[<&]")
_SAFE_URL = re.compile(r"^(?:https?|tg|mailto):", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[\w+#.-]{1,32}$")


class EntityParseError(ValueError):
    """The text is not valid HTML parse mode; str() is Telegram's wording after the prefix."""

    def __str__(self) -> str:
        return f"can't parse entities: {self.args[0]}"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): astral characters count twice."""
    return len(text.encode("utf-16-le")) // 2


def _error(problem: str, source: str, index: int, detail: str = "") -> EntityParseError:
    """Telegram reports positions as byte offsets in the UTF-8 source."""
    return EntityParseError(f"{problem} at byte offset {len(source[:index].encode())}{detail}")


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the plain text
    attributes: dict[str, str] = field(default_factory=dict)


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into (plain text, entities with UTF-16 offsets).

    Stricter than Telegram in one way on purpose: a bare `&` that does not start a known
    entity is an error (Telegram would show it as written), so unescaped text is caught.
    """
    parts: list[str] = []
    position = 0  # UTF-16 length of the plain text so far
    stack: list[_OpenTag] = []
    entities: list[dict] = []
    i, end = 0, len(source)
    while i < end:
        char = source[i]
        if char == "&":
            decoded, i = _decode_entity(source, i)
            parts.append(decoded)
            position += utf16_len(decoded)
        elif char == "<":
            tag_start = i
            if source.startswith("</", i):
                name, i = _parse_end_tag(source, i)
                if not stack:
                    raise _error("Unexpected end tag", source, tag_start)
                opened = stack.pop()
                if opened.name != name:
                    expected = f', expected "</{opened.name}>", found "</{name}>"'
                    raise _error("Unmatched end tag", source, tag_start, expected)
                _close(opened, position, entities)
            else:
                opened, i = _parse_start_tag(source, i)
                opened.start = position
                stack.append(opened)
        else:
            match = _SPECIAL.search(source, i)
            chunk_end = match.start() if match else end
            chunk = source[i:chunk_end]
            parts.append(chunk)
            position += utf16_len(chunk)
            i = chunk_end
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            # A language belongs to <pre>; on a lone <code> Telegram ignores it.
            entity.pop("language", None)
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(parts), entities


def _decode_entity(source: str, i: int) -> tuple[str, int]:
    named = _ENTITY_NAME.match(source, i + 1)
    if named and named.group()[:-1] in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[named.group()[:-1]], named.end()
    numeric = _NUMERIC_ENTITY.match(source, i + 1)
    if numeric:
        hex_digits, decimal = numeric.groups()
        code = int(hex_digits, 16) if hex_digits else int(decimal)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), numeric.end()
    raise _error("Unsupported HTML entity", source, i, ": write & as &amp;")


def _parse_start_tag(source: str, i: int) -> tuple[_OpenTag, int]:
    tag_start = i
    i += 1
    name_end = i
    while name_end < len(source) and not source[name_end].isspace() and source[name_end] != ">":
        name_end += 1
    name = source[i:name_end].lower()
    if name not in _SUPPORTED_TAGS:
        raise _error(f'Unsupported start tag "{name}"', source, tag_start)
    attributes: dict[str, str] = {}
    i = name_end
    while True:
        while i < len(source) and source[i].isspace():
            i += 1
        if i >= len(source):
            raise _error("Unclosed start tag", source, tag_start)
        if source[i] == ">":
            i += 1
            break
        attribute = _ATTRIBUTE_NAME.match(source, i)
        if not attribute:
            raise _error(f'Empty attribute name in the tag "{name}"', source, tag_start)
        key = attribute.group().lower()
        i = attribute.end()
        if i < len(source) and source[i] == "=":
            value, i = _parse_attribute_value(source, i + 1)
        else:
            value = ""  # a flag such as `expandable`
        attributes[key] = value
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise _error('Tag "span" must have class "tg-spoiler"', source, tag_start)
    if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        raise _error('Tag "tg-emoji" must have a numeric emoji-id', source, tag_start)
    return _OpenTag(name, 0, attributes), i


def _parse_attribute_value(source: str, i: int) -> tuple[str, int]:
    if i < len(source) and source[i] in "\"'":
        quote = source[i]
        close = source.find(quote, i + 1)
        if close < 0:
            raise _error("Unclosed attribute value", source, i)
        # Attribute values may contain entities too (&amp; inside a URL is the common case).
        parts, j = [], i + 1
        while j < close:
            amp = source.find("&", j, close)
            if amp < 0:
                parts.append(source[j:close])
                break
            parts.append(source[j:amp])
            decoded, j = _decode_entity(source, amp)
            parts.append(decoded)
        return "".join(parts), close + 1
    match = _UNQUOTED_VALUE.match(source, i)
    return match.group(), match.end()


def _parse_end_tag(source: str, i: int) -> tuple[str, int]:
    close = source.find(">", i)
    if close < 0:
        raise _error("Unclosed end tag", source, i)
    return source[i + 2 : close].strip().lower(), close + 1


def _close(opened: _OpenTag, position: int, entities: list[dict]) -> None:
    length = position - opened.start
    name, attributes = opened.name, opened.attributes
    entity: dict = {"offset": opened.start, "length": length}
    if name in _SIMPLE_TAGS:
        entity["type"] = _SIMPLE_TAGS[name]
        if name == "code" and attributes.get("class", "").startswith("language-"):
            entity["language"] = attributes["class"].removeprefix("language-")
    elif name == "span":
        entity["type"] = "spoiler"
    elif name == "a":
        if not attributes.get("href"):
            return  # Telegram keeps the text of a link without href and drops the link
        entity.update(type="text_link", url=attributes["href"])
    elif name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=attributes["emoji-id"])
    else:
        entity["type"] = "expandable_blockquote" if "expandable" in attributes else "blockquote"
    if name == "pre":
        # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
        inner = entities[-1] if entities else None
        whole = inner is not None and (inner["offset"], inner["length"]) == (opened.start, length)
        if whole and inner["type"] == "code":
            entities.pop()
            if "language" in inner:
                entity["language"] = inner["language"]
    if length > 0:
        entities.append(entity)


# Entity type -> (opening tag, closing tag) for rendering; `None` renders as plain text.
_RENDER_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="tg-spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
}


def _tags(entity: dict) -> tuple[str, str] | None:
    kind = entity.get("type")
    if kind in _RENDER_TAGS:
        return _RENDER_TAGS[kind]
    if kind == "pre":
        language = entity.get("language", "")
        if _LANGUAGE.match(language):
            return f'<pre><code class="language-{escape(language)}">', "</code></pre>"
        return "<pre><code>", "</code></pre>"
    if kind == "text_link" and _SAFE_URL.match(str(entity.get("url", ""))):
        href = escape(entity["url"], quote=True)
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer">', "</a>"
    return None


def render_html(text: str, entities: list[dict] | None) -> str:
    """Re-render plain text + entities as safe HTML: every character of `text` is escaped and
    only a fixed set of tags is produced, so bot-supplied text can never inject markup."""
    if not entities:
        return escape(text, quote=False)
    # Map UTF-16 offsets to str indexes (they differ only when astral characters are present).
    if utf16_len(text) == len(text):
        index_of = None
    else:
        index_of = {}
        units = 0
        for index, char in enumerate(text):
            index_of[units] = index
            units += 2 if ord(char) > 0xFFFF else 1
        index_of[units] = len(text)

    def to_index(offset: int) -> int:
        if index_of is None:
            return min(max(offset, 0), len(text))
        return index_of.get(offset, len(text))

    spans = []
    for entity in entities:
        tags = _tags(entity)
        start = to_index(int(entity.get("offset", 0)))
        stop = to_index(int(entity.get("offset", 0)) + int(entity.get("length", 0)))
        if tags and stop > start:
            spans.append((start, stop, tags))
    # Open longer spans first so that nested entities nest in the output as well.
    spans.sort(key=lambda span: (span[0], -span[1]))
    boundaries = sorted({0, len(text), *(s[0] for s in spans), *(s[1] for s in spans)})
    out: list[str] = []
    open_spans: list[tuple[int, int, tuple[str, str]]] = []
    next_span = 0
    for here, following in zip(boundaries, boundaries[1:] + [None], strict=True):
        ending = [k for k, span in enumerate(open_spans) if span[1] == here]
        if ending:
            # Close down to the lowest ending span, then reopen the ones that continue:
            # well-formed output even when entities overlap without nesting.
            cut = ending[0]
            closed = open_spans[cut:]
            del open_spans[cut:]
            out.extend(span[2][1] for span in reversed(closed))
            for span in closed:
                if span[1] != here:
                    open_spans.append(span)
                    out.append(span[2][0])
        while next_span < len(spans) and spans[next_span][0] == here:
            open_spans.append(spans[next_span])
            out.append(spans[next_span][2][0])
            next_span += 1
        if following is not None:
            out.append(escape(text[here:following], quote=False))
    return "".join(out)
