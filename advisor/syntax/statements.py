"""Finding statements in a module's ``ast``: the statements a line starts, the innermost function
around some lines, every statement nested in a block, and the nodes around each.

Python's ``ast`` answers these for the whole module fast (~1 s for 60,000 lines); libcst is then
asked to parse only the region a rewrite edits (see :mod:`advisor.syntax.region`).
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from advisor.errors import RewriteError

__all__ = [
    "BLOCK_FIELDS",
    "DEFINITIONS",
    "FUNCTIONS",
    "Located",
    "enclosing_region",
    "first_line",
    "is_compound",
    "statements_in",
    "statements_starting_at",
]

# The fields of a node that hold a list of statements (or of handlers / match cases holding them).
BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True, slots=True)
class Located:
    """A statement and the nodes around it, the module first and its parent last."""

    node: ast.stmt
    ancestors: tuple[ast.AST, ...]

    @property
    def parent(self) -> ast.AST:
        return self.ancestors[-1]

    @property
    def function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The innermost function the statement runs in, if any."""
        for node in reversed(self.ancestors):
            if isinstance(node, FUNCTIONS):
                return node
            if isinstance(node, ast.ClassDef):
                return None
        return None

    @property
    def functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Every function around the statement, innermost first, up to a class or the module."""
        found = []
        for node in reversed(self.ancestors):
            if isinstance(node, ast.ClassDef):
                break
            if isinstance(node, FUNCTIONS):
                found.append(node)
        return found

    @property
    def top_level(self) -> ast.stmt:
        """The statement of the module's own body that holds this one (or is it)."""
        if len(self.ancestors) > 1 and isinstance(self.ancestors[1], ast.stmt):
            return self.ancestors[1]
        return self.node


def statements_starting_at(tree: ast.Module, line: int) -> list[Located]:
    """Every statement whose first line is ``line``, outermost first."""
    found: list[Located] = []
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(tree, ())]
    while stack:
        node, ancestors = stack.pop()
        inner = (*ancestors, node)
        for name in BLOCK_FIELDS:
            for child in _spanning(getattr(node, name, None) or [], line):
                if isinstance(child, ast.stmt) and child.lineno == line:
                    found.append(Located(child, inner))
                stack.append((child, inner))
    found.sort(key=lambda located: len(located.ancestors))
    return found


def _spanning(block: list[ast.AST], line: int) -> list[ast.AST]:
    """The nodes of a block (statements, handlers or match cases) whose lines include ``line``.
    Blocks are in source order, so a binary search finds the last one starting at or before the
    line; only it, and siblings starting on the same line (``a; b``), can include it."""
    if not block:
        return []
    if isinstance(block[0], ast.match_case):
        return list(block)  # cases carry no position of their own; they are few
    index = bisect.bisect_right(block, line, key=lambda n: n.lineno) - 1  # type: ignore[attr-defined]
    if index < 0:
        return []
    start = block[index].lineno  # type: ignore[attr-defined]
    first = index
    while first > 0 and block[first - 1].lineno == start:  # type: ignore[attr-defined]
        first -= 1
    return [n for n in block[first : index + 1] if (n.end_lineno or n.lineno) >= line]  # type: ignore[attr-defined]


def is_compound(node: ast.stmt) -> bool:
    return any(
        isinstance(getattr(node, name, None), list) for name in ("body", "handlers", "cases")
    )


def first_line(node: ast.stmt) -> int:
    """The statement's first line, its decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def enclosing_region(
    tree: ast.Module, line: int, end_line: int
) -> tuple[ast.stmt, tuple[ast.AST, ...]]:
    """The innermost function holding lines ``line``..``end_line``, else the module-level
    statement holding them, and the nodes around it (the module first)."""
    holds = [
        s for s in tree.body if first_line(s) <= line and end_line <= (s.end_lineno or s.lineno)
    ]
    if not holds:
        raise RewriteError(f"line {line}: no statement holds the finding's lines")
    best: tuple[ast.stmt, tuple[ast.AST, ...]] = (holds[0], (tree,))
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(holds[0], (tree,))]
    while stack:  # one chain of nested blocks holds the lines: deeper functions come later
        node, around = stack.pop()
        if isinstance(node, FUNCTIONS):
            best = (node, around)
        inner = (*around, node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.match_case):
                stack.append((child, inner))
            elif isinstance(child, ast.stmt | ast.excepthandler):
                first = first_line(child) if isinstance(child, ast.stmt) else child.lineno
                if first <= line and end_line <= (child.end_lineno or first):
                    stack.append((child, inner))
    return best


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
        if isinstance(node, DEFINITIONS) and not into_definitions:
            continue
        for block in BLOCK_FIELDS:
            for child in getattr(node, block, None) or ():
                if isinstance(child, ast.stmt):
                    stack.append(child)
                else:  # an except handler or a match case: its body holds the statements
                    stack.extend(child.body)
