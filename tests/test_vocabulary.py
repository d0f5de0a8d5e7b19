"""The programme's own words in the reader's language (messages/vocabulary.py)."""

from __future__ import annotations

from messages import render
from messages.vocabulary import district_name, field_name, stored_field


def test_districts_and_fields_read_in_english_and_stay_korean_in_korean():
    assert district_name("en", "덕양구") == "Deogyang-gu"
    assert district_name("ko", "덕양구") == "덕양구"
    assert field_name("en", "소방·안전") == "Fire and safety"
    # Spellings imports brought in beside the vocabulary read the same.
    assert field_name("en", "방송·영상") == field_name("en", "방송영상") == "Broadcasting and film"
    assert field_name("ko", "방송·영상") == "방송·영상"


def test_a_field_staff_made_up_stays_as_typed():
    assert field_name("en", "요리") == "요리"
    assert district_name("en", "강남구") == "강남구"


def test_a_mentor_typing_a_fields_english_name_gets_that_field():
    assert stored_field("fire and safety") == "소방·안전"
    assert stored_field("Flowers and gardening") == "화훼"
    assert stored_field("Nursing") == "Nursing"


def test_templates_have_the_names_as_globals_and_filters():
    assert render("mentors/fields", "en", fields=["화훼", "요리"], pages=1, page=0).endswith(
        "Chosen: Flowers and gardening, 요리"
    )
