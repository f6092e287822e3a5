"""The one scope and binding model: every binding form, pinned once."""

from __future__ import annotations

import ast
import textwrap

from advisor.syntax.bindings import (
    bindings,
    bound_in,
    declarations,
    global_reads,
    import_bindings,
    loads,
    locals_of,
    module_binds,
    reads_of,
)
from advisor.syntax.resolve import build_resolver
from advisor.syntax.scopes import Scope, module_constants, scope_of


def _module(code: str) -> ast.Module:
    return ast.parse(textwrap.dedent(code))


def _function(code: str) -> ast.FunctionDef:
    [function] = _module(code).body
    assert isinstance(function, ast.FunctionDef)
    return function


EVERY_FORM = """\
def f(p, /, q, *args, r, **kwargs):
    a = 1
    b, (c, *d) = 1, (2, 3)
    e: int = 1
    e2: int
    f1 += 1
    for g, h in pairs:
        pass
    with open(p) as i, open(q) as (j, k):
        pass
    try:
        pass
    except Exception as l:
        pass
    import m1
    import m2.sub
    import m3.sub as m4
    from m5 import m6, m7 as m8
    from . import m9
    from m10 import *
    def n(): inner = 1
    class o: attribute = 1
    if (s := 1):
        pass
    [t for u in range(3) if (w := u)]
    lambda v: (x := v)
    del y
    match point:
        case [z1, *z2]:
            pass
        case {"k": z3, **z4}:
            pass
        case Point(x=z5) | z6:
            pass
    global gl
    nonlocal nl
    gl = nl = 1
    obj.attr = item[0] = 1
"""


def test_every_binding_form_binds_its_names_in_the_order_of_the_nodes_binding_them() -> None:
    function = _function(EVERY_FORM)
    found = [(b.name, type(b.node).__name__) for b in bindings(function.body)]
    assert found == [
        ("a", "Assign"),
        ("b", "Assign"),
        ("c", "Assign"),
        ("d", "Assign"),
        ("e", "AnnAssign"),
        ("e2", "AnnAssign"),
        ("f1", "AugAssign"),
        ("g", "For"),
        ("h", "For"),
        ("i", "withitem"),
        ("j", "withitem"),
        ("k", "withitem"),
        ("l", "ExceptHandler"),
        ("m1", "Import"),
        ("m2", "Import"),
        ("m4", "Import"),
        ("m6", "ImportFrom"),
        ("m8", "ImportFrom"),
        ("m9", "ImportFrom"),
        ("n", "FunctionDef"),
        ("o", "ClassDef"),
        ("s", "NamedExpr"),
        ("w", "NamedExpr"),  # a walrus in a comprehension binds in the function
        ("y", "Delete"),
        ("z1", "MatchAs"),
        ("z2", "MatchStar"),
        ("z4", "MatchMapping"),  # the mapping pattern, then the patterns inside it
        ("z3", "MatchAs"),
        ("z5", "MatchAs"),
        ("z6", "MatchAs"),
        ("gl", "Assign"),
        ("nl", "Assign"),
    ]


def test_imports_bind_the_qualified_names_they_stand_for() -> None:
    function = _function(EVERY_FORM)
    found = bindings(function.body)
    imports = (ast.Import, ast.ImportFrom)
    imported = {b.name: b.imported for b in found if isinstance(b.node, imports)}
    assert imported == {
        "m1": "m1",
        "m2": "m2",
        "m4": "m3.sub",
        "m6": "m5.m6",
        "m8": "m5.m7",
        "m9": None,  # relative: cannot be told
    }
    [star] = _module("from m import *").body
    assert isinstance(star, ast.ImportFrom) and import_bindings(star) == []


def test_locals_are_parameters_and_bindings_less_declarations() -> None:
    function = _function(EVERY_FORM)
    assert declarations(function) == {"gl": "global", "nl": "nonlocal"}
    assert locals_of(function) == {
        "p", "q", "args", "r", "kwargs",
        "a", "b", "c", "d", "e", "e2", "f1", "g", "h", "i", "j", "k", "l",
        "m1", "m2", "m4", "m6", "m8", "m9", "n", "o", "s", "w", "y",
        "z1", "z2", "z3", "z4", "z5", "z6",
    }  # fmt: skip
    # nested scopes keep their own: `inner`, `attribute`, `t`, `u`, `v`, `x`
    assert not {"inner", "attribute", "t", "u", "v", "x"} & bound_in(function.body)


def test_reads_leave_out_what_lambdas_and_comprehensions_bind_themselves() -> None:
    [statement] = _module("t = f(a) + sum(b * x for x in xs if x > c) + (lambda y: y + d)(e)").body
    assert reads_of([statement]) == ["f", "a", "sum", "xs", "c", "b", "d", "e"]
    assert [n.id for n in loads(statement.value)] == reads_of([statement])  # type: ignore[attr-defined]


def test_a_function_reads_the_globals_it_does_not_bind() -> None:
    tree = _module(
        """\
        def f(a):
            b = a + LIMIT
            return b

        class C:
            size = 1
            def g(self):
                return self.size + OTHER
        """
    )
    assert global_reads(tree.body) == {"LIMIT": "f", "OTHER": "g"}


def test_the_module_binds_a_name_unless_it_only_imports_the_module_of_that_name() -> None:
    assert not module_binds(_module("import asyncio\n"), "asyncio")
    assert module_binds(_module("import trio as asyncio\n"), "asyncio")
    assert module_binds(_module("from x import asyncio\n"), "asyncio")
    assert module_binds(_module("if ok:\n    for asyncio in xs: pass\n"), "asyncio")
    assert module_binds(_module("try:\n    pass\nexcept E as asyncio:\n    pass\n"), "asyncio")
    assert module_binds(_module("match v:\n    case asyncio: pass\n"), "asyncio")
    assert not module_binds(_module("def f():\n    asyncio = 1\n"), "asyncio")


def test_names_resolve_through_imports_and_per_function_bindings() -> None:
    tree = _module(
        """\
        import urllib.request as ur
        import requests
        session = requests.Session()
        WORKERS = 8

        def f(open, client: "httpx.Client | None" = None):
            import time as t
            total = 3
            ur.urlopen(x); session.get(x); open(x); t.sleep(1)
        """
    )
    resolver = build_resolver(tree)
    module = Scope(resolver, {}, module_constants(tree))
    function = tree.body[-1]
    assert isinstance(function, ast.FunctionDef)
    inner = scope_of(function, module)
    calls = [n.func for n in ast.walk(function) if isinstance(n, ast.Call)]
    assert [inner.resolver.qualify(c) for c in calls] == [
        "urllib.request.urlopen",
        "requests.Session().get",
        None,  # the parameter `open` shadows the builtin
        "time.sleep",  # a local import resolves like a module-level one
    ]
    assert module.constants == {"WORKERS": 8}
    assert inner.constants == {"WORKERS": 8, "total": 3}
