"""Making a rewrite: new text spliced in by line range, libcst nodes replaced by identity, and
the checks every rewrite passes before it is handed back (it compiles, it changed something).

Two kinds of edit, two names: a :class:`LineEdit` replaces whole lines of the module's text; a
node replacement (:func:`replace_nodes`) swaps libcst nodes inside a parsed region.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

from advisor.errors import RewriteError
from advisor.syntax.source import Source

__all__ = [
    "Change",
    "LineEdit",
    "Replacement",
    "apply_line_edits",
    "blank_padding",
    "check_compiles",
    "checked_rewrite",
    "insertion_line",
    "replace_nodes",
    "syntax_error",
]

Replacement = cst.CSTNode | cst.FlattenSentinel | cst.RemovalSentinel
# A replacement, or a function of the updated node (when its inside was replaced too).
Change = Replacement | Callable[[cst.CSTNode], Replacement]


@dataclass(frozen=True, slots=True)
class LineEdit:
    """Replace lines ``first``..``last`` (1-based, inclusive) with ``text``; ``last`` is
    ``first - 1`` for an insertion before line ``first``."""

    first: int
    last: int
    text: str


def apply_line_edits(lines: Sequence[str], edits: Iterable[LineEdit]) -> str:
    """The text with every edit made; edits must not overlap."""
    out = list(lines)
    previous = len(out) + 1
    for edit in sorted(edits, key=lambda e: (e.first, e.last), reverse=True):
        if edit.last >= previous:
            raise RewriteError(f"line {edit.first}: two rewrites overlap")
        out[edit.first - 1 : edit.last] = [edit.text]
        previous = edit.first
    return "".join(out)


def insertion_line(module: Source, statement: ast.stmt) -> int:
    """The line before which a new module-level statement goes so that ``statement`` keeps the
    comment lines written right above it (and its decorators)."""
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    comment = module.indentation(first) + "#"
    while first > 1 and module.lines[first - 2].startswith(comment):
        first -= 1
    return first


def blank_padding(module: Source, line: int, wanted: int) -> str:
    """Blank lines to add before a new statement inserted at ``line`` so that ``wanted`` blank
    lines separate it from the code above (none at the top of the file)."""
    blank = 0
    while line - blank > 1 and not module.lines[line - blank - 2].strip():
        blank += 1
    if line - blank <= 1:
        return ""
    return module.newline * max(0, wanted - blank)


class _Replacer(cst.CSTTransformer):
    """Applies planned changes, keyed by the identity of the original node, bottom-up."""

    def __init__(self, changes: Mapping[int, Change]) -> None:
        super().__init__()
        self.changes = changes

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Replacement:  # type: ignore[override]
        change = self.changes.get(id(original_node), updated_node)
        return change(updated_node) if callable(change) else change


def replace_nodes(tree: cst.Module, changes: Mapping[cst.CSTNode, Change]) -> cst.Module:
    """``tree`` with each original node swapped for its replacement (identity, not equality)."""
    by_id = {id(old): new for old, new in changes.items()}
    new = tree.visit(_Replacer(by_id))
    if not isinstance(new, cst.Module):
        raise RewriteError("the rewrite removed the whole module")
    return new


def syntax_error(code: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(code, "<rewrite>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return error if isinstance(error, SyntaxError) else SyntaxError(str(error))
    return None


def check_compiles(source: str, rewritten: str) -> str:
    """``rewritten``, unless it does not compile while the source did: a bug of ours, never the
    user's, so refuse rather than hand back code that will not run."""
    error = syntax_error(rewritten)
    if error is not None and syntax_error(source) is None:
        raise RewriteError(f"line {error.lineno}: the rewrite does not compile ({error.msg})")
    return rewritten


def checked_rewrite(source: str, rewritten: str) -> str:
    """``rewritten`` once it compiles and differs from ``source``; RewriteError otherwise."""
    check_compiles(source, rewritten)
    if rewritten == source:
        raise RewriteError("the rewrite changed nothing")
    return rewritten
