"""Which names a piece of code binds and reads, and in which scope: what a rewrite must know
before it moves code into a new function, into another process, or under a guard."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Iterator, Sequence

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def bound_in(statements: Sequence[ast.AST]) -> set[str]:
    """Names the statements bind in their own scope (not in nested functions or
    comprehensions): assignment, loop, ``with ... as``, ``except ... as``, import, ``def`` and
    ``class`` targets."""
    names: set[str] = set()
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        elif isinstance(node, _DEFINITIONS):
            names.add(node.name)
            continue  # what its body binds is its own
        if isinstance(node, (ast.Lambda, *_COMPREHENSIONS)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return names


def loads(node: ast.AST, hidden: frozenset[str] = frozenset()) -> Iterator[ast.Name]:
    """The names ``node`` reads from its scope, in source order. Names bound by its own lambdas
    and comprehensions are theirs, not reads; the bodies of functions and classes it defines run
    elsewhere and are not entered."""
    if isinstance(node, ast.Name):
        if isinstance(node.ctx, ast.Load) and node.id not in hidden:
            yield node
        return
    if isinstance(node, ast.Lambda):
        yield from _defaults(node.args, hidden)
        yield from loads(node.body, hidden | parameters(node.args))
        return
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for decorator in node.decorator_list:
            yield from loads(decorator, hidden)
        yield from _defaults(node.args, hidden)
        return
    if isinstance(node, ast.ClassDef):
        for part in (*node.decorator_list, *node.bases, *node.keywords):
            yield from loads(part, hidden)
        return
    if isinstance(node, _COMPREHENSIONS):
        inner = hidden
        for index, generator in enumerate(node.generators):
            yield from loads(generator.iter, hidden if index == 0 else inner)
            inner = inner | {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
            for condition in generator.ifs:
                yield from loads(condition, inner)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                yield from loads(getattr(node, part), inner)
        return
    for child in ast.iter_child_nodes(node):
        yield from loads(child, hidden)


def _defaults(args: ast.arguments, hidden: frozenset[str]) -> Iterator[ast.Name]:
    for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
        yield from loads(default, hidden)


def reads_of(nodes: Iterable[ast.AST]) -> list[str]:
    """Distinct names the nodes read, in order of first reading."""
    return list(dict.fromkeys(name.id for node in nodes for name in loads(node)))


def parameters(args: ast.arguments) -> frozenset[str]:
    every = (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
    return frozenset(a.arg for a in every if a is not None)


def statements_in(
    statements: Iterable[ast.stmt], *, into_definitions: bool = False
) -> Iterator[ast.stmt]:
    """The statements and every statement nested in their blocks; expressions are not walked
    (several times cheaper than ``ast.walk`` on big modules). Function and class bodies are
    entered only with ``into_definitions``."""
    stack = list(statements)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _DEFINITIONS) and not into_definitions:
            continue
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, block, None) or ():
                if isinstance(child, ast.stmt):
                    stack.append(child)
                else:  # an except handler or a match case: its body holds the statements
                    stack.extend(child.body)


def declarations(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    """Names the function declares ``global`` or ``nonlocal`` → which of the two."""
    declared: dict[str, str] = {}
    for node in statements_in(function.body):
        if isinstance(node, ast.Global | ast.Nonlocal):
            keyword = "global" if isinstance(node, ast.Global) else "nonlocal"
            declared.update(dict.fromkeys(node.names, keyword))
    return declared


def locals_of(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The function's local names: its parameters and what its body binds, less what it
    declares ``global`` or ``nonlocal``."""
    own = parameters(function.args) | bound_in(function.body)
    return own - declarations(function).keys()


def global_reads(definitions: Iterable[ast.AST]) -> dict[str, str]:
    """Names the functions and classes (and everything nested in them) read from the module's
    globals → the name of a function or class that reads it."""
    found: dict[str, str] = {}
    for definition in definitions:
        for node in ast.walk(definition):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                own: set[str] = locals_of(node)
            elif isinstance(node, ast.ClassDef):
                own = bound_in(node.body)
            else:
                continue
            for name in reads_of(node.body):
                if name not in own:
                    found.setdefault(name, node.name)
    return found


def main_guard_branch(test: ast.expr) -> str | None:
    """Which branch of an ``if`` runs only as a script: "body" (``__name__ == "__main__"``,
    either order, or inside an ``and``), "orelse" (``!=``) or None."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return "body" if any(main_guard_branch(v) == "body" for v in test.values) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    sides = (test.left, test.comparators[0])
    names = [isinstance(s, ast.Name) and s.id == "__name__" for s in sides]
    mains = [isinstance(s, ast.Constant) and s.value == "__main__" for s in sides]
    if not ((names[0] and mains[1]) or (mains[0] and names[1])):
        return None
    if isinstance(test.ops[0], ast.Eq):
        return "body"
    return "orelse" if isinstance(test.ops[0], ast.NotEq) else None


def runs_only_as_script(ancestors: Sequence[ast.AST], node: ast.AST) -> bool:
    """Is ``node`` (with its ancestors, the module first) inside the branch of an
    ``if __name__ == "__main__":`` that runs only when the module is the script?"""
    chain = [*ancestors, node]
    for parent, child in itertools.pairwise(chain):
        if isinstance(parent, ast.If):
            branch = main_guard_branch(parent.test)
            if branch is not None and any(child is s for s in getattr(parent, branch)):
                return True
    return False


__all__ = [
    "bound_in",
    "declarations",
    "global_reads",
    "loads",
    "locals_of",
    "main_guard_branch",
    "parameters",
    "reads_of",
    "runs_only_as_script",
    "statements_in",
]
