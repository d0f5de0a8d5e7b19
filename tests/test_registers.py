"""One register per reader: every Korean text speaks to its readers (tests/audiences.py) in
their register, 해요체 to students and 합니다체 to adults, and a text both read branches on
`formal` so that each hears only theirs."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import meta

from messages import LOCALES, TEMPLATES, environment, render
from tests.audiences import (
    ADULTS,
    EITHER,
    ONE_SIDE,
    STUDENTS,
    TEXTS,
    label_audience,
    template_audience,
)
from tests.test_messages import Anything

ROOT = Path(__file__).resolve().parent.parent
# A 해요체 sentence end ("…주세요.", "…없어요", "…할까요?"); "아니요", "필요" are words, not ends.
POLITE = re.compile(r"(?<![니필])요(?=[.!?…)]|\s|$|<)")
# A 합니다체 one ("…없습니다.", "…합니까?", "…주십시오").
FORMAL = re.compile(r"(니다|니까|시오)(?=[.!?…)]|\s|$|<)")
FORBIDDEN = {STUDENTS: (FORMAL, "합니다체"), ADULTS: (POLITE, "해요체")}

TEMPLATE_NAMES = sorted(
    str(p.relative_to(TEMPLATES))[: -len(".html.j2")] for p in TEMPLATES.rglob("*.html.j2")
)


@cache
def korean() -> dict[str, str]:
    with (LOCALES / "ko" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="ko")
    texts = {}
    for message in catalog:
        if message.id and message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            texts[ids[0]] = " ".join(strings)
    return texts


@cache
def msgids_by_file() -> dict[str, list[str]]:
    """Each source file's msgids (path relative to the project), as `make messages` finds them."""
    found: dict[str, list[str]] = {}
    sources = [
        ("messages/templates", [("**.j2", "jinja2")]),
        ("handlers", [("**.py", "python")]),
        ("messages", [("*.py", "python")]),
    ]
    keywords = {"label": (2,), "nlabel": (2, 3), "N_": None, "_": None, "gettext": None}
    for folder, methods in sources:
        for name, _, message, _, _ in extract_from_dir(
            ROOT / folder,
            methods,
            keywords=keywords,
            options_map={"**.j2": {"extensions": "jinja2.ext.i18n"}},
        ):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(f"{folder}/{name}", []).append(msgid)
    return found


def wrong_register(audience: str, texts: list[str]) -> list[str]:
    pattern, _ = FORBIDDEN[audience]
    return [text for text in texts if pattern.search(text)]


def test_every_template_has_its_readers():
    missing = [name for name in TEMPLATE_NAMES if template_audience(name) is None]
    assert not missing, f"declare who reads these in tests/audiences.py: {missing}"


def test_every_label_file_has_its_readers():
    missing = [
        path
        for path in msgids_by_file()
        if not path.startswith("messages/templates/")
        and path != "messages/labels.py"
        and label_audience(path) is None
    ]
    assert not missing, f"declare who reads these in tests/audiences.py: {missing}"


@pytest.mark.parametrize("name", [n for n in TEMPLATE_NAMES if template_audience(n) != EITHER])
def test_a_template_for_one_side_speaks_its_register(name):
    audience = template_audience(name)
    wrong = []
    for msgid in msgids_by_file().get(f"messages/templates/{name}.html.j2", []):
        side = TEXTS.get(msgid, audience)
        wrong += wrong_register(side, [korean().get(msgid, "")])
    assert not wrong, f"{name} is for {audience}, not in {FORBIDDEN[audience][1]}: {wrong}"


class Nothing(Anything):
    """A template value that is empty and false: renders a template's other branches."""

    def __getattr__(self, name):
        return Nothing()

    def __call__(self, *args, **kwargs):
        return Nothing()

    def __bool__(self):
        return False

    def __iter__(self):
        return iter([])

    def __str__(self):
        return ""

    def __int__(self):
        return 0

    def __len__(self):
        return 0

    def __gt__(self, other):
        return False

    __lt__ = __ge__ = __le__ = __gt__


def variables(name: str) -> set[str]:
    """The values template `name` and the templates it includes ask for."""
    env = environment("ko")
    tree = env.parse(env.loader.get_source(env, name)[0])
    found = meta.find_undeclared_variables(tree) - {"formal", "lang"}
    for included in meta.find_referenced_templates(tree):
        if included:
            found |= variables(included)
    return found


def matching(constant: str) -> type:
    """A present value equal to `constant` only: renders the branch `x == constant` chooses."""

    class Matching(Anything):
        def __getattr__(self, name):
            return Matching()

        def __eq__(self, other):
            return other == constant

        __hash__ = Anything.__hash__

    return Matching


COMPARED = re.compile(r"==\s*[\"']([^\"']+)[\"']")


def renderings(name: str, formal: bool) -> list[str]:
    """The template rendered with every value present, every value empty, and every value
    equal to each word it is compared with (`news == "accepted"`); one side's rendering leaves
    out the values and words only the other side's messages have (ONE_SIDE)."""
    env = environment("ko")
    source = env.loader.get_source(env, f"{name}.html.j2")[0]
    others = {
        w for w, side in ONE_SIDE.get(name, {}).items() if side != (ADULTS if formal else STUDENTS)
    }
    words = sorted(set(COMPARED.findall(source)) - others)
    texts = []
    for kind in [Anything, Nothing] + [matching(word) for word in words]:
        values = {v: kind() for v in variables(f"{name}.html.j2")}
        values |= {v: Nothing() for v in others}
        try:
            texts.append(render(name, "ko", formal=formal, **values))
        except Exception:  # noqa: BLE001 - a branch such values cannot reach
            if kind is Anything:
                raise
    return texts


@pytest.mark.parametrize(
    "name",
    [n for n in TEMPLATE_NAMES if template_audience(n) == EITHER and "/_" not in f"/{n}"],
)
def test_a_template_for_both_sides_speaks_each_in_theirs(name):
    for formal, audience in ((True, ADULTS), (False, STUDENTS)):
        wrong = wrong_register(audience, renderings(name, formal))
        assert not wrong, f"{name} with formal={formal} is not in {FORBIDDEN[audience][1]}: {wrong}"


def test_labels_speak_their_readers_register():
    wrong = []
    for path, msgids in sorted(msgids_by_file().items()):
        if path.startswith("messages/templates/") or path == "messages/labels.py":
            continue
        for msgid in msgids:
            audience = TEXTS.get(msgid, label_audience(path))
            text = korean().get(msgid, "")
            if audience == EITHER:
                if POLITE.search(text) or FORMAL.search(text):
                    wrong.append((path, text, "said to both: declare its side in TEXTS"))
            elif wrong_register(audience, [text]):
                wrong.append((path, text, f"for {audience}"))
    assert not wrong, "\n".join(map(str, wrong))


def test_the_register_check_can_fail():
    """A negative control: the patterns see both registers, and a wrong one is caught."""
    assert wrong_register(STUDENTS, ["언제 시작합니까? 날짜를 입력해 주십시오."])
    assert wrong_register(ADULTS, ["입력해 주세요."])
    assert not wrong_register(ADULTS, ["아니요", "보완 필요", "입력해 주십시오."])
    assert template_audience("sessions/ask_start") == ADULTS
    assert template_audience("search/card") == EITHER
