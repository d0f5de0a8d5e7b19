"""The time rule: storage never reads the wall clock for a decision.

`now` comes from the caller (the update's `context.now`, or the clock's tick) and "today" is
computed in the city's time zone from it. This test reads every storage module and fails on
any call that asks the machine for the time. The one exception is `storage.models.utcnow`
itself: the columns' `default=utcnow` stamps a row that a caller inserted without a time
(demo programmes, a test's fixture); it records when, and decides nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STORAGE = Path(__file__).resolve().parent.parent / "storage"
# name() or obj.attr() calls that read the machine's clock.
CLOCK_FUNCTIONS = {"utcnow"}
CLOCK_METHODS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def clock_reads(source: str) -> list[int]:
    """Line numbers of the calls in `source` that read the wall clock."""
    lines = []
    tree = ast.parse(source)
    stamp = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "utcnow"  # the column default
    ]
    exempt = {n.lineno for f in stamp for n in ast.walk(f) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.lineno in exempt:
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in CLOCK_FUNCTIONS:
            lines.append(node.lineno)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (func.value.id, func.attr) in CLOCK_METHODS:
                lines.append(node.lineno)
    return lines


def test_the_scan_finds_every_way_of_asking_the_clock():
    """Negative control: each way of reading the clock is caught, a passed `now` is not."""
    source = """
def a(): return utcnow()
def b(): return datetime.now(UTC)
def c(): return date.today()
def d(): return time.time()
def e(now): return now.astimezone(tz).date()
def utcnow(): return datetime.now(UTC)
column = mapped_column(default=utcnow)
"""
    assert clock_reads(source) == [2, 3, 4, 5]


@pytest.mark.parametrize(
    "module", sorted(STORAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(STORAGE))
)
def test_storage_never_reads_the_wall_clock(module: Path):
    assert clock_reads(module.read_text()) == [], (
        f"{module.name} reads the clock; take `now` from the caller instead"
    )
