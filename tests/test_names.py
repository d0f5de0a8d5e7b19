"""People's names (storage/names.py): one rule for joining, mentors, cases and inspections."""

from __future__ import annotations

from messages.people import called
from storage.names import (
    NAME_MAX,
    display_name,
    first_name,
    person_name,
    shared_name,
    valid_name,
)


def test_others_see_only_the_given_name():
    assert first_name("김민지") == "민지"
    assert first_name("민지") == "민지"  # a given name typed alone
    assert first_name("남궁민지") == "민지"
    assert first_name("김 민지") == "민지"
    assert first_name("Anne Lee") == "Anne"
    assert first_name(None) == ""


def test_a_shared_thread_never_shows_an_empty_name():
    assert display_name("김민지") == "민지"
    assert display_name(None) == "?"
    assert len(display_name("A" * 50)) == 30


def test_a_name_is_written_as_people_write_it_from_telegrams_parts():
    assert person_name("민지", "김") == "김민지"
    assert person_name("Anne", "Smith") == "Anne Smith"
    assert person_name("Anne", None) == "Anne"
    assert person_name("🙂", None) is None  # no letters: asked to type a name instead
    assert person_name("", "") is None


def test_which_names_are_accepted():
    assert valid_name("김민지") and valid_name("Anne-Marie") and valid_name("남궁·민")
    assert not valid_name("민지1") and not valid_name("") and not valid_name("가" * (NAME_MAX + 1))


def test_in_a_shared_thread_adults_show_their_whole_name_and_students_their_given_name():
    assert shared_name("박지훈", "teacher") == "박지훈"
    assert shared_name(" 한  수진 ", "monitor") == "한 수진"
    assert shared_name("김민지", "student") == "민지"
    assert shared_name(None, "site") == "?" and shared_name(None, "student") == "?"


def test_each_role_is_named_by_one_rule_in_both_languages():
    assert called("ko", "student", "민지") == "민지 학생"
    assert called("ko", "teacher", "박선영") == "박선영 선생님"
    assert called("ko", "mentor", "윤서진") == "윤서진 멘토님"
    assert called("ko", "monitor", "이수진") == "학부모 지원단 이수진 님"
    assert called("ko", "site", "최가람") == "체험처 담당자 최가람 님"
    assert called("en", "teacher", "박선영") == "박선영 (teacher)"
    assert called("ko", None, "진로") == "진로"
