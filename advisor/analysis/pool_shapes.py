"""Small shapes of code the pool rules look for: a worker started and joined, a list of them, a
name assigned or appended, the `__main__` guard. Pure functions of Python's ``ast``."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from advisor.syntax.bindings import SCOPE_NODES, dotted_name, walk_scope


def with_ancestors(nodes: Iterable[ast.AST]) -> Iterator[tuple[ast.AST, tuple[ast.AST, ...]]]:
    """``_in_scope`` with each node's ancestors inside ``nodes`` (the parent last)."""
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(n, ()) for n in reversed(list(nodes))]
    while stack:
        node, ancestors = stack.pop()
        yield node, ancestors
        if not isinstance(node, SCOPE_NODES):
            inner = (*ancestors, node)
            stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))


def stored_names(nodes: Iterable[ast.AST]) -> set[str]:
    return {
        n.id for n in walk_scope(nodes) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def read_names(nodes: Iterable[ast.AST]) -> set[str]:
    return {
        n.id for n in walk_scope(nodes) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def scope_body(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Lambda):
        return [node.body]
    return list(getattr(node, "body", []))


def parameter_names(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return names + [a.arg for a in (args.vararg, args.kwarg) if a is not None]


def decorator_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {dotted_name(d) or "" for d in function.decorator_list}


def is_method_call(attribute: ast.AST, call: ast.AST | None, methods: Iterable[str]) -> bool:
    """``attribute`` is ``<x>.m`` with m in ``methods``, called by ``call``."""
    return (
        isinstance(attribute, ast.Attribute)
        and attribute.attr in methods
        and isinstance(call, ast.Call)
        and call.func is attribute
    )


def assigned_name(parent: ast.AST, value: ast.AST) -> str | None:
    """``name`` when ``parent`` is ``name = value`` (or ``name := value``)."""
    if isinstance(parent, ast.Assign) and parent.value is value and len(parent.targets) == 1:
        target: ast.expr = parent.targets[0]
    elif isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and parent.value is value:
        target = parent.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def appended_to(parent: ast.AST, value: ast.AST) -> str | None:
    """``c`` when ``parent`` is ``c.append(value)``."""
    if (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Attribute)
        and parent.func.attr == "append"
        and isinstance(parent.func.value, ast.Name)
        and len(parent.args) == 1
        and parent.args[0] is value
    ):
        return parent.func.value.id
    return None


@dataclass
class WorkerUses:
    """How a name is used in a loop body: methods called on it, lists it is appended to."""

    calls: dict[str, list[ast.Call]] = field(default_factory=dict)
    appended_to: str | None = None
    other: int = 0

    def called(self, method: str) -> bool:
        return bool(self.calls.get(method))


def method_uses(name: str, statements: Sequence[ast.stmt]) -> WorkerUses:
    uses = WorkerUses()
    for node, up in with_ancestors(statements):
        if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
            continue
        parent = up[-1] if up else None
        grand = up[-2] if len(up) > 1 else None
        if is_method_call(parent, grand, ("start", "join")):
            uses.calls.setdefault(parent.attr, []).append(grand)  # type: ignore[union-attr,arg-type]
        elif parent is not None and (collection := appended_to(parent, node)):
            uses.appended_to = collection
        else:
            uses.other += 1
    return uses


@dataclass(frozen=True, slots=True)
class Collections:
    """Names of lists whose items a loop starts, joins, or uses some other way."""

    started: frozenset[str]
    joined: frozenset[str]
    other: frozenset[str]


def _item_methods(loop: ast.For | ast.AsyncFor) -> set[str]:
    """Methods a loop's body calls on its variable (``for t in ts: t.start()`` → start)."""
    if not isinstance(loop.target, ast.Name):
        return {"<other>"}
    methods: set[str] = set()
    for node, up in with_ancestors(loop.body):
        if isinstance(node, ast.Name) and node.id == loop.target.id:
            parent = up[-1] if up else None
            called = is_method_call(parent, up[-2] if len(up) > 1 else None, ("start", "join"))
            methods.add(parent.attr if called else "<other>")  # type: ignore[union-attr]
    return methods


def _element_methods(comprehension: ast.AST) -> set[str]:
    """The method ``[t.m() for t in ts]`` calls on each item; ``<other>`` for anything else."""
    element = getattr(comprehension, "elt", None)
    generators = getattr(comprehension, "generators", [])
    if (
        len(generators) == 1
        and isinstance(generators[0].target, ast.Name)
        and isinstance(element, ast.Call)
        and isinstance(element.func, ast.Attribute)
        and isinstance(element.func.value, ast.Name)
        and element.func.value.id == generators[0].target.id
    ):
        return {element.func.attr}
    return {"<other>"}


def collections_of(statements: Sequence[ast.AST]) -> Collections:
    started: set[str] = set()
    joined: set[str] = set()
    other: set[str] = set()
    for node, up in with_ancestors(statements):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        parent = up[-1] if up else None
        if isinstance(parent, ast.Attribute) and parent.attr == "append":
            continue
        if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
            methods = _item_methods(parent)
        elif isinstance(parent, ast.comprehension) and parent.iter is node and len(up) > 1:
            methods = _element_methods(up[-2])
        else:
            other.add(node.id)
            continue
        if "start" in methods:
            started.add(node.id)
        if "join" in methods:
            joined.add(node.id)
        if methods - {"start", "join"}:
            other.add(node.id)
    return Collections(frozenset(started), frozenset(joined), frozenset(other))
