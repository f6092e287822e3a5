"""A finding's site: the span of the node it is about, taken from the ``ast`` the detector
read, and that node found again, by its span, in the source a fixer is given."""

from __future__ import annotations

import ast

from advisor.model import Site
from advisor.syntax.source import Source
from advisor.syntax.statements import Located, statements_starting_at

__all__ = ["node_shape", "site_of", "span_of", "statement_at", "statement_holding"]

_SHAPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (ast.Call, "call"),
    ((ast.For, ast.AsyncFor), "for"),
    (ast.While, "while"),
    ((ast.With, ast.AsyncWith), "with"),
    ((ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp), "comprehension"),
    ((ast.FunctionDef, ast.AsyncFunctionDef), "def"),
    (ast.Await, "await"),
    (ast.stmt, "statement"),
)


def node_shape(node: ast.AST) -> str:
    """What kind of node a site is, when no finer shape was recognised."""
    return next((shape for kind, shape in _SHAPES if isinstance(node, kind)), "expression")


def site_of(source: Source, node: ast.AST, shape: str, end: ast.AST | None = None) -> Site:
    """The site of ``node`` (through ``end``, when the finding spans several nodes)."""
    last = end if end is not None else node
    line, column = node.lineno, node.col_offset  # type: ignore[attr-defined]
    end_line = last.end_lineno or last.lineno  # type: ignore[attr-defined]
    end_column = last.end_col_offset if last.end_col_offset is not None else column  # type: ignore[attr-defined]
    return Site(
        line=line,
        column=source.column(line, column) + 1,
        end_line=end_line,
        end_column=source.column(end_line, end_column) + 1,
        shape=shape,
    )


def span_of(source: Source, node: ast.AST) -> tuple[int, int, int, int]:
    """(line, column, end line, end column) of ``node`` as a Site counts them."""
    site = site_of(source, node, "")
    return site.line, site.column, site.end_line, site.end_column


def statement_at(source: Source, site: Site) -> Located | None:
    """The statement whose span is exactly the site's, with the nodes around it; None when the
    source has none there (it changed since it was analysed)."""
    wanted = (site.line, site.column, site.end_line, site.end_column)
    for located in statements_starting_at(source.tree, site.line):
        if span_of(source, located.node) == wanted:
            return located
    return None


def statement_holding(source: Source, site: Site) -> Located | None:
    """The innermost statement whose span holds the site's (the statement a flagged call is
    in); None when there is none (the source changed since it was analysed)."""
    start, end = (site.line, site.column), (site.end_line, site.end_column)
    for line in range(site.line, 0, -1):
        holding = []
        for located in statements_starting_at(source.tree, line):
            first, column, last, end_column = span_of(source, located.node)
            if (first, column) <= start and end <= (last, end_column):
                holding.append(located)
        if holding:
            return holding[-1]
    return None
