"""Whether a name holds a built-in collection the code itself made: a list, dict or set.

A loop rewrite may collect its results with one ``extend`` or ``update`` only into such a
collection. Into anything else (a list preallocated and filled by index, a dict subclass whose
``__setitem__`` does more, an object passed in with ``append`` but no ``extend``, a numpy array)
it stores each result the way the loop did, one statement per result, in order.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from advisor.syntax.bindings import bindings, declarations, parameters

__all__ = ["built_collection"]

_DISPLAYS: dict[type[ast.expr], str] = {
    ast.List: "list",
    ast.ListComp: "list",
    ast.Dict: "dict",
    ast.DictComp: "dict",
    ast.Set: "set",
    ast.SetComp: "set",
}
_MAKERS = frozenset({"list", "dict", "set"})


def _made(value: ast.expr | None, module: ast.Module) -> str | None:
    if value is None:
        return None
    kind = _DISPLAYS.get(type(value))
    if kind is not None:
        return kind
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in _MAKERS
        and not any(b.name == value.func.id for b in bindings(module.body))
    ):
        return value.func.id
    return None


def built_collection(
    scope: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef, name: str, module: ast.Module
) -> str | None:
    """``"list"``, ``"dict"`` or ``"set"`` when every binding of ``name`` in ``scope`` makes one
    of that built-in type (a display, a comprehension, ``list()``/``dict()``/``set()``, or ``+=``
    onto it), and ``name`` is not a parameter or declared global or nonlocal; else None."""
    body: Sequence[ast.stmt] = scope.body
    is_function = isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef)
    if is_function and (name in parameters(scope.args) or name in declarations(scope)):
        return None
    kinds: set[str | None] = set()
    for binding in bindings(body):
        if binding.name != name:
            continue
        node = binding.node
        if isinstance(node, ast.AugAssign):
            continue  # `acc += [...]` keeps a list a list
        if (isinstance(node, ast.Assign) and len(node.targets) == 1) or isinstance(
            node, ast.AnnAssign
        ):
            kinds.add(_made(node.value, module))
        else:
            return None
    if len(kinds) != 1:
        return None
    return kinds.pop()
