"""The button codec and its registry (handlers/common/buttons.py): what a forged or old
press can carry never reaches a handler, and every declared button is routable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.app import build_application  # noqa: F401  (imports every area's buttons)
from handlers.common import buttons
from handlers.common.buttons import ID, PAGE, Buttons, Maybe, Number, Token, choice

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def family():
    made = Buttons("zz")
    yield made
    del buttons.FAMILIES["zz"]


def test_numbers_are_canonical_ascii_within_their_bounds():
    assert ID.match("12") == 12
    assert PAGE.match("0") == 0
    for forged in ("", "0", "012", "-1", "+1", "1.5", "²", "١٢", "１２", " 1", "2147483648"):
        assert ID.match(forged) is None, forged
    assert ID.match("2147483647") == 2**31 - 1
    assert Number(0, 9).match("10") is None
    with pytest.raises(ValueError):
        ID.pack(0)
    with pytest.raises(TypeError):
        ID.pack(True)
    with pytest.raises(TypeError):
        ID.pack("3")


def test_a_button_packs_and_matches_its_own_data_only(family):
    open_ = family.action("o", ID, PAGE)
    result = family.action("r", ID, choice("pass", "fail"))
    bare = family.action("x")
    assert open_("Open", 7, 2) == ("Open", "zz:o:7:2")
    assert open_.match("zz:o:7:2") == (7, 2)
    assert result.match("zz:r:7:fail") == (7, "fail")
    assert bare.match("zz:x") == ()
    for forged in ("zz:o:7", "zz:o:7:2:1", "zz:o:x:2", "zz:r:7:maybe", "zz:x:1", "yy:o:7:2"):
        assert buttons.find(forged) is None or buttons.find(forged)[0] is not open_, forged
    assert family.find("zz:o:7:2") == (open_, (7, 2))
    assert family.find("zz:r:7:maybe") is None
    assert family.find("zz:nope:1") is None
    with pytest.raises(TypeError):
        open_.pack(7)


def test_a_last_field_may_be_left_off_when_declared_maybe(family):
    confirm = family.action("ok", ID, Maybe(PAGE))
    assert confirm.pack(5) == confirm.pack(5, None) == "zz:ok:5"
    assert confirm.pack(5, 2) == "zz:ok:5:2"
    assert confirm.match("zz:ok:5") == (5, None)
    assert confirm.match("zz:ok:5:2") == (5, 2)
    for forged in ("zz:ok", "zz:ok:5:", "zz:ok:5:x", "zz:ok:5:2:1"):
        assert confirm.match(forged) is None, forged
    with pytest.raises(ValueError):
        family.action("bad", Maybe(PAGE), ID)


def test_a_token_field_takes_only_its_own_form(family):
    agree = family.action("y", Token(r"c[A-Za-z0-9_-]{22}", 23))
    token = "c" + "a" * 21 + "_"
    assert agree.match(f"zz:y:{token}") == (token,)
    for forged in ("c", "c" + "a" * 23, "x" + "a" * 22, "c" + "가" * 22, "c" + "a" * 21 + ":"):
        assert agree.match(f"zz:y:{forged}") is None, forged
    with pytest.raises(ValueError):
        agree.pack("nope")


def test_a_family_without_actions_packs_its_fields_after_the_prefix(family):
    language = family.action("", choice("ko", "en"))
    assert language.pack("en") == "zz:en"
    assert family.find("zz:ko") == (language, ("ko",))
    with pytest.raises(RuntimeError):
        family.action("other")


def test_prefixes_and_actions_are_declared_once(family):
    family.action("o", ID)
    with pytest.raises(RuntimeError):
        family.action("o", PAGE)
    with pytest.raises(RuntimeError):
        Buttons("zz")
    with pytest.raises(ValueError):
        family.action("a:b")


def test_the_registry_refuses_a_button_without_handler_or_over_64_bytes(family):
    long = family.action("long", *([ID] * 6))  # 7 + 6 * 11 bytes
    with pytest.raises(RuntimeError, match="no handler.*zz:long may pack 73 bytes"):
        buttons.check()

    @long.handles
    async def handler(update, context, *values):
        pass

    with pytest.raises(RuntimeError, match="zz:long may pack 73 bytes"):
        buttons.check()
    with pytest.raises(RuntimeError, match="already has a handler"):
        long.handles(handler)


def test_every_declared_button_has_a_handler_and_fits():
    buttons.check()
    assert len(buttons.FAMILIES) > 5


def test_buttons_modules_import_no_area():
    """Any area may import another's buttons module (pyproject's import contract), so those
    modules declare and import nothing else of an area."""
    for path in ROOT.glob("handlers/*/buttons.py"):
        if path.parent.name == "common":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("handlers"):
                assert node.module == "handlers.common.buttons", (path, node.module)
