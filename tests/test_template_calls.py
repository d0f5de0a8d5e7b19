"""Statically: every call that renders a template passes every variable the template reads.

Templates render with StrictUndefined, so a variable a template reads that a call site does
not pass raises jinja2's UndefinedError at run time, and only on that path: a test rendering
the template from another call site does not notice. This finds every call naming a template
(reply, render, notify, ask_name, and the reminder composers' `return "area/name", {...}`),
works out from the template's Jinja AST what it reads (through includes; loop, set, import
and macro names are local; a name read only under `{% if x is defined %}` or as
`x | default(...)` is optional; `{% if news == "x" %}` is skipped when the call passes another
literal `news`) and checks that the call passes it all.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import NamedTuple

from jinja2 import nodes

from messages import TEMPLATES, environment

ROOT = Path(__file__).resolve().parent.parent
ENV = environment("en")
TEMPLATE_NAMES = {
    str(p.relative_to(TEMPLATES))[: -len(".html.j2")] for p in TEMPLATES.rglob("*.j2")
}
# Helper -> (position of its template argument, variables the helper adds itself).
HELPERS = {
    "render": (0, set()),  # messages.render
    "reply": (2, {"formal"}),  # handlers.common.reply sets `formal`
    # handlers.common.reply_page: reply, with the page's place in its list
    "reply_page": (2, {"formal", "total", "page", "pages", "first"}),
    "notify": (3, set()),  # handlers.common.notify
    "ask_name": (2, {"formal"}),  # handlers.onboarding.ask_name: reply, with no values
    # handlers.common.shorten.reply_giving_back: the person's text given back, beside or apart
    "reply_giving_back": (2, {"formal", "typed", "apart"}),
}
OWN_KEYWORDS = {"edit", "markup"}  # reply's and notify's own: not given to the template
# What handlers/outbox/sender.py _compose adds to a composer's values.
COMPOSED = {"tz", "kind", "formal"}
# Helpers passing on a template they were given (their callers are checked), and those
# passing **values this test cannot see into.
FORWARDERS = {("handlers/common/__init__.py", f) for f in ("reply", "reply_page", "notify")} | {
    ("handlers/onboarding/common.py", "ask_name"),
    ("handlers/common/shorten.py", "reply_giving_back"),
    ("handlers/outbox/sender.py", "_compose"),
}
# cases/news: the cases composers' values
UNCHECKED = [("handlers/cases/composers.py", "_copy")] * 2


class Site(NamedTuple):
    at: str  # file:line
    function: str | None
    template: str
    passed: set[str] | None  # None: a ** hides some
    facts: dict[str, frozenset]  # name -> the literal values the site may pass


# ----- what a template reads ----------------------------------------------------------------


def _defined(test: nodes.Node, positive: bool = True) -> set[str]:
    """Names that `test` being true (false, when not `positive`) proves defined."""
    if isinstance(test, nodes.Not):
        return _defined(test.node, not positive)
    if isinstance(test, nodes.Test) and isinstance(test.node, nodes.Name):
        return {test.node.name} if test.name == ("defined" if positive else "undefined") else set()
    if isinstance(test, nodes.And if positive else nodes.Or):
        return _defined(test.left, positive) | _defined(test.right, positive)
    return set()


def _decide(test: nodes.Node, facts: dict) -> bool | None:
    """The test's value when the literals passed settle it, else None."""
    if isinstance(test, nodes.Not):
        value = _decide(test.node, facts)
        return None if value is None else not value
    if isinstance(test, nodes.And | nodes.Or):
        both = {_decide(test.left, facts), _decide(test.right, facts)}
        short = isinstance(test, nodes.Or)  # the value that settles it alone
        return short if short in both else (not short if both == {not short} else None)
    if isinstance(test, nodes.Name) and test.name in facts:
        results = {bool(value) for value in facts[test.name]}
    elif (
        isinstance(test, nodes.Compare)
        and getattr(test.expr, "name", None) in facts
        and [op.op for op in test.ops] in (["eq"], ["ne"], ["in"], ["notin"])
    ):
        op = test.ops[0].op
        try:
            other = test.ops[0].expr.as_const()
            results = {
                (value == other if op in ("eq", "ne") else value in other) == (op in ("eq", "in"))
                for value in facts[test.expr.name]
            }
        except (nodes.Impossible, TypeError):
            return None
    else:
        return None
    return results.pop() if len(results) == 1 else None


def _reads(node: nodes.Node, known: set[str], facts: dict, out: set[str]) -> None:
    """Add to `out` the names `node` reads that are not `known` (bound or guarded). `known`
    is the enclosing block's: a `{% set %}` adds to it for the nodes after it."""
    if isinstance(node, nodes.Name):
        if node.ctx == "load" and node.name not in known:
            out.add(node.name)
        elif node.ctx != "load":
            known.add(node.name)
            facts.pop(node.name, None)
    elif isinstance(node, nodes.Test | nodes.Filter) and node.name in ("defined", "default"):
        rest = [c for c in node.iter_child_nodes() if c is not node.node]
        _block(rest if isinstance(node.node, nodes.Name) else [node.node, *rest], known, facts, out)
    elif isinstance(node, nodes.If | nodes.CondExpr):
        if isinstance(node, nodes.If):
            branches, else_ = [node, *node.elif_], node.else_
        else:
            branches, else_ = [nodes.If(node.test, [node.expr1], [], [])], [node.expr2]
        ruled_out: set[str] = set()  # names the earlier tests, being false, prove defined
        for branch in branches:
            value = _decide(branch.test, facts)
            if value is not False:
                _reads(branch.test, known | ruled_out, facts, out)
                _block(branch.body, known | ruled_out | _defined(branch.test), facts, out)
            if value is True:
                return  # the branches after it never run
            ruled_out |= _defined(branch.test, positive=False)
        _block(else_ or [], known | ruled_out, facts, out)
    elif isinstance(node, nodes.And | nodes.Or):
        _reads(node.left, known, facts, out)
        proven = _defined(node.left, positive=isinstance(node, nodes.And))
        _reads(node.right, known | proven, facts, out)
    elif isinstance(node, nodes.Assign):
        _reads(node.node, known, facts, out)
        _reads(node.target, known, facts, out)
    elif isinstance(node, nodes.For):
        _reads(node.iter, known, facts, out)
        inner = known | {"loop"}
        _reads(node.target, inner, facts, out)
        _block([node.test, *node.body] if node.test else node.body, inner, facts, out)
        _block(node.else_, known, facts, out)
    elif isinstance(node, nodes.Macro | nodes.CallBlock):
        call = [node.call] if isinstance(node, nodes.CallBlock) else []
        _block([*node.defaults, *call], known, facts, out)
        known.add(getattr(node, "name", "caller"))
        params = {arg.name for arg in node.args} | {"caller", "varargs", "kwargs"}
        own = {name: value for name, value in facts.items() if name not in params}
        _block(node.body, known | params, own, out)
    elif isinstance(node, nodes.FromImport):
        known.update(n if isinstance(n, str) else n[1] for n in node.names)
    elif isinstance(node, nodes.Import):
        known.add(node.target)
    elif isinstance(node, nodes.Include):  # gets the includer's context, locals too
        included = (TEMPLATES / node.template.value).read_text(encoding="utf-8")
        out.update(reads(included, frozenset(facts.items())) - known)
    else:
        for child in node.iter_child_nodes():
            _reads(child, known, facts, out)


def _block(body: list[nodes.Node], known: set[str], facts: dict, out: set[str]) -> None:
    known, facts = set(known), dict(facts)  # a block's own `{% set %}`s end with it
    for node in body:
        _reads(node, known, facts, out)


@cache
def reads(source: str, facts: frozenset = frozenset()) -> frozenset[str]:
    """What a template reads unguarded; `facts`: (name, the literal values it may have)."""
    out: set[str] = set()
    _block(ENV.parse(source).body, set(ENV.globals), dict(facts), out)
    return frozenset(out)


def template_source(name: str) -> str:
    return (TEMPLATES / f"{name}.html.j2").read_text(encoding="utf-8")


# ----- who renders what with which values ---------------------------------------------------


def _names(arg: ast.expr) -> list[str] | None:
    """The template(s) an argument names: a literal, or any an f"area/{...}" may name."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    prefix = getattr(getattr(arg, "values", [None])[0], "value", None)
    if isinstance(arg, ast.JoinedStr) and str(prefix).endswith("/"):
        return sorted(n for n in TEMPLATE_NAMES if n.startswith(prefix) and "/_" not in n)
    return None


def _items(values: ast.Dict) -> list[tuple[str | None, ast.expr]]:
    return [(getattr(k, "value", None), v) for k, v in zip(values.keys, values.values, strict=True)]


def scan(rel: str, source: str) -> tuple[list[Site], list, list[str]]:
    """One module's call sites, the helper calls whose template is computed, and the
    template names written anywhere else."""
    tree = ast.parse(source)
    where: dict[ast.AST, list] = {}  # node -> the functions it is in, innermost last
    for func in ast.walk(tree):  # breadth first: outer functions come first
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                where.setdefault(node, []).append(func)
    functions = {f.name: f for found in where.values() for f in found}
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    sites, computed, used = [], [], set()

    def literals(node: ast.AST, value: ast.expr) -> set | None:
        """A literal, or a parameter of an enclosing function every call gives a literal."""
        if isinstance(value, ast.Constant):
            return {value.value}
        for func in reversed(where.get(node, [])):
            params = [a.arg for a in func.args.args]
            if isinstance(value, ast.Name) and value.id in params:
                at = params.index(value.id)
                given = [c.args[at:] for c in calls if getattr(c.func, "id", None) == func.name]
                if given and all(g and isinstance(g[0], ast.Constant) for g in given):
                    return {g[0].value for g in given}
        return None

    def site(node: ast.AST, template: ast.expr, items: list, passed: set | None) -> None:
        facts = {}
        for key, value in items:  # grows while read: a **helper() returning a dict literal
            made = functions.get(getattr(getattr(value, "func", None), "id", None))
            if key is None and made and isinstance(getattr(made.body[-1], "value", None), ast.Dict):
                items += _items(made.body[-1].value)
            elif key is None or passed is None:
                passed = None
            elif key not in OWN_KEYWORDS:
                passed.add(key)
                if (found := literals(node, value)) is not None:
                    facts[key] = frozenset(found)
        used.add(template)
        function = where[node][-1].name if node in where else None
        if _names(template) is None:
            computed.append((rel, function))
        for name in _names(template) or []:
            sites.append(Site(f"{rel}:{node.lineno}", function, name, passed, facts))

    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        name = getattr(func, "id", getattr(func, "attr", None))
        if isinstance(node, ast.Call) and name in HELPERS and len(node.args) > HELPERS[name][0]:
            items = [(k.arg, k.value) for k in node.keywords]
            site(node, node.args[HELPERS[name][0]], items, set(HELPERS[name][1]))
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            template, values = node.elts
            if getattr(template, "value", None) in TEMPLATE_NAMES and isinstance(values, ast.Dict):
                site(node, template, _items(values), set(COMPOSED))  # ("area/name", {...})
    stray = [
        f"{rel}:{n.lineno} {n.value}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and n.value in TEMPLATE_NAMES and n not in used
    ]
    return sites, computed, stray


def problems(sites: list[Site], source_of) -> list[str]:
    found = []
    for site in sites:
        if site.passed is not None:
            lacking = reads(source_of(site.template), frozenset(site.facts.items())) - site.passed
            if lacking:
                found.append(
                    f"{site.at} calls {site.template} without: {', '.join(sorted(lacking))}"
                )
    return found


SITES, COMPUTED, STRAY = [], [], []
for _path in sorted(ROOT.rglob("*.py")):
    _rel = _path.relative_to(ROOT).as_posix()
    if not _rel.startswith((".venv/", "tests/")):
        _sites, _computed, _stray = scan(_rel, _path.read_text(encoding="utf-8"))
        SITES, COMPUTED, STRAY = SITES + _sites, COMPUTED + _computed, STRAY + _stray


# ----- the checks ---------------------------------------------------------------------------


def test_the_checker_sees_the_call_sites():
    assert len(SITES) > 250
    assert {s.template for s in SITES} >= {"onboarding/ask_name", "reminders/student", "help/guest"}


def test_every_named_template_exists():
    absent = [f"{s.at} names {s.template}" for s in SITES if s.template not in TEMPLATE_NAMES]
    assert not absent, "\n".join(absent)


def test_every_call_passes_what_its_template_reads():
    found = problems(SITES, template_source)
    assert not found, "\n".join(found)


def test_few_calls_cannot_be_checked():
    """Calls passing **values (but from a helper returning a dict literal) are not checked;
    a template named anywhere else than in the calls known here means a helper this misses."""
    unknown = [(s.at.split(":")[0], s.function) for s in SITES if s.passed is None]
    assert unknown == UNCHECKED, unknown
    assert set(COMPUTED) <= FORWARDERS, COMPUTED
    assert not STRAY, f"templates named where this test does not look: {STRAY}"


def test_macro_files_read_nothing():
    """`{% from x import m %}` runs x without the importer's values: its macros may use only
    their parameters and the environment's globals."""
    imports = (nodes.FromImport, nodes.Import)
    parsed = [ENV.parse(template_source(name)) for name in TEMPLATE_NAMES]
    files = {i.template.value for tree in parsed for i in tree.find_all(imports)}
    reading = {f: reads((TEMPLATES / f).read_text(encoding="utf-8")) for f in sorted(files)}
    assert {f: r for f, r in reading.items() if r} == {}


def test_the_checker_catches_a_missing_variable():
    """Negative control: a made-up template and call sites."""
    template = (
        '{% from "_macros.html.j2" import date %}{% set n = 1 %}{{ name }} {{ date(day) }}'
        "{% if age is defined %}{{ age }}{% endif %}{{ nick | default('') }}"
        "{% trans who=person %}{{ who }}{% endtrans %}{% for x in things %}{{ x, loop, n }}"
        '{% endfor %}{% if what == "a" %}{{ only_a }}{% endif %}{% if formal %}.{% endif %}'
    )
    code = (
        "async def show(update, context, w):\n"
        '    await reply(update, context, "x/demo", name=1, day=2, person=3, things=[], what="b")\n'
        '    await reply(update, context, "x/demo", name=1, person=3, things=[], what="a")\n'
        '    await notify(context, 1, "ko", "x/demo", name=1, day=2, person=3, things=[], what=w)\n'
        '    await reply(update, context, "x/demo", **values)\n'
        "async def pick(conn):\n"
        '    return await show(conn, None, "b")\n'
    )
    sites, computed, stray = scan("demo.py", code)
    assert problems(sites, lambda name: template) == [
        "demo.py:3 calls x/demo without: day, only_a",
        "demo.py:4 calls x/demo without: formal",  # w is always "b": only_a is not read
    ]
    assert sites[-1].passed is None and not computed and not stray
