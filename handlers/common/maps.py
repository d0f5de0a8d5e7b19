"""Map buttons for a site's address: Kakao Map and Naver Map searches, and directions from
the student's school. Plain public URLs (no map API, no key): the phone's map app or the
browser opens them. A site with no address, or an online programme, gets none."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from telegram import InlineKeyboardButton

from messages import label

# Telegram refuses a button URL much over 2 KB; an address that long is not a real address.
URL_LIMIT = 2000


def _link(text: str, url: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text, url=url)] if len(url.encode()) <= URL_LIMIT else []


def map_rows(
    lang: str, address: str | None, *, school: str | None = None
) -> list[list[InlineKeyboardButton]]:
    """Rows of URL buttons for `address` (none without one): both maps' searches, then
    directions from `school` (its address, or else its name) when it is known."""
    address = " ".join((address or "").split())
    if not address:
        return []
    rows = [
        _link(label(lang, "🗺 Kakao Map"), "https://map.kakao.com/?" + urlencode({"q": address}))
        + _link(label(lang, "🗺 Naver Map"), "https://map.naver.com/p/search/" + quote(address))
    ]
    school = " ".join((school or "").split())
    if school:
        route = urlencode({"sName": school, "eName": address})
        rows.append(
            _link(label(lang, "🧭 Directions from school"), f"https://map.kakao.com/?{route}")
        )
    return [row for row in rows if row]
