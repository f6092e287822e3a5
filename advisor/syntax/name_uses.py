"""Every use of a name in one scope, by position: "is it read after this line before anything
binds it again?", asked cheaply for many loops of one scope."""

from __future__ import annotations

import ast
import bisect
from collections.abc import Iterable

from advisor.syntax.bindings import EXPRESSION_SCOPES, loads

__all__ = ["ScopeNames", "record_name", "scope_names"]


class ScopeNames:
    """Every use of a name in one scope (nested functions excluded), by position, to answer
    "is it read after this line before anything binds it again?" cheaply for many loops."""

    def __init__(self) -> None:
        self._uses: dict[str, list[tuple[int, int, bool]]] = {}
        self._sorted: set[str] = set()

    def add(self, line: int, column: int, name: str, is_store: bool) -> None:
        self._uses.setdefault(name, []).append((line, column, is_store))
        self._sorted.discard(name)

    def read_after(self, name: str, line: int) -> bool:
        """Is ``name`` read after ``line`` before anything binds it again?"""
        uses = self._uses.get(name)
        if not uses:
            return False
        if name not in self._sorted:
            uses.sort()
            self._sorted.add(name)
        index = bisect.bisect_right(uses, (line, 1 << 30, True))
        return index < len(uses) and not uses[index][2]

    def read_between(self, name: str, first: int, last: int) -> bool:
        """Is ``name`` read anywhere on lines ``first``..``last``?"""
        return any(
            first <= line <= last and not is_store for line, _, is_store in self._uses.get(name, ())
        )


def scope_names(statements: Iterable[ast.AST]) -> ScopeNames:
    """The names of the scope whose code is ``statements`` (a function's body or a module's):
    functions defined in it are scopes of their own; class bodies are counted in; of lambdas and
    comprehensions only what they read from the scope counts (their own variables are theirs)."""
    names = ScopeNames()
    stack = list(statements)
    while stack:
        node = stack.pop()
        record_name(names, node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, *EXPRESSION_SCOPES)):
            stack.extend(ast.iter_child_nodes(node))
    return names


def record_name(names: ScopeNames, node: ast.AST) -> None:
    """Record ``node`` if it is a name of the scope, or what a lambda or comprehension (one of
    EXPRESSION_SCOPES, whose inside the caller then skips) reads from the scope."""
    if isinstance(node, ast.Name):
        names.add(node.lineno, node.col_offset, node.id, not isinstance(node.ctx, ast.Load))
    elif isinstance(node, EXPRESSION_SCOPES):
        for read in loads(node):
            names.add(read.lineno, read.col_offset, read.id, False)
