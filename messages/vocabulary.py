"""The programme's own words in the reader's language: the city's districts and the fields of
the programme's vocabulary (storage/catalogue.py), as they are stored (Korean) and as an English
reader sees them.

A district or a field is stored as the Korean name staff write in their spreadsheets; that
stays the Korean text. English readers get the name from the catalog ("Deogyang-gu", "Fire
and safety"). A field staff made up that is not in the vocabulary yet stays as they typed it,
as a programme's title does.
"""

from __future__ import annotations

import re

from messages.labels import N_

# Romanised as the city writes them on its own English pages.
DISTRICTS = {
    "덕양구": N_("Deogyang-gu"),
    "일산동구": N_("Ilsandong-gu"),
    "일산서구": N_("Ilsanseo-gu"),
}

# The fields of the vocabulary (and the spellings imports used to bring in beside them).
FIELDS = {
    "IT·소프트웨어": N_("IT and software"),
    "K-바이오": N_("Biotechnology"),
    "공공행정": N_("Public administration"),
    "관광·MICE": N_("Tourism and events"),
    "디자인": N_("Design"),
    "로봇공학": N_("Robotics"),
    "문화예술": N_("Arts and culture"),
    "바리스타": N_("Barista"),
    "반려동물": N_("Pets and animal care"),
    "방송영상": N_("Broadcasting and film"),
    "보건·의료": N_("Health and medicine"),
    "뷰티": N_("Beauty"),
    "소방·안전": N_("Fire and safety"),
    "스마트시티": N_("Smart city"),
    "제과·제빵": N_("Baking"),
    "진로탐색": N_("Career exploration"),
    "화훼": N_("Flowers and gardening"),
    "환경": N_("Environment"),
    "항공·드론": N_("Aviation and drones"),
    "정보·통신": N_("Information and communications"),
    "농림·화훼": N_("Flowers and gardening"),
}

# Spellings differ in spacing and separators only ("방송·영상", "방송 영상", "방송영상").
_SEPARATORS = re.compile(r"[\s·・•∙./,&+\-–—_()]+")


def _key(name: str) -> str:
    return _SEPARATORS.sub("", name).casefold()


_FIELDS_BY_KEY = {_key(name): msgid for name, msgid in FIELDS.items()}
_FIELDS_BY_KEY.update({_key(msgid): msgid for msgid in FIELDS.values()})


def district_name(lang: str, district: str | None) -> str:
    """A district as the reader reads it: "덕양구", or "Deogyang-gu" in English."""
    from messages import label, normalize_lang

    msgid = DISTRICTS.get(str(district).strip()) if district else None
    if msgid is None or normalize_lang(lang) == "ko":
        return district or ""
    return label(lang, msgid)


def field_name(lang: str, field: str | None) -> str:
    """A field as the reader reads it: "소방·안전", or "Fire and safety" in English; a field
    outside the vocabulary as staff typed it."""
    from messages import label, normalize_lang

    msgid = _FIELDS_BY_KEY.get(_key(str(field))) if field else None
    if msgid is None or normalize_lang(lang) == "ko":
        return field or ""
    return label(lang, msgid)


_STORED_BY_KEY = {_key(msgid): name for name, msgid in reversed(FIELDS.items())}


def stored_field(typed: str) -> str:
    """A field as typed, as the programme stores it: a vocabulary field's English name
    ("Fire and safety", any case or spacing) is the Korean name staff use; anything else
    stays as typed."""
    return _STORED_BY_KEY.get(_key(typed), typed)
