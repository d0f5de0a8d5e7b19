"""The programme's fixed vocabulary: experience types, the city's districts, related fields.

Types are stored as codes; their Korean names are what staff write in spreadsheets and
what students see (translated through messages/). Districts and field families drive
the "nothing found" suggestions: a programme in the next district or a related field
is a better answer for a student than an empty list.
"""

from __future__ import annotations

# Code -> the name staff use (체험유형), in the order the national programme lists them.
PROGRAM_TYPES: dict[str, str] = {
    "job_practice": "직업실무체험",
    "field_job": "현장직업체험",
    "department": "학과체험",
    "talk": "강연·대화",
    "field_trip": "현장견학",
    "camp": "캠프",
    "online": "온라인",
}

# Goyang's three districts; each with the others nearest first (일산동구 lies between).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "덕양구": ("일산동구", "일산서구"),
    "일산동구": ("덕양구", "일산서구"),
    "일산서구": ("일산동구", "덕양구"),
}
DISTRICTS: tuple[str, ...] = tuple(NEIGHBOURS)

# Families of related fields. A field may sit in several; fields staff invent later simply
# have no relatives until they are added here.
FIELD_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"IT·소프트웨어", "로봇공학", "스마트시티", "K-바이오"}),
    frozenset({"보건·의료", "K-바이오", "반려동물"}),
    frozenset({"소방·안전", "공공행정", "보건·의료"}),
    frozenset({"방송영상", "디자인", "문화예술", "뷰티"}),
    frozenset({"화훼", "환경", "반려동물"}),
    frozenset({"제과·제빵", "바리스타", "관광·MICE", "뷰티"}),
    frozenset({"진로탐색", "공공행정", "문화예술"}),
)


def related_fields(field: str) -> list[str]:
    """Fields in a family with `field`, sorted, without `field` itself."""
    related: set[str] = set()
    for family in FIELD_FAMILIES:
        if field in family:
            related |= family
    related.discard(field)
    return sorted(related)
